"""Running projects and new versions: they stay on theirs, or move with a preview, or are refused."""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers.designer import (
    BRIEFING_DATA,
    FIRST_VISIT_DATA,
    shipped_bpmn,
    upload,
    with_briefing_after_first_visit,
    without_first_visit,
)
from tests.helpers.lifecycle import register

ADHOC = {"adhoc", "adhoc_requested"}


def deploy(api, bpmn: str) -> dict:
    resp = upload(api, {"small_works.bpmn": bpmn})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def version_of(app, project_id: int) -> int:
    from webapp.persistence.models import ProcessInstance, ProcessVersion, db

    with app.app_context():
        instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.project_id == project_id))
        return db.session.get(ProcessVersion, instance.version_id).version


def migrate(api, project_id: int, version: int, dry_run: bool = False, username: str = "designer"):
    return api.post(username, f"/api/v1/projects/{project_id}/migrate", {"version": version, "dry_run": dry_run})


def test_a_project_on_version_1_keeps_working_after_version_2(app, api):
    old = register(api)["id"]
    deploy(api, with_briefing_after_first_visit(shipped_bpmn()))
    new = register(api)["id"]
    assert (version_of(app, old), version_of(app, new)) == (1, 2)

    api.complete("inspector_lj", api.task_of("inspector_lj", old, "first_visit")["id"], FIRST_VISIT_DATA)
    assert api.tasks("inspector_lj", "safety_briefing") == []
    assert api.task_of("owner1", old, "declare_completion")

    api.complete("inspector_lj", api.task_of("inspector_lj", new, "first_visit")["id"], FIRST_VISIT_DATA)
    api.complete("inspector_lj", api.task_of("inspector_lj", new, "safety_briefing")["id"], BRIEFING_DATA)
    assert api.task_of("owner1", new, "declare_completion")
    assert version_of(app, old) == 1


def test_migrating_moves_the_project_to_version_2_and_it_continues_there(app, api):
    pid = register(api)["id"]
    task_before = api.task_of("inspector_lj", pid, "first_visit")["id"]
    deploy(api, with_briefing_after_first_visit(shipped_bpmn()))

    resp = migrate(api, pid, 2, dry_run=True)
    assert resp.status_code == 200, resp.get_json()
    preview = resp.get_json()
    assert (preview["ok"], preview["migrated"], preview["from_version"], preview["to_version"]) == (True, False, 1, 2)
    # The ad-hoc inspection's event sub-process listens beside every step (ADHOC).
    assert (
        [s["id"] for s in preview["before"] if s["id"] not in ADHOC]
        == [s["id"] for s in preview["after"] if s["id"] not in ADHOC]
        == ["first_visit"]
    )
    assert preview["affected"] == [
        {"id": "first_visit", "name": "首次核实", "state": "READY", "attributes": ["outputs"]}
    ]
    assert preview["changes"]["added"] == [{"id": "safety_briefing", "name": "安全交底确认"}]
    assert version_of(app, pid) == 1  # a dry run changes nothing

    resp = migrate(api, pid, 2)
    assert resp.status_code == 200 and resp.get_json()["migrated"] is True
    assert version_of(app, pid) == 2
    history = api.project("owner1", pid)["history"]
    migration = [h for h in history if h["kind"] == "migration"]
    assert len(migration) == 1 and migration[0]["actor"] == "designer"
    assert migration[0]["title"] == "流程版本 v1 → v2" and migration[0]["data"]["to"] == 2

    # The same task, still in the same inbox; completing it now leads into version 2's new task.
    assert api.task_of("inspector_lj", pid, "first_visit")["id"] == task_before
    api.complete("inspector_lj", task_before, FIRST_VISIT_DATA)
    briefing = api.task_of("inspector_lj", pid, "safety_briefing")
    assert api.project("owner1", pid)["status"] == "待安全交底"
    api.complete("inspector_lj", briefing["id"], BRIEFING_DATA)
    assert api.task_of("owner1", pid, "declare_completion")


