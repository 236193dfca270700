"""One app, one database and the demo users signed in (pages and API), with one project in 鹭江
(owner1's, with an open first-visit task, notices and a photo) and one in 湖里 (owner2's): shared by
the security tests of a module, so hundreds of requests cost one setup."""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

import pytest
from sqlalchemy import select

from tests.conftest import registration_data
from tests.helpers.accounts import DEMO_PASSWORD, cheap_password_hashes
from tests.helpers.pages import jpeg_bytes
from webapp import create_app
from webapp.cli import prepare
from webapp.config import Config

PASSWORD = DEMO_PASSWORD
USERS = (
    "owner1",
    "owner2",
    "grid_lj",
    "inspector_lj",
    "inspector_zh",
    "supervisor_lj",
    "enforcer_sm",
    "housing_sm",
    "inspector_hl",
    "admin_sm",
    "admin_hl",
    "designer",
    "ops",
    "city",
    "auditor",
    "property_lj",
    "entrusted_sm",
    "hotline",
)
HULI = dict(street="350206001", community="350206001001", address="湖里区湖里大道 1 号", title="湖里大道 1 号店面装修")


@dataclass
class Place:
    """The objects of one jurisdiction, by URL parameter name."""

    params: dict = field(default_factory=dict)
    instance_id: int = 0


@dataclass
class World:
    app: object
    own: Place  # 鹭江 (思明区), owner1's project
    other: Place  # 湖里 (湖里区), owner2's project
    common: dict  # parameters that name no object in a jurisdiction
    user_ids: dict
    _pages: dict = field(default_factory=dict)
    _tokens: dict = field(default_factory=dict)

    def page_client(self, username: str | None):
        """A browser signed in as this user (None: anonymous), kept for the module."""
        if username not in self._pages:
            client = self.app.test_client()
            if username:
                resp = client.post("/login", data={"username": username, "password": PASSWORD})
                assert resp.status_code == 302, (username, resp.status_code)
            self._pages[username] = client
        return self._pages[username]

    def forget_pages(self, username: str) -> None:
        self._pages.pop(username, None)

    def token(self, username: str) -> str:
        if username not in self._tokens:
            self._tokens[username] = self.new_token(username)
        return self._tokens[username]

    def new_token(self, username: str) -> str:
        resp = self.app.test_client().post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["token"]

    def api(self, username: str | None, method: str, path: str, **kw):
        headers = dict(kw.pop("headers", {}))
        if username:
            headers["Authorization"] = f"Bearer {self.token(username)}"
        return self.app.test_client().open(path, method=method, headers=headers, **kw)


def build_world(tmp_path_factory, **config) -> World:
    instance = tmp_path_factory.mktemp("security")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INSTANCE_DIR", str(instance))
        mp.delenv("DATABASE_URL", raising=False)
        app = create_app(Config(TESTING=True, WTF_CSRF_ENABLED=False, **config))
    prepare(app)
    cheap_password_hashes(app)
    world = World(app, Place(), Place(), {}, {})
    own = world.api("owner1", "POST", "/api/v1/registrations", json={"data": registration_data()})
    other = world.api("owner2", "POST", "/api/v1/registrations", json={"data": registration_data(**HULI)})
    assert own.status_code == other.status_code == 201, (own.get_json(), other.get_json())

    from webapp.persistence.models import InboxTask, ProcessInstance, Project, User, db
    from webapp.persistence.oversight import Notice
    from webapp.services.casefile import attachments
    from webapp.services.designer import versions

    with app.app_context():
        world.user_ids = dict(db.session.execute(select(User.username, User.id)).all())
        for place, body, uploader in ((world.own, own.get_json(), "owner1"), (world.other, other.get_json(), "owner2")):
            project = db.session.get(Project, body["id"])
            task = db.session.scalar(select(InboxTask).where(InboxTask.project_id == project.id))
            notice = db.session.scalar(select(Notice).where(Notice.project_id == project.id).order_by(Notice.id))
            photo = attachments.store(db.session.get(User, world.user_ids[uploader]), BytesIO(jpeg_bytes()), "a.jpg")
            photo.project_id = project.id
            place.instance_id = db.session.scalar(
                select(ProcessInstance.id).where(ProcessInstance.project_id == project.id)
            )
            if place is world.own:  # in property_lj's estate, supervised by entrusted_sm
                from webapp.persistence.organisation import Estate

                project.estate_id = db.session.scalar(select(Estate.id).where(Estate.name == "鹭江花园"))
                project.entrusted_supervisor_id = world.user_ids["entrusted_sm"]
            place.params = {
                "project_id": project.id,
                "task_id": task.id,
                "notice_id": notice.id,
                "attachment_id": photo.id,
                "code": project.district_code,
                "reg_no": project.reg_no,
            }
        db.session.commit()
        version = versions.latest_version()
        world.common = {
            "version_id": version.id,
            "name": sorted(versions.version_files(version))[0],
            "instance_id": world.own.instance_id,
            "filename": "css/app.css",
            "section": "units",
            "key": "registration",
            "notification_id": 999999,  # gone: a notification is its user's (tests/security/test_own_rows.py)
            "stand_in_id": 999999,
            "filter_id": 999999,
            "version": 1,
            "external_task_id": "no-such-task",
        }
    return world
