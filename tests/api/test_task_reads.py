"""Opening a task and submitting it: the request reads the task's step once (the access check's
read serves the view), the submission starts from the workflow the opening read when the instance
has not changed since, and answers with the project's tasks as the step wrote them."""

from __future__ import annotations

from tests.conftest import BOTH_BACKENDS
from tests.helpers.lifecycle import register
from webapp.domain import engine

pytestmark = BOTH_BACKENDS
FIRST_VISIT = {"site_matches": "yes", "site_status": "IN_PROGRESS"}
DECLARED = {
    "actual_end": "2026-12-10",
    "scaffold_removed": True,
    "temp_power_removed": True,
    "debris_cleared": True,
    "no_structural_change": True,
}
KEPT = (
    "id",
    "element_id",
    "title",
    "form_key",
    "role",
    "priority",
    "due_at",
    "created_at",
    "project_id",
    "reg_no",
    "stage",
    "status",
    "street_code",
)


def _tasks(api, username, pid) -> list[dict]:
    return [{key: row[key] for key in KEPT} for row in api.project(username, pid)["tasks"]]


def test_the_answer_names_the_tasks_the_step_left(app, api, clock):
    pid = register(api)["id"]
    task = api.task_of("inspector_lj", pid, "first_visit")["id"]
    assert api.get("inspector_lj", f"/api/v1/tasks/{task}").status_code == 200
    done = api.complete("inspector_lj", task, FIRST_VISIT)
    assert done["next_tasks"] and [t["element_id"] for t in done["next_tasks"]] == ["declare_completion"]
    assert [{key: row[key] for key in KEPT} for row in done["next_tasks"]] == _tasks(api, "inspector_lj", pid)


def test_a_submission_after_the_instance_changed_starts_from_its_state_now(app, api, clock, monkeypatch):
    pid = register(api)["id"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"], FIRST_VISIT)
    declare = api.task_of("owner1", pid, "declare_completion")["id"]
    assert api.get("owner1", f"/api/v1/tasks/{declare}").status_code == 200  # the workflow read and parked
    # Meanwhile another process (its own parked workflows) asks for an ad-hoc inspection, which
    # changes the instance: the workflow parked here is out of date.
    with monkeypatch.context() as elsewhere:
        elsewhere.setattr(engine, "_PARKED", engine._Parking())
        assert api.post("inspector_lj", f"/api/v1/projects/{pid}/inspections", {"reason": "抽查"}).status_code == 201
    done = api.complete("owner1", declare, DECLARED)
    assert "adhoc_inspection" in [t["element_id"] for t in done["next_tasks"]]
    assert [{key: row[key] for key in KEPT} for row in done["next_tasks"]] == _tasks(api, "inspector_lj", pid)
    adhoc = api.task_of("inspector_lj", pid, "adhoc_inspection")
    assert api.get("inspector_lj", f"/api/v1/tasks/{adhoc['id']}").status_code == 200
