"""Conflicts, restarts, jurisdiction and a changed diagram: the guarantees around the lifecycle."""

from __future__ import annotations

import threading

from tests.conftest import BOTH_BACKENDS, registration_data
from tests.helpers.designer import BRIEFING_DATA, with_briefing_on
from tests.helpers.lifecycle import register


def test_every_demo_user_gets_a_token_and_bad_passwords_do_not(api, client):
    from webapp.services.organisation.demo import DEMO_USERS

    for username, *_ in DEMO_USERS:
        assert api.token(username)
    wrong = client.post("/api/v1/auth/token", json={"username": "owner1", "password": "nope"})
    ghost = client.post("/api/v1/auth/token", json={"username": "ghost", "password": "nope"})
    assert wrong.status_code == ghost.status_code == 401
    assert wrong.get_json()["message"] == ghost.get_json()["message"]
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_revoked_token_is_refused(api, client):
    token = api.token("owner2")
    assert client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_wrong_form_field_is_named_and_nothing_is_saved(api):
    resp = api.post(
        "owner1", "/api/v1/registrations", {"data": registration_data(owner_phone="12345", bogus="x", title="")}
    )
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert set(errors) == {"owner_phone", "bogus", "title"}
    assert errors["title"] == "此项为必填项"
    resp = api.client.post(
        "/api/v1/registrations",
        json={"data": registration_data(title="")},
        headers={"Authorization": f"Bearer {api.token('owner1')}", "Accept-Language": "en"},
    )
    assert resp.get_json()["errors"]["title"] == "This field is required"
    assert api.get("owner1", "/api/v1/projects").get_json()["total"] == 0

    pid = register(api)["id"]
    task = api.task_of("inspector_lj", pid, "first_visit")
    body = api.complete("inspector_lj", task["id"], {"site_matches": "maybe"}, expect=422)
    assert set(body["errors"]) == {"site_matches", "site_status"}
    assert api.task_of("inspector_lj", pid, "first_visit")["id"] == task["id"]


@BOTH_BACKENDS
def test_completing_twice_gives_409(api):
    pid = register(api)["id"]
    task = api.task_of("inspector_lj", pid, "first_visit")
    data = {"site_matches": "yes", "site_status": "IN_PROGRESS"}
    api.complete("inspector_lj", task["id"], data)
    body = api.complete("inspector_lj", task["id"], data, expect=409)
    assert "no longer ready" in body["message"]


@BOTH_BACKENDS
def test_concurrent_completions_exactly_one_wins(app, api):
    pid = register(api)["id"]
    task = api.task_of("inspector_lj", pid, "first_visit")
    token = api.token("inspector_lj")
    statuses = []
    barrier = threading.Barrier(4)

    def attempt():
        client = app.test_client()
        barrier.wait()
        resp = client.post(
            f"/api/v1/tasks/{task['id']}/complete",
            headers={"Authorization": f"Bearer {token}"},
            json={"data": {"site_matches": "yes", "site_status": "IN_PROGRESS"}},
        )
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    history = api.project("city", pid)["history"]
    assert sum(1 for h in history if h["kind"] == "task_completed") == 1


@BOTH_BACKENDS
def test_new_app_on_same_database_continues_half_done_project(app, api, tmp_path, clock):
    from webapp import create_app
    from webapp.config import Config

    pid = register(api)["id"]
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "first_visit")["id"],
        {"site_matches": "yes", "site_status": "IN_PROGRESS"},
    )
    before = api.project("city", pid)

    fresh = create_app(Config(TESTING=True))
    assert fresh.config["SQLALCHEMY_DATABASE_URI"] == app.config["SQLALCHEMY_DATABASE_URI"]
    from tests.conftest import ApiClient

    other = ApiClient(fresh.test_client())
    after = other.project("city", pid)
    assert after["history"] == before["history"] and after["status"] == before["status"]
    clock.advance(days=15)
    from webapp.services.lifecycle.timers import fire_due_timers

    with fresh.app_context():
        assert fire_due_timers("fresh-worker") == 1
    patrol = other.task_of("inspector_lj", pid, "patrol")
    other.complete(
        "inspector_lj",
        patrol["id"],
        {
            "site_status": "COMPLETED",
            "outcome": "completed",
            "checklist": {
                i["code"]: "NA"
                for i in other.get("inspector_lj", f"/api/v1/tasks/{patrol['id']}").get_json()["checklist"]
            },
        },
    )
    assert other.task_of("inspector_lj", pid, "writeoff")


