"""Photos: checked by content, re-encoded without EXIF, size-limited, served by jurisdiction."""

from __future__ import annotations

import re
from io import BytesIO

from PIL import Image

from tests.helpers.pages import jpeg_bytes
from webapp.persistence.models import Attachment, db


def _upload(client, task_id, name, content, **fields):
    return client.post(
        f"/tasks/{task_id}",
        data={"task_id": task_id, "action": "draft", **fields, "photos": (BytesIO(content), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _first_visit(pages, client):
    pid = pages.register()
    task_id = pages.task_of(pid, "first_visit")
    pages.login("inspector_lj")
    return pid, task_id


def test_non_images_and_fake_extensions_are_refused(app, pages, client, clock):
    pid, task_id = _first_visit(pages, client)
    for name, content in (
        ("notes.txt", b"just some text"),
        ("photo.jpg", b"not really a jpeg"),
        ("scan.png", b"%PDF-1.4\n1 0 obj<<>>endobj\n"),
        ("anim.gif", _gif()),
    ):
        page = _upload(client, task_id, name, content).get_data(as_text=True)
        assert f"只能上传 JPEG、PNG 或 WebP 格式的照片，“{name}”不是" in page, name
    # Submitting (not a draft) shows the refusal beside the photo field and completes nothing.
    resp = client.post(
        f"/tasks/{task_id}",
        data={
            "task_id": task_id,
            "site_matches": "yes",
            "site_status": "IN_PROGRESS",
            "photos": (BytesIO(b"text"), "x.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert re.search(r'data-error-for="photos">只能上传', resp.get_data(as_text=True))
    with app.app_context():
        assert db.session.query(Attachment).count() == 0


def test_oversize_photo_is_refused(app, pages, client, clock):
    app.config["ATTACHMENT_MAX_BYTES"] = 2000
    pid, task_id = _first_visit(pages, client)
    noisy = Image.effect_noise((200, 200), 80).convert("RGB")
    out = BytesIO()
    noisy.save(out, "JPEG", quality=95)
    assert len(out.getvalue()) > 2000
    page = _upload(client, task_id, "big.jpg", out.getvalue()).get_data(as_text=True)
    assert "照片“big.jpg”超过 0 MB" in page or "超过" in page
    app.config["MAX_CONTENT_LENGTH"] = 1000
    resp = _upload(client, task_id, "big.jpg", out.getvalue())
    assert "上传内容过大" in resp.get_data(as_text=True)


def test_photos_are_reencoded_without_exif_and_served_by_jurisdiction(app, pages, client, clock):
    pid, task_id = _first_visit(pages, client)
    png = BytesIO()
    Image.new("RGBA", (30, 20), (0, 128, 0, 128)).save(png, "PNG")
    for name, content in (("with-exif.jpg", jpeg_bytes(exif=True)), ("transparent.png", png.getvalue())):
        _upload(client, task_id, name, content)
    with app.app_context():
        rows = db.session.query(Attachment).order_by(Attachment.created_at).all()
        assert len(rows) == 2 and all(r.project_id is None and r.content_type == "image/jpeg" for r in rows)
        ids = [r.id for r in rows]
        assert all(len(i) == 22 for i in ids)
    body = client.get(f"/files/{ids[0]}")
    assert body.status_code == 200 and body.mimetype == "image/jpeg"
    assert b"SecretCam" not in body.data and not Image.open(BytesIO(body.data)).getexif()
    # Not linked yet: only the uploader sees it.
    pages.login("supervisor_lj")
    assert client.get(f"/files/{ids[0]}").status_code == 404
    # Submitted with the task: linked to the project, visible to whoever may see the project.
    pages.login("inspector_lj")
    resp = client.post(
        f"/tasks/{task_id}",
        data={"task_id": task_id, "site_matches": "yes", "site_status": "IN_PROGRESS", "photos": ids},
    )
    assert resp.status_code == 302
    for user, status in (
        ("supervisor_lj", 200),
        ("owner1", 200),
        ("city", 200),
        ("admin_sm", 200),
        ("inspector_zh", 404),
        ("owner2", 404),
        ("inspector_hl", 404),
        ("designer", 404),
    ):
        pages.login(user)
        assert client.get(f"/files/{ids[0]}").status_code == status, user


def test_someone_elses_photo_id_cannot_be_attached(app, pages, client, clock):
    pid, task_id = _first_visit(pages, client)
    _upload(client, task_id, "a.jpg", jpeg_bytes())
    with app.app_context():
        photo = db.session.query(Attachment).one().id
    pages.login("grid_lj")  # uploads nothing; tries to use the inspector's photo on a lead
    resp = client.post(
        "/leads/new",
        data={
            "street": "350203001",
            "address": "思明区大同路 2 号",
            "description": "疑似装修",
            "urgency": "NORMAL",
            "photos": photo,
        },
    )
    assert resp.status_code == 422 and "附件无效或无权使用" in resp.get_data(as_text=True)


def _stored_by(app, username: str) -> str:
    """A photo uploaded by this user and not yet attached to anything."""
    from webapp.persistence.models import User
    from webapp.services.casefile import attachments

    with app.test_request_context():
        user = db.session.query(User).filter_by(username=username).one()
        return attachments.store(user, BytesIO(jpeg_bytes()), "theirs.jpg").id


FIRST_VISIT = {"site_matches": "yes", "site_status": "IN_PROGRESS"}


def test_the_task_page_and_the_api_refuse_another_users_photo_alike(app, api, pages, client, clock):
    theirs = _stored_by(app, "grid_lj")
    pid, task_id = _first_visit(pages, client)
    page = client.post(f"/tasks/{task_id}", data={"task_id": task_id, **FIRST_VISIT, "photos": theirs})
    assert page.status_code == 422
    assert re.search(r'data-error-for="photos">附件无效或无权使用', page.get_data(as_text=True))
    answer = api.post(
        "inspector_lj", f"/api/v1/tasks/{task_id}/complete", {"data": {**FIRST_VISIT, "photos": [theirs]}}
    )
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["errors"]["photos"] == "附件无效或无权使用"
    with app.app_context():
        assert db.session.get(Attachment, theirs).project_id is None  # still nobody's but its uploader's
    assert api.task_of("inspector_lj", pid, "first_visit")["id"] == task_id  # nothing was completed


def test_the_api_links_the_photos_and_drops_the_drafts_with_the_step(app, api, pages, client, clock):
    from webapp.persistence.models import TaskDraft

    pid, task_id = _first_visit(pages, client)
    _upload(client, task_id, "mine.jpg", jpeg_bytes())  # a draft, with the photo uploaded
    with app.app_context():
        mine = db.session.query(Attachment).one().id
        assert db.session.get(TaskDraft, (task_id, _user_id("inspector_lj"))) is not None
    api.complete("inspector_lj", task_id, {**FIRST_VISIT, "photos": [mine]})
    with app.app_context():
        assert db.session.get(Attachment, mine).project_id == pid
        assert db.session.query(TaskDraft).filter_by(task_id=task_id).count() == 0


def _user_id(username: str) -> int:
    from webapp.persistence.models import User

    return db.session.query(User).filter_by(username=username).one().id


def _gif() -> bytes:
    out = BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    return out.getvalue()
