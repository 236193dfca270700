"""A user's own rows (saved inbox filters, notifications, task drafts) are theirs alone: a route
that names another user's row by id answers 404 before its view runs (the access table's check,
policy.owns), as for a row that does not exist; the services ask the same predicate."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.persistence.daily import Notification, SavedFilter
from webapp.persistence.models import User, db


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _bearer(api, username: str) -> dict:
    return {"Authorization": f"Bearer {api.token(username)}"}


def test_another_users_saved_filter_is_not_found_on_the_page_and_in_the_api(app, api, pages, client):
    fid = api.post("inspector_lj", "/api/v1/inbox/filters", {"name": "逾期", "params": {"overdue": True}}).get_json()[
        "id"
    ]
    pages.login("inspector_hl")
    assert client.post(f"/inbox/filters/{fid}/delete").status_code == 404
    assert api.client.delete(f"/api/v1/inbox/filters/{fid}", headers=_bearer(api, "inspector_hl")).status_code == 404
    with app.app_context():
        assert db.session.get(SavedFilter, fid) is not None
    # A filter that is gone: the page shows what is left, the API says so, both as before.
    assert client.post("/inbox/filters/999999/delete").status_code == 302
    pages.login("inspector_lj")
    deleted = client.post(f"/inbox/filters/{fid}/delete")
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith("/inbox")
    with app.app_context():
        assert db.session.get(SavedFilter, fid) is None


def test_the_service_refuses_another_users_filter_too(app, api):
    from webapp.services.errors import NotFound
    from webapp.services.inbox import saved_filters

    fid = api.post("inspector_lj", "/api/v1/inbox/filters", {"name": "最新", "params": {"sort": "created"}}).get_json()[
        "id"
    ]
    with app.app_context():
        with pytest.raises(NotFound):
            saved_filters.delete(_user("inspector_hl"), fid)
        saved_filters.delete(_user("inspector_lj"), fid)
        assert db.session.get(SavedFilter, fid) is None


@pytest.fixture
def note(app):
    """An unread notification of inspector_lj's, pointing to the inbox."""
    from webapp.services.notifications.centre import Event, notify

    with app.app_context():
        (nid,) = notify([_user("inspector_lj").id], Event("mention", "mention:test", "有人提到你", link="/inbox"))
        db.session.commit()
    return nid


def _read_at(app, nid: int):
    with app.app_context():
        return db.session.get(Notification, nid).read_at


def test_opening_another_users_notification_is_not_found_and_marks_nothing(app, api, pages, client, note):
    pages.login("inspector_hl")
    assert client.post(f"/notifications/open/{note}").status_code == 404
    marked = api.post("inspector_hl", "/api/v1/notifications/read", {"ids": [note]})
    assert marked.status_code == 200 and marked.get_json()["marked"] == 0
    assert _read_at(app, note) is None
    # One that is gone: the list, as before.
    gone = client.post("/notifications/open/999999")
    assert gone.status_code == 302 and gone.headers["Location"].endswith("/notifications")
    pages.login("inspector_lj")
    opened = client.post(f"/notifications/open/{note}")
    assert opened.status_code == 302 and opened.headers["Location"] == "/inbox"
    assert _read_at(app, note) is not None


def test_the_service_refuses_to_open_another_users_notification(app, note):
    from webapp.services.errors import NotFound
    from webapp.services.notifications import centre

    with app.app_context():
        with pytest.raises(NotFound):
            centre.open_one(_user("inspector_hl"), note)
        assert db.session.get(Notification, note).read_at is None
        assert centre.open_one(_user("inspector_lj"), note) == "/inbox"
        assert centre.open_one(_user("inspector_lj"), 999999) is None


def test_a_task_draft_is_read_by_its_author_only(app, pages):
    from webapp.services.inbox import drafts

    pid = pages.register()
    task_id = pages.task_of(pid, "first_visit")
    with app.app_context():
        drafts.save(_user("inspector_lj"), task_id, {"mismatch_note": "草稿说明"})
        assert drafts.load(_user("supervisor_lj"), task_id) is None  # sees the task, not the draft
        data, _saved_at = drafts.load(_user("inspector_lj"), task_id)
        assert data == {"mismatch_note": "草稿说明"}