def test_a_migration_that_would_strand_a_token_is_refused_with_the_reason(app, api):
    pid = register(api)["id"]
    deploy(api, without_first_visit(shipped_bpmn()))

    resp = migrate(api, pid, 2)
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["ok"] is False and body["migrated"] is False
    assert "首次核实" in body["reason"] and "first_visit" in body["reason"] and "已删除" in body["reason"]
    assert body["message"] == body["reason"]
    assert {"id": "first_visit", "name": "首次核实"} in body["changes"]["removed"]
    assert migrate(api, pid, 2, dry_run=True).get_json()["reason"] == body["reason"]

    # Refused means untouched: still version 1, no migration event, and the project carries on.
    assert version_of(app, pid) == 1
    assert not [h for h in api.project("owner1", pid)["history"] if h["kind"] == "migration"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"], FIRST_VISIT_DATA)
    assert api.task_of("owner1", pid, "declare_completion")

    # Further along, past 首次核实, the same version 2 is safe.
    resp = migrate(api, pid, 2)
    assert resp.status_code == 200, resp.get_json()
    assert version_of(app, pid) == 2
    assert api.task_of("owner1", pid, "declare_completion")


def test_version_preview_lists_running_projects_and_a_selection_migrates(app, api):
    at_first_visit = register(api)["id"]
    further = register(api)["id"]
    api.complete("inspector_lj", api.task_of("inspector_lj", further, "first_visit")["id"], FIRST_VISIT_DATA)
    v2 = deploy(api, without_first_visit(shipped_bpmn()))

    resp = api.get("designer", f"/api/v1/process-versions/{v2['id']}/migration")
    assert resp.status_code == 200, resp.get_json()
    preview = resp.get_json()
    rows = {r["project_id"]: r for r in preview["projects"]}
    assert set(rows) == {at_first_visit, further}
    assert rows[at_first_visit]["ok"] is False and "first_visit" in rows[at_first_visit]["reason"]
    assert rows[further]["ok"] is True
    assert {s["id"] for s in rows[further]["before"]} - ADHOC == {
        "declare_completion",
        "patrol_due",
        "completion_reminder_due",
        "completion_overdue",
    }
    assert {"id": "first_visit", "name": "首次核实"} in preview["changes"]["1"]["removed"]

    resp = api.post(
        "designer", f"/api/v1/process-versions/{v2['id']}/migration", {"project_ids": [at_first_visit, further]}
    )
    results = {r["project_id"]: r for r in resp.get_json()}
    assert results[further]["migrated"] is True and results[at_first_visit]["migrated"] is False
    assert (version_of(app, at_first_visit), version_of(app, further)) == (1, 2)
    remaining = api.get("designer", f"/api/v1/process-versions/{v2['id']}/migration").get_json()["projects"]
    assert [r["project_id"] for r in remaining] == [at_first_visit]


def test_a_waiting_timer_keeps_its_due_time_across_a_migration(app, api, clock):
    from webapp.persistence.models import TimerJob, db

    pid = register(api)["id"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"], FIRST_VISIT_DATA)
    with app.app_context():
        due_before = db.session.scalars(select(TimerJob.due_at)).one()
    clock.advance(hours=5)
    deploy(api, with_briefing_after_first_visit(shipped_bpmn()))
    resp = migrate(api, pid, 2)
    assert resp.status_code == 200, resp.get_json()
    patrol_due = [s for s in resp.get_json()["after"] if s["id"] == "patrol_due"]
    assert len(patrol_due) == 1
    with app.app_context():
        assert db.session.scalars(select(TimerJob.due_at)).one() == due_before


def test_only_designers_migrate(app, api):
    pid = register(api)["id"]
    deploy(api, with_briefing_after_first_visit(shipped_bpmn()))
    for username in ("inspector_lj", "supervisor_lj", "owner1", "ops"):
        assert migrate(api, pid, 2, username=username).status_code == 403
    assert migrate(api, pid, 7).status_code == 404
    assert migrate(api, 99999, 2).status_code == 404
    assert version_of(app, pid) == 1


def test_a_project_changed_while_migrating_is_reported_and_the_others_move(app, api, monkeypatch):
    from webapp.services.errors import StaleRevision
    from webapp.services.lifecycle import instances

    first, second = register(api)["id"], register(api)["id"]
    v2 = deploy(api, with_briefing_after_first_visit(shipped_bpmn()))
    save = instances.save_migrated

    def lose_the_race_for_first(step, *args, **kwargs):
        if step.project.id == first:
            raise StaleRevision("the project changed meanwhile")
        return save(step, *args, **kwargs)

    monkeypatch.setattr(instances, "save_migrated", lose_the_race_for_first)
    resp = api.post("designer", f"/api/v1/process-versions/{v2['id']}/migration", {"project_ids": [first, second]})
    rows = {r["project_id"]: r for r in resp.get_json()}
    assert rows[first]["migrated"] is False and "重试" in rows[first]["reason"]
    assert rows[second]["migrated"] is True
    assert (version_of(app, first), version_of(app, second)) == (1, 2)
