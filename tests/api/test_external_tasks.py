"""Issue 18: service tasks wait for external workers (fetch-and-lock, complete, failure, extend-lock),
incidents when a worker gives up, the human fallback, scopes of integration tokens."""

from __future__ import annotations

import json

from tests.conftest import BOTH_BACKENDS
from tests.helpers.lifecycle import fire_timers, notice_kinds, register

FETCH = "/api/v1/external-tasks/fetch-and-lock"


def over_limit(api, **kw) -> int:
    return register(api, investment_wan=300, floor_area_m2=800, **kw)["id"]


def fetch(api, user="permit_system", topics=("permit-referral",), worker="w1", **kw):
    resp = api.post(user, FETCH, {"topics": list(topics), "worker_id": worker, **kw})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def history(app, pid) -> list[tuple[str, str | None, dict | None]]:
    from webapp.persistence.models import HistoryEvent, db

    with app.app_context():
        rows = db.session.query(HistoryEvent).filter_by(project_id=pid).order_by(HistoryEvent.id)
        return [(r.kind, r.actor_name, json.loads(r.data_json) if r.data_json else None) for r in rows]


@BOTH_BACKENDS
def test_an_over_limit_registration_is_fetched_and_completed_with_a_permit_decision(app, api, clock):
    pid = over_limit(api)
    reg_no = api.project("owner1", pid)["reg_no"]
    tasks = fetch(api, lock_seconds=120)
    assert [(t["topic"], t["element_id"], t["reg_no"]) for t in tasks] == [("permit-referral", "refer_permit", reg_no)]
    task = tasks[0]
    # Only what the element names leaves the platform: no identity number, no phone.
    assert task["variables"]["title"] == "鹭江道 88 号店面装修" and task["variables"]["investment_wan"] == 300
    assert "owner_id_no" not in task["variables"] and "owner_phone" not in task["variables"]
    assert task["worker_id"] == "w1" and task["locked_until"].startswith("2026-12-01T01:02")
    # Locked: another worker gets nothing until the lock expires.
    assert fetch(api, worker="w2") == []
    # The answer is checked by the element's form (Chinese first), and nothing moves.
    bad = api.post(
        "permit_system",
        f"/api/v1/external-tasks/{task['id']}/complete",
        {"worker_id": "w1", "variables": {"work_started": "maybe"}},
    )
    assert bad.status_code == 422 and "work_started" in bad.get_json()["errors"]
    other = api.post(
        "permit_system",
        f"/api/v1/external-tasks/{task['id']}/complete",
        {"worker_id": "w2", "variables": {"work_started": "no"}},
    )
    assert other.status_code == 409
    done = api.post(
        "permit_system",
        f"/api/v1/external-tasks/{task['id']}/complete",
        {"worker_id": "w1", "variables": {"work_started": "no", "permit_case_no": "XMZJ-2026-0001"}},
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "已转施工许可监管"
    assert api.project("owner1", pid)["status"] == "已转施工许可监管"
    again = api.post(
        "permit_system",
        f"/api/v1/external-tasks/{task['id']}/complete",
        {"worker_id": "w1", "variables": {"work_started": "no"}},
    )
    assert again.status_code == 409
    kinds = [(kind, actor) for kind, actor, _ in history(app, pid)]
    assert ("external_task_waiting", "system") in kinds and ("external_task_locked", "permit_system") in kinds
    completed = [data for kind, _, data in history(app, pid) if kind == "external_task_completed"]
    assert completed == [
        {
            "topic": "permit-referral",
            "worker_id": "w1",
            "variables": {"work_started": "no", "permit_case_no": "XMZJ-2026-0001", "handling_note": None},
        }
    ]
    # In the audit trail too.
    trail = api.get("auditor", "/api/v1/audit?action=external_task_completed").get_json()["items"]
    assert [e["actor"] for e in trail] == ["permit_system"]


def test_a_started_site_reported_by_the_worker_stops_work_and_hands_over(app, api, clock):
    pid = over_limit(api)
    task = fetch(api)[0]
    api.post(
        "permit_system",
        f"/api/v1/external-tasks/{task['id']}/complete",
        {"worker_id": "w1", "variables": {"work_started": "yes", "handling_note": "现场已施工"}},
    )
    assert api.project("owner1", pid)["status"] == "未批先建，已停工并移交执法"
    assert notice_kinds(app, pid) == ["permit_required", "stop_work", "handover"]


def test_three_failures_raise_an_incident_listed_for_operations(app, api, clock):
    pid = over_limit(api)
    task_id = fetch(api)[0]["id"]
    for left in (2, 1, 0):
        resp = api.post(
            "permit_system",
            f"/api/v1/external-tasks/{task_id}/failure",
            {"worker_id": "w1", "message": "许可系统接口超时", "retry_timeout": 30},
        )
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["retries"] == left
        if left:
            assert fetch(api) == []  # waits out retry_timeout
            clock.advance(seconds=31)
            assert [t["id"] for t in fetch(api)] == [task_id]
    assert resp.get_json()["status"] == "incident"
    assert fetch(api) == []  # an incident is nobody's to fetch
    incidents = api.get("ops", "/api/v1/ops/incidents").get_json()
    mine = [i for i in incidents if i.get("kind") == "external_task"]
    assert [(i["external_task_id"], i["topic"], i["status"], i["last_error"], i["reg_no"]) for i in mine] == [
        (task_id, "permit-referral", "incident", "许可系统接口超时", api.project("owner1", pid)["reg_no"])
    ]
    assert [k for k, _, _ in history(app, pid)].count("external_task_failed") == 3
    assert "incident_raised" in [k for k, _, _ in history(app, pid)]
    # An operator puts it back; the worker can fetch it again.
    assert api.post("ops", f"/api/v1/ops/external-tasks/{task_id}/retry").status_code == 200
    assert [t["id"] for t in fetch(api)] == [task_id]


def test_staff_take_over_when_no_worker_answers_in_the_district_time(app, api, clock):
    from tests.api.test_rules_act import set_rules

    set_rules(api, {"permit_referral_answer_within": "PT2H"})  # P-34a
    pid = over_limit(api)
    task_id = fetch(api)[0]["id"]
    clock.advance(hours=2, seconds=1)
    assert fire_timers(app) == 1
    assert api.task_of("housing_sm", pid, "permit_referral")["title"] == "接收转施工许可监管"
    late = api.post(
        "permit_system",
        f"/api/v1/external-tasks/{task_id}/complete",
        {"worker_id": "w1", "variables": {"work_started": "no"}},
    )
    assert late.status_code == 409 and "已取消" in late.get_json()["message"]
    assert "external_task_cancelled" in [k for k, _, _ in history(app, pid)]


def test_extend_lock_keeps_the_task_from_other_workers(app, api, clock):
    over_limit(api)
    task_id = fetch(api, lock_seconds=60)[0]["id"]
    resp = api.post(
        "permit_system", f"/api/v1/external-tasks/{task_id}/extend-lock", {"worker_id": "w1", "lock_seconds": 600}
    )
    assert resp.status_code == 200 and resp.get_json()["locked_until"].startswith("2026-12-01T01:10")
    clock.advance(seconds=120)
    assert fetch(api, worker="w2") == []
    assert (
        api.post(
            "permit_system", f"/api/v1/external-tasks/{task_id}/extend-lock", {"worker_id": "w2", "lock_seconds": 600}
        ).status_code
        == 409
    )


def test_tokens_are_scoped_to_topics_and_people_cannot_fetch(app, api, clock):
    over_limit(api)
    # The hotline's account has no permit topic: refused, naming it.
    resp = api.post("hotline", FETCH, {"topics": ["permit-referral"], "worker_id": "w"})
    assert resp.status_code == 403 and "permit-referral" in resp.get_json()["message"]
    assert api.post("inspector_lj", FETCH, {"topics": ["permit-referral"], "worker_id": "w"}).status_code == 403
    # A token asked for fewer scopes gets only those; more than the account's is refused.
    narrow = api.client.post(
        "/api/v1/auth/token", json={"username": "permit_system", "password": "demo12345", "scopes": ["permit_decision"]}
    )
    assert narrow.status_code == 200
    headers = {"Authorization": f"Bearer {narrow.get_json()['token']}"}
    assert (
        api.client.post(FETCH, json={"topics": ["permit-referral"], "worker_id": "w"}, headers=headers).status_code
        == 403
    )
    wide = api.client.post(
        "/api/v1/auth/token",
        json={"username": "permit_system", "password": "demo12345", "scopes": ["enforcement-case"]},
    )
    assert wide.status_code == 403
    # Bad input: a clear 422, never a 500.
    assert api.post("permit_system", FETCH, {"topics": [], "worker_id": "w"}).status_code == 422
    assert (
        api.post("permit_system", FETCH, {"topics": ["permit-referral"], "worker_id": "w", "max_tasks": 0}).status_code
        == 422
    )


def test_the_example_worker_runs_the_loop(app, api, clock, monkeypatch, capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "scripts" / "external_worker.py"
    spec = importlib.util.spec_from_file_location("external_worker", path)
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)

    def call(base, path, body, token=None):  # the worker's HTTP, through the test client
        resp = api.client.post(path, json=body, headers={"Authorization": f"Bearer {token}"} if token else {})
        return resp.status_code, resp.get_json()

    monkeypatch.setattr(worker, "call", call)
    pid = over_limit(api)
    assert (
        worker.main(
            [
                "--username",
                "permit_system",
                "--topic",
                "permit-referral",
                "--once",
                "--answer",
                '{"work_started": "no", "handling_note": "示例工作者"}',
            ]
        )
        == 0
    )
    assert "鹭江道 88 号店面装修" in capsys.readouterr().out
    assert api.project("owner1", pid)["status"] == "已转施工许可监管"


def handed_to_enforcement(api, app, clock) -> int:
    from tests.api.test_rules_act import set_rules
    from tests.helpers.lifecycle import stopped_and_handed_over

    set_rules(
        api,
        {
            "enforcement_routing": {"STRUCTURAL_CHANGE": "DISTRICT_ENFORCEMENT"},
            "enforcement_case_answer_within": "PT1H",
        },
    )  # P-34b
    return stopped_and_handed_over(api, app, clock)


def test_the_enforcement_case_system_takes_the_hand_over(app, api, clock):
    pid = handed_to_enforcement(api, app, clock)
    tasks = fetch(api, user="case_system", topics=("enforcement-case",))
    assert [(t["element_id"], t["variables"]["case_unit"]) for t in tasks] == [
        ("send_enforcement_case", "DISTRICT_ENFORCEMENT")
    ]
    resp = api.post(
        "case_system",
        f"/api/v1/external-tasks/{tasks[0]['id']}/complete",
        {"worker_id": "w1", "variables": {"received": True, "case_no": "思综执〔2026〕77号"}},
    )
    assert resp.status_code == 200, resp.get_json()
    # Acknowledged by the system: the department goes straight to its decision.
    assert api.tasks("enforcer_sm", "ack_enforcement") == []
    assert api.task_of("enforcer_sm", pid, "enforcement_decision")


def test_the_department_acknowledges_when_the_case_system_is_silent_for_the_district_time(app, api, clock):
    pid = handed_to_enforcement(api, app, clock)
    assert api.tasks("enforcer_sm", "ack_enforcement") == []
    clock.advance(hours=1, seconds=1)
    fire_timers(app)
    assert api.task_of("enforcer_sm", pid, "ack_enforcement")
    assert fetch(api, user="case_system", topics=("enforcement-case",)) == []
