"""Driving a project through the JSON API: registration, the timer worker."""

from __future__ import annotations

from tests.conftest import registration_data


def register(api, username="owner1", **overrides) -> dict:
    data = registration_data(**overrides)
    if not username.startswith("owner"):
        data.pop("commitment_signed")  # the owner's own commitment: staff never tick it
    resp = api.post(username, "/api/v1/registrations", {"data": data})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def fire_timers(app):
    from webapp.services.lifecycle.timers import fire_due_timers

    with app.app_context():
        return fire_due_timers("test-worker")


def notice_kinds(app, project_id) -> list[str]:
    from webapp.persistence.models import db
    from webapp.persistence.oversight import Notice

    with app.app_context():
        return [n.kind for n in db.session.query(Notice).filter_by(project_id=project_id).order_by(Notice.id)]