def test_wrong_jurisdiction_reads_and_completions_are_refused(api):
    pid = register(api)["id"]
    task = api.task_of("inspector_lj", pid, "first_visit")
    data = {"site_matches": "yes", "site_status": "IN_PROGRESS"}
    for username in ("inspector_zh", "inspector_hl", "owner2", "enforcer_sm", "grid_lj", "admin_hl", "designer", "ops"):
        assert api.tasks(username, "first_visit") == [], username
        assert api.post(username, f"/api/v1/tasks/{task['id']}/complete", {"data": data}).status_code in (403, 404)
    for username in ("inspector_zh", "inspector_hl", "owner2", "admin_hl", "designer", "ops"):
        assert api.get(username, f"/api/v1/projects/{pid}").status_code == 404, username
        assert api.get(username, f"/api/v1/tasks/{task['id']}").status_code == 404, username
        assert api.get(username, "/api/v1/projects").get_json()["total"] == 0, username
    for username in (
        "inspector_lj",
        "supervisor_lj",
        "grid_lj",
        "enforcer_sm",
        "housing_sm",
        "admin_sm",
        "city",
        "owner1",
    ):
        assert api.get(username, f"/api/v1/projects/{pid}").status_code == 200, username
        assert api.get(username, "/api/v1/projects").get_json()["total"] == 1, username
    # Street staff cannot register or report outside their street.
    resp = api.post(
        "grid_lj",
        "/api/v1/leads",
        {"data": {"street": "350206001", "address": "湖里", "description": "x", "urgency": "NORMAL"}},
    )
    assert resp.status_code == 422 and "street" in resp.get_json()["errors"]
    assert api.post("enforcer_sm", "/api/v1/registrations", {"data": registration_data()}).status_code == 403
    # The task is still there for the right person.
    api.complete("inspector_lj", task["id"], data)


def test_ledger_filters(api):
    a = register(api, title="甲项目装修")["id"]
    register(api, title="乙项目外墙清洗", street="350203002", community=None)["id"]
    page = api.get("city", "/api/v1/projects?text=甲项目").get_json()
    assert [p["id"] for p in page["items"]] == [a]
    assert api.get("city", "/api/v1/projects?street=350203002").get_json()["total"] == 1
    assert api.get("city", "/api/v1/projects?stage=patrol").get_json()["total"] == 2
    assert api.get("city", "/api/v1/projects?stage=writeoff").get_json()["total"] == 0
    assert api.get("inspector_zh", "/api/v1/projects").get_json()["total"] == 1


def test_extra_user_task_in_a_copy_of_the_bpmn_appears_in_the_inbox(app, api, tmp_path):
    """A designer's change to the diagram changes what users get, with no Python change."""
    from webapp.persistence.models import db
    from webapp.services.designer.versions import deploy, read_directory

    files = read_directory(app.config["PROCESSES_DIR"])
    bpmn = files["small_works.bpmn"]
    bpmn = with_briefing_on(bpmn, "f_to_first_visit", stage="registration")
    assert "safety_briefing" in bpmn and 'targetRef="safety_briefing"' in bpmn
    files["small_works.bpmn"] = bpmn
    with app.app_context():
        version, created = deploy(files, actor="designer")
        db.session.commit()
        assert created and version.version == 2

    pid = register(api)["id"]
    task = api.task_of("inspector_lj", pid, "safety_briefing")
    assert task["title"] == "安全交底确认"
    assert api.project("owner1", pid)["status"] == "待安全交底"
    api.complete("inspector_lj", task["id"], BRIEFING_DATA)
    assert api.task_of("inspector_lj", pid, "first_visit")


def test_openapi_and_healthz(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/auth/token",
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/registrations",
        "/api/v1/leads",
        "/api/v1/projects",
        "/api/v1/projects/{project_id}",
    ):
        assert path in spec["paths"], path
    assert client.get("/healthz").get_json() == {"status": "ok"}
