"""What an API-only client needs: the starting forms with its choices, idempotent completions."""

from __future__ import annotations

from tests.conftest import registration_data


def _completed_rows(api, pid, task_id):
    return [
        h
        for h in api.project("city", pid)["history"]
        if h["kind"] == "task_completed" and h["element_id"] == "first_visit"
    ]


def test_an_idempotency_key_replay_returns_the_first_answer_and_changes_nothing(app, api, clock):
    pid = api.post("owner1", "/api/v1/registrations", {"data": registration_data()}).get_json()["id"]
    task = api.task_of("inspector_lj", pid, "first_visit")
    send = lambda key, task_id=task["id"]: api.client.post(  # noqa: E731
        f"/api/v1/tasks/{task_id}/complete",
        json={"data": {"site_matches": "yes", "site_status": "IN_PROGRESS"}},
        headers={"Authorization": f"Bearer {api.token('inspector_lj')}", "Idempotency-Key": key},
    )
    first = send("patrol-7f3a")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["status"] == "在施（待巡查）" and "Idempotent-Replayed" not in first.headers
    history = api.project("city", pid)["history"]
    again = send("patrol-7f3a")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.project("city", pid)["history"] == history  # nothing changed
    assert len(_completed_rows(api, pid, task["id"])) == 1
    # The same key for another task is refused; without a key a second completion is a 409.
    other = send("patrol-7f3a", task_id="another-task")
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["errors"]
    assert send("").status_code == 409


def test_a_failed_request_releases_its_key(app, api, clock):
    pid = api.post("owner1", "/api/v1/registrations", {"data": registration_data()}).get_json()["id"]
    task = api.task_of("inspector_lj", pid, "first_visit")
    headers = {"Authorization": f"Bearer {api.token('inspector_lj')}", "Idempotency-Key": "k-1"}
    bad = api.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}, headers=headers)
    assert bad.status_code == 422
    good = api.client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"data": {"site_matches": "yes", "site_status": "IN_PROGRESS"}},
        headers=headers,
    )
    assert good.status_code == 200, good.get_json()


def test_registration_form_carries_the_callers_choices_and_registers(app, api, clock):
    resp = api.get("owner1", "/api/v1/forms/registration")
    assert resp.status_code == 200, resp.get_json()
    form = resp.get_json()["definition"]
    by_key = {c.get("key"): c for c in form["components"]}
    streets = {v["value"]: v for v in by_key["street"]["values"]}
    assert streets["350203001"]["label"] == "鹭江街道"
    community = next(v for v in by_key["community"]["values"] if v["street"] == "350203001")
    # An API-only client fills the form from what it was given, and registers.
    data = registration_data(street="350203001", community=community["value"])
    created = api.post("owner1", "/api/v1/registrations", {"data": data})
    assert created.status_code == 201, created.get_json()
    assert api.project("owner1", created.get_json()["id"])["community_code"] == community["value"]


def test_starting_forms_follow_the_callers_reach(app, api):
    # An inspector registers on site in their own street only.
    streets = [
        v["value"]
        for v in {
            c.get("key"): c
            for c in api.get("inspector_lj", "/api/v1/forms/registration").get_json()["definition"]["components"]
        }["street"]["values"]
    ]
    assert streets == ["350203001"]
    lead = api.get("grid_lj", "/api/v1/forms/lead").get_json()["definition"]
    assert [v["value"] for v in {c.get("key"): c for c in lead["components"]}["street"]["values"]] == ["350203001"]
    assert api.get("grid_lj", "/api/v1/forms/registration").status_code == 403
    assert api.get("owner1", "/api/v1/forms/no_such_form").status_code == 404
    # A task's form comes without run-time choices (they come with the task).
    assert api.get("inspector_lj", "/api/v1/forms/patrol").status_code == 200
