"""Page tests through Flask's test client: a signed-in browser (Pages), form posts, photos,
response text and untranslated messages."""

from __future__ import annotations

import re
from io import BytesIO

from PIL import Image
from werkzeug.datastructures import MultiDict

from tests.conftest import registration_data


class Pages:
    def __init__(self, client):
        self.client = client

    def login(self, username: str):
        self.client.post("/logout")
        resp = self.client.post("/login", data={"username": username, "password": "demo12345"})
        assert resp.status_code == 302, resp.data[:500]
        return resp

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def post(self, url: str, data=None, **kw):
        return self.client.post(url, data=data, **kw)

    def register(self, username: str = "owner1", **overrides) -> int:
        """Register a project through the owner's form (all steps posted at once); returns its id."""
        self.login(username)
        resp = self.post("/owner/register", form_data(registration_data(**overrides), move="submit", step="4"))
        assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
        return int(resp.headers["Location"].rsplit("/", 1)[1])

    def task_ids(self, url: str = "/inbox") -> list[str]:
        return list(dict.fromkeys(re.findall(r'/tasks/([0-9a-f-]{36})', self.get(url).get_data(as_text=True))))

    def task_of(self, project_id: int, element_id: str) -> str:
        from webapp.persistence.models import InboxTask, db

        with self.client.application.app_context():
            rows = db.session.query(InboxTask).filter_by(project_id=project_id, element_id=element_id).all()
            assert len(rows) == 1, (project_id, element_id, rows)
            return rows[0].id


def form_data(data: dict, **extra) -> MultiDict:
    """Form data as a browser posts it: booleans as checked boxes, lists as repeated fields."""
    items = []
    for key, value in {**data, **extra}.items():
        if isinstance(value, bool):
            if value:
                items.append((key, "on"))
        elif isinstance(value, list):
            items.extend((key, str(v)) for v in value)
        elif isinstance(value, dict):
            items.extend((f"{key}.{k}", v) for k, v in value.items())
        elif value is not None:
            items.append((key, str(value)))
    return MultiDict(items)


def jpeg_bytes(size=(64, 48), color=(200, 60, 40), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, color)
    out = BytesIO()
    if exif:
        data = image.getexif()
        data[0x010F] = "SecretCam"  # Make
        image.save(out, "JPEG", exif=data.tobytes())
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def login(client, username):
    client.post("/logout")
    resp = client.post("/login", data={"username": username, "password": "demo12345"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


def text(resp) -> str:
    return resp.get_data(as_text=True)


def untranslated(*sources: str) -> list[str]:
    """Messages of these sources (paths under webapp/) without a Chinese translation."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("i18n_script", Path(__file__).parents[2] / "scripts" / "i18n.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    zh = script.load("zh")
    own = [m for m in script.extract() if m.id and any(loc.startswith(sources) for loc, _ in m.locations)]
    assert len(own) > 50
    return [m.id for m in own if not (zh.get(m.id) and zh.get(m.id).string)]
