"""Stand-ins, bulk claim/release/assign, inbox sort and saved filters: API and pages."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import registration_data
from tests.helpers.lifecycle import to_patrol
from tests.helpers.pages import Pages


def _three_projects(api, clock) -> list[int]:
    ids = []
    for n in range(3):
        ids.append(
            api.post("owner1", "/api/v1/registrations", {"data": registration_data(title=f"店面装修 {n}")}).get_json()[
                "id"
            ]
        )
        clock.advance(minutes=10)
    return ids


def _user_id(app, username):
    from webapp.persistence.models import User, db

    with app.app_context():
        return db.session.scalar(db.select(User.id).where(User.username == username))


def test_sort_bulk_claim_and_a_stand_in_through_the_api(app, api, clock):
    pids = _three_projects(api, clock)
    due = [t["project_id"] for t in api.get("inspector_lj", "/api/v1/tasks").get_json()]
    created = [t["project_id"] for t in api.get("inspector_lj", "/api/v1/tasks?sort=created").get_json()]
    assert due == pids and created == pids[::-1]
    assert api.get("inspector_lj", "/api/v1/tasks?sort=sideways").status_code == 422
    tasks = [t["id"] for t in api.get("inspector_lj", "/api/v1/tasks").get_json()]

    claimed = api.post("inspector_lj", "/api/v1/tasks/bulk", {"action": "claim", "task_ids": tasks + ["gone"]})
    assert claimed.get_json()["done"] == tasks and list(claimed.get_json()["refused"]) == ["gone"]
    mine = api.get("inspector_lj", "/api/v1/tasks?claimed=mine").get_json()
    assert {t["claimed_by_id"] for t in mine} == {_user_id(app, "inspector_lj")} and len(mine) == 3

    # inspector_lj goes on leave; the supervisor stands in and finds the tasks under 我的.
    inspector, supervisor = _user_id(app, "inspector_lj"), _user_id(app, "supervisor_lj")
    now = clock.now()
    leave = api.post(
        "supervisor_lj",
        "/api/v1/standins",
        {
            "user_id": inspector,
            "stand_in_id": supervisor,
            "starts": (now - timedelta(hours=1)).isoformat(),
            "ends": (now + timedelta(days=2)).isoformat(),
        },
    )
    assert leave.status_code == 201, leave.get_json()
    assert leave.get_json()["stand_in"] == "鹭江街道负责人黄"
    overlap = api.post(
        "supervisor_lj",
        "/api/v1/standins",
        {
            "user_id": inspector,
            "stand_in_id": supervisor,
            "starts": now.isoformat(),
            "ends": (now + timedelta(days=1)).isoformat(),
        },
    )
    assert overlap.status_code == 422 and "starts" in overlap.get_json()["errors"]
    covered = api.get("supervisor_lj", "/api/v1/tasks?claimed=mine").get_json()
    assert sorted(t["id"] for t in covered) == sorted(tasks)
    api.complete("supervisor_lj", tasks[0], {"site_matches": "yes", "site_status": "IN_PROGRESS"})
    assert (
        api.post("inspector_hl", f"/api/v1/tasks/{tasks[1]}/complete", {"data": {"site_matches": "yes"}}).status_code
        == 404
    )
    # The leave ends: the tasks are the inspector's alone again.
    clock.advance(days=3)
    assert api.get("supervisor_lj", "/api/v1/tasks?claimed=mine").get_json() == []
    assert (
        api.post(
            "supervisor_lj",
            f"/api/v1/tasks/{tasks[1]}/complete",
            {"data": {"site_matches": "yes", "site_status": "IN_PROGRESS"}},
        ).status_code
        == 403
    )

    # The supervisor hands the rest back, then assigns them in bulk.
    released = api.post("supervisor_lj", "/api/v1/tasks/bulk", {"action": "release", "task_ids": tasks[1:]})
    assert released.get_json() == {"done": tasks[1:], "refused": {}}
    assigned = api.post(
        "supervisor_lj", "/api/v1/tasks/bulk", {"action": "assign", "task_ids": tasks[1:], "assignee_id": inspector}
    )
    assert assigned.get_json()["done"] == tasks[1:]
    refused = api.post(
        "inspector_lj", "/api/v1/tasks/bulk", {"action": "assign", "task_ids": tasks[1:], "assignee_id": inspector}
    )
    assert refused.get_json()["done"] == [] and len(refused.get_json()["refused"]) == 2


def test_saved_filters_through_the_api(app, api):
    saved = api.post(
        "inspector_lj",
        "/api/v1/inbox/filters",
        {"name": "逾期优先", "params": {"overdue": True, "sort": "priority", "junk": "x"}},
    )
    assert saved.status_code == 201 and saved.get_json()["params"] == {"overdue": "True", "sort": "priority"}
    again = api.post("inspector_lj", "/api/v1/inbox/filters", {"name": "逾期优先", "params": {"sort": "created"}})
    assert again.get_json()["id"] == saved.get_json()["id"] and again.get_json()["query"] == "sort=created"
    assert [f["name"] for f in api.get("inspector_lj", "/api/v1/inbox/filters").get_json()] == ["逾期优先"]
    assert api.get("inspector_hl", "/api/v1/inbox/filters").get_json() == []
    headers = lambda u: {"Authorization": f"Bearer {api.token(u)}"}  # noqa: E731
    fid = saved.get_json()["id"]
    assert api.client.delete(f"/api/v1/inbox/filters/{fid}", headers=headers("inspector_hl")).status_code == 404
    assert api.client.delete(f"/api/v1/inbox/filters/{fid}", headers=headers("inspector_lj")).status_code == 204
    assert api.post("inspector_lj", "/api/v1/inbox/filters", {"name": " "}).status_code == 422


def test_inbox_page_sorts_saves_filters_bulk_claims_and_stand_ins(app, client, clock, api):
    pids = _three_projects(api, clock)
    pages = Pages(client)
    pages.login("inspector_lj")
    page = client.get("/inbox?sort=created").get_data(as_text=True)
    regs = re.findall(r'data-reg-no="([^"]+)"', page)
    assert len(regs) == 3 and regs == sorted(regs, reverse=True)
    assert re.search(r'<option value="created" selected>', page)
    saved = client.post("/inbox/filters", data={"name": "最新", "sort": "created"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/inbox?sort=created")
    assert ">最新</a>" in client.get("/inbox").get_data(as_text=True)
    ids = pages.task_ids()
    resp = client.post("/inbox/bulk", data={"bulk": "claim", "task_ids": ids, "next": "/inbox"})
    assert resp.status_code == 302
    assert "3 项任务已处理" in client.get("/inbox").get_data(as_text=True)
    assert len(client.get("/inbox?claimed=mine").get_data(as_text=True).split('data-reg-no="')) == 4
    # The supervisor's stand-in page.
    pages.login("supervisor_lj")
    inspector, supervisor = _user_id(app, "inspector_lj"), _user_id(app, "supervisor_lj")
    bad = client.post(
        "/standins", data={"user_id": inspector, "stand_in_id": inspector, "starts": "2026-12-01", "ends": "2026-12-03"}
    )
    assert bad.status_code == 422 and "请选择本街道的另一名同事" in bad.get_data(as_text=True)
    ok = client.post(
        "/standins",
        data={"user_id": inspector, "stand_in_id": supervisor, "starts": "2026-12-01", "ends": "2026-12-03"},
    )
    assert ok.status_code == 302
    listing = client.get("/standins").get_data(as_text=True)
    assert "鹭江巡查员王" in listing.split('data-testid="standins"')[1]
    assert len(client.get("/inbox?claimed=mine").get_data(as_text=True).split('data-reg-no="')) == 4
    assert pids


def test_all_ok_without_javascript_marks_the_unanswered_items(app, client, clock, api):
    _, patrol = to_patrol(app, api, clock)
    pages = Pages(client)
    pages.login("inspector_lj")
    resp = client.post(
        f"/tasks/{patrol['id']}", data={"task_id": patrol["id"], "action": "all_ok", "checklist.D02": "NOK"}
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已将全部检查项标为合格" in page
    assert re.search(r'name="checklist.D02" value="NOK" checked', page)
    assert len(re.findall(r'value="OK" checked', page)) >= 10
    assert api.tasks("inspector_lj", "patrol")  # nothing submitted
