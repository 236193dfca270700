"""The operations page: role admin sees failing timer jobs with their error and retries them."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import ApiClient, registration_data


def _incident(app, clock, monkeypatch) -> int:
    from webapp.persistence.models import TimerJob, db
    from webapp.services.lifecycle import instances, timers

    api = ApiClient(app.test_client())
    pid = api.post(
        "owner1", "/api/v1/registrations", {"data": registration_data(risk_flags=["DEMOLITION"])}
    ).get_json()["id"]
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "first_visit")["id"],
        {"site_matches": "yes", "site_status": "IN_PROGRESS"},
    )
    clock.advance(days=7, seconds=1)
    monkeypatch.setattr(instances, "fire_timers", lambda instance_id: 1 / 0)
    for _ in range(timers.MAX_ATTEMPTS):
        with app.app_context():
            timers.fire_due_timers("w")
        clock.advance(hours=2)
    with app.app_context():
        job = db.session.scalar(select(TimerJob))
        assert job.status == "incident"
        return job.instance_id


def _login(client, username: str) -> None:
    client.post("/logout")
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302


def test_ops_page_lists_the_error_and_retries(app, client, clock, monkeypatch):
    instance_id = _incident(app, clock, monkeypatch)
    for username in ("inspector_lj", "admin_sm", "city"):
        _login(client, username)
        assert client.get("/ops").status_code == 403, username
        assert client.post(f"/ops/incidents/{instance_id}/retry").status_code == 403, username
    _login(client, "ops")
    html = client.get("/ops").get_data(as_text=True)
    assert "ZeroDivisionError: division by zero" in html and 'href="/ops"' in html
    assert client.post(f"/ops/incidents/{instance_id}/retry").status_code == 302
    assert 'data-testid="no-incidents"' in client.get("/ops").get_data(as_text=True)


def test_ops_page_lists_an_external_task_incident_and_puts_it_back(app, client, clock):
    api = ApiClient(app.test_client())
    api.post("owner1", "/api/v1/registrations", {"data": registration_data(investment_wan=300, floor_area_m2=800)})
    fetch = {"topics": ["permit-referral"], "worker_id": "w1"}
    task_id = api.post("permit_system", "/api/v1/external-tasks/fetch-and-lock", fetch).get_json()[0]["id"]
    api.post(
        "permit_system",
        f"/api/v1/external-tasks/{task_id}/failure",
        {"worker_id": "w1", "message": "许可系统拒绝连接", "retries": 0},
    )
    _login(client, "ops")
    html = client.get("/ops").get_data(as_text=True)
    assert "许可系统拒绝连接" in html and "permit-referral" in html
    assert "定时任务与外部任务故障" in html  # the heading names both kinds it lists
    assert f'action="/ops/external-tasks/{task_id}/retry"' in html
    assert client.post(f"/ops/external-tasks/{task_id}/retry").status_code == 302
    assert [t["id"] for t in api.post("permit_system", "/api/v1/external-tasks/fetch-and-lock", fetch).get_json()] == [
        task_id
    ]
