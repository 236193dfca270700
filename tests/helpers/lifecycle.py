"""Driving a project through the JSON API: registration, the timer worker."""

from __future__ import annotations

from tests.conftest import registration_data


def register(api, username="owner1", **overrides) -> dict:
    resp = api.post(username, "/api/v1/registrations", {"data": registration_data(**overrides)})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def fire_timers(app):
    from webapp.services.lifecycle.timers import fire_due_timers

    with app.app_context():
        return fire_due_timers("test-worker")
