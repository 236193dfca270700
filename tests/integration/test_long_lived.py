"""A project that is patrolled for years stays as small and as fast as a new one.

Every BPMN loop iteration adds tasks to SpiffWorkflow's tree and, past depth 1000 (about 334
cycles of this loop), the engine silently stops finding ready tasks. The engine splices finished
iterations out (engine.compact_loops); this drives 360 patrol cycles through the service layer.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import registration_data

CYCLES = 360


def _user(username):
    from webapp.persistence.models import User, db

    return db.session.scalar(select(User).where(User.username == username))


def _task(pid, element_id):
    from webapp.persistence.models import InboxTask, db

    return db.session.scalar(select(InboxTask).where(InboxTask.project_id == pid, InboxTask.element_id == element_id))


def _size(pid) -> tuple[int, int, int]:
    from webapp.domain.engine import ProcessRunner
    from webapp.persistence.models import ProcessInstance, ProcessVersion, db
    from webapp.services.designer.versions import bundle_for

    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.project_id == pid))
    runner = ProcessRunner.load(bundle_for(db.session.get(ProcessVersion, instance.version_id)), instance.state)
    return len(instance.state), runner.task_count(), runner.depth()


def _weekly_project(**overrides) -> tuple[int, object, dict]:
    """A high-risk (weekly patrols) project past 首次核实: its id, its inspector, and the data of a
    patrol that finds nothing wrong."""
    from webapp.services.designer import task_forms
    from webapp.services.lifecycle import instances

    owner, inspector = _user("owner1"), _user("inspector_lj")
    data = registration_data(risk_flags=["DEMOLITION"], **overrides)
    pid = instances.register_project(owner, data).id
    instances.complete(inspector, _task(pid, "first_visit").id, {"site_matches": "yes", "site_status": "IN_PROGRESS"})
    items = task_forms.checklist_items(data["risk_flags"], data["object_type"])
    return (
        pid,
        inspector,
        {"site_status": "IN_PROGRESS", "outcome": "no_hazard", "checklist": {item["code"]: "OK" for item in items}},
    )


@pytest.mark.timeout(300)
def test_project_after_hundreds_of_patrol_cycles_is_as_small_as_after_five(app, clock):
    from webapp.services.lifecycle import instances
    from webapp.services.lifecycle.timers import fire_due_timers

    with app.app_context():
        # Planned to last beyond the 360 weeks, so no completion check.
        pid, inspector, patrol = _weekly_project(planned_end="2034-12-31")
        sizes = {}
        for cycle in range(1, CYCLES + 1):
            clock.advance(days=7, seconds=1)
            assert fire_due_timers("test-worker") == 1, cycle
            instances.complete(inspector, _task(pid, "patrol").id, patrol)
            if cycle in (5, 200, CYCLES):
                sizes[cycle] = _size(pid)

        state_5, tasks_5, depth_5 = sizes[5]
        for cycle in (200, CYCLES):
            state, tasks, depth = sizes[cycle]
            assert tasks == tasks_5 and depth == depth_5, sizes
            assert state <= state_5 * 1.05, sizes  # only the growing dates and counters, no tasks
        assert depth_5 < 50

        # Still a working project: the next patrol finds the site finished, and it is written off.
        clock.advance(days=7, seconds=1)
        assert fire_due_timers("test-worker") == 1
        instances.complete(
            inspector, _task(pid, "patrol").id, dict(patrol, site_status="COMPLETED", outcome="completed")
        )
        assert _task(pid, "writeoff") is not None


def _kinds(pid, model):
    from webapp.persistence.models import db

    return [row for row in db.session.scalars(select(model).where(model.project_id == pid))]


def test_an_overdue_site_is_reminded_once_and_then_checked_on_one_path(app, clock):
    """P-18a/b: past the planned end the owner is reminded once (not at every patrol round), and
    when the completion check falls due in the same week as a patrol, only the check interrupts:
    the project does not split into a patrol and a check at once."""
    from webapp.persistence.models import InboxTask
    from webapp.persistence.oversight import Notice
    from webapp.services.lifecycle import instances
    from webapp.services.lifecycle.timers import fire_due_timers

    with app.app_context():
        pid, inspector, patrol = _weekly_project()  # planned end 2027-01-20
        # Weekly rounds from 2026-12-01 until the check (planned end + 30 days = 2027-02-20) is due.
        for _ in range(11):
            clock.advance(days=7, seconds=1)
            fire_due_timers("test-worker")
            instances.complete(inspector, _task(pid, "patrol").id, patrol)
        reminders = [n for n in _kinds(pid, Notice) if n.kind == "completion_reminder"]
        assert len(reminders) == 1, [n.issued_at for n in reminders]

        clock.advance(days=7, seconds=1)  # 2027-02-23: the patrol and the check are both due
        fire_due_timers("test-worker")
        assert sorted(t.element_id for t in _kinds(pid, InboxTask)) == ["verify_completion"]
