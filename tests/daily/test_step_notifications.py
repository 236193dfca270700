"""What a step tells people (new tasks, notices issued) and what a cancelled task answers."""

from __future__ import annotations

from tests.conftest import registration_data


def fire(app):
    from webapp.services.lifecycle.timers import fire_due_timers

    with app.app_context():
        return fire_due_timers("test-worker")


def kinds(api, user):
    return [(n["kind"], n["title"]) for n in api.get(user, "/api/v1/notifications").get_json()["items"]]


def test_new_tasks_and_notices_are_announced_and_a_cancelled_task_says_why(app, api, clock):
    pid = api.post("owner1", "/api/v1/registrations", {"data": registration_data()}).get_json()["id"]
    assert ("new_task", "首次核实") in kinds(api, "inspector_lj")
    assert {k for k, _ in kinds(api, "owner1")} == {"notice"}  # receipt, risk notice, commitment
    assert ("notice", "小散工程和零星作业登记回执") in kinds(api, "owner1")
    first = api.task_of("inspector_lj", pid, "first_visit")
    api.complete("inspector_lj", first["id"], {"site_matches": "yes", "site_status": "IN_PROGRESS"})
    clock.advance(days=14, seconds=1)
    assert fire(app) == 1
    assert ("new_task", "日常巡查") in kinds(api, "inspector_lj")
    patrol = api.task_of("inspector_lj", pid, "patrol")
    codes = {i["code"] for i in api.get("inspector_lj", f"/api/v1/tasks/{patrol['id']}").get_json()["checklist"]}
    checklist = dict.fromkeys(codes, "OK")
    checklist["D02"] = "NOK"
    api.complete(
        "inspector_lj",
        patrol["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist,
            "outcome": "rectify",
            "hazard_severity": "GENERAL",
            "hazard_description": "临时用电电线乱拉乱接",
        },
    )
    owner = kinds(api, "owner1")
    assert ("notice", "责令限期整改通知书") in owner and ("new_task", "整改并提交整改材料") in owner
    evidence = api.task_of("owner1", pid, "submit_evidence")
    clock.advance(days=4)
    fire(app)
    assert api.tasks("owner1", "submit_evidence") == []
    late = api.post("owner1", f"/api/v1/tasks/{evidence['id']}/complete", {"data": {}})
    assert late.status_code == 409 and late.get_json()["message"].startswith("任务已取消（")
    message = late.get_json()["message"]
    assert message.startswith("任务已取消（整改逾期") and "the task was cancelled (整改逾期" in message
