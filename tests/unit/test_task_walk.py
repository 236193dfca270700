"""task_walk.walk finds the same tasks in the same order as SpiffWorkflow's iterators, checked at
every query the shipped scenarios make (every branch of the shipped diagram)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from uuid import uuid4

from SpiffWorkflow.task import TaskState
from SpiffWorkflow.util.task import TaskIterator

from tests.conftest import registration_data
from tests.helpers.bundles import run_scenarios, shipped
from webapp.domain import task_walk
from webapp.domain.catalog import parse_bundle
from webapp.domain.engine import ProcessRunner
from webapp.services.designer import scenarios as scenario_service

MASKS = (
    TaskState.READY,
    TaskState.WAITING,
    TaskState.READY | TaskState.WAITING | TaskState.STARTED,
    TaskState.COMPLETED,
    TaskState.NOT_FINISHED_MASK,
    TaskState.ANY_MASK,
)


def test_walk_matches_spiffworkflow_at_every_query_of_every_scenario(app, monkeypatch):
    compared = {"queries": 0, "several": 0, "updates": 0}
    fast_get_tasks = task_walk._Walking.get_tasks
    kinds = set()

    def checked_get_tasks(self, first_task=None, **kwargs):
        found = fast_get_tasks(self, first_task, **kwargs)
        if first_task is None and kwargs.keys() <= {"state", "manual"}:
            spiff = super(task_walk._Walking, self).get_tasks
            assert found == spiff(**kwargs)
            for mask in MASKS:
                assert list(task_walk.walk(self, mask)) == spiff(state=mask)
                plain = list(TaskIterator(self.task_tree, state=mask))
                assert list(task_walk.walk(self, mask, subprocesses=False)) == plain
            compared["queries"] += 1
            kinds.add(type(self))
            compared["several"] += len(found) > 1
        return found

    real_update = task_walk._Walking.update_waiting_tasks

    def checked_update(self):
        # The waiting tasks are updated in the plain iterator's order (no sub-processes).
        assert list(task_walk.walk(self, TaskState.WAITING, subprocesses=False)) == list(
            TaskIterator(self.task_tree, state=TaskState.WAITING)
        )
        compared["updates"] += 1
        real_update(self)

    monkeypatch.setattr(task_walk._Walking, "get_tasks", checked_get_tasks)
    monkeypatch.setattr(task_walk._Walking, "update_waiting_tasks", checked_update)
    with app.app_context():
        results = run_scenarios(shipped())
    assert all(result.passed for result in results.values())
    # Every scenario queried its tree many times, and many queries found several tasks (whose
    # order the comparison checks).
    assert compared["queries"] > 20 * len(results) and compared["several"] > 5 * len(results)
    assert compared["updates"] > 20 * len(results)
    # The main flow and the event sub-process (临时巡查) alike.
    assert kinds == {task_walk.Workflow, task_walk.SubWorkflow}


def test_a_workflow_read_from_state_walks_with_walk():
    bundle = parse_bundle(shipped(), "small_works")
    start = dict(registration_data(), channel="owner", district="350203", special_areas=[])
    helpers = scenario_service.helpers({}, lambda: datetime.now(timezone.utc))
    runner = ProcessRunner.start(bundle, start, helpers=helpers)
    assert isinstance(runner.workflow, task_walk.Workflow)
    assert isinstance(ProcessRunner.load(bundle, runner.dump(), helpers).workflow, task_walk.Workflow)


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "task_walk"


def _same_walks(workflow) -> None:
    for sub in (workflow, *workflow.subprocesses.values()):
        spiff = super(task_walk._Walking, sub).get_tasks
        for mask in MASKS:
            assert sub.get_tasks(state=mask) == spiff(state=mask)
            assert list(task_walk.walk(sub, mask, subprocesses=False)) == list(TaskIterator(sub.task_tree, state=mask))


def test_a_loop_around_a_sub_process_runs_again_and_keeps_one_sub_process():
    """A rework loop around a sub-process: the finished iteration is cut out of the tree with the
    sub-process it ran (its entry no longer found by the walk, nor kept in the state)."""
    bundle = parse_bundle({"loop.bpmn": (FIXTURES / "loop_around_subprocess.bpmn").read_text()}, "p")
    runner = ProcessRunner.start(bundle, {})
    for _ in range(4):
        [task] = runner.ready_human_tasks()
        runner.complete(task.id, {"again": True})
        _same_walks(runner.workflow)
        assert len(runner.workflow.subprocesses) <= 1
        runner = ProcessRunner.load(bundle, runner.dump())
    [task] = runner.ready_human_tasks()
    runner.complete(task.id, {"again": False})
    assert runner.finished()


def test_nested_and_event_sub_processes_walk_like_spiffworkflow():
    bundle = parse_bundle({"nested.bpmn": (FIXTURES / "nested_subprocesses.bpmn").read_text()}, "q")
    runner = ProcessRunner.start(bundle, {})
    seen = set()
    for _ in range(10):
        _same_walks(runner.workflow)
        ready = runner.ready_human_tasks()
        if not ready:
            break
        seen.update(task.name for task in ready)
        if "B" in seen and runner.send_message("poke", {}):
            seen.add("poke")
        runner.complete(ready[0].id, {})
        runner = ProcessRunner.load(bundle, runner.dump())
    # The walk went through the sub-process in a sub-process and beside the event sub-process.
    assert {"TU", "SU", "B"} <= seen


def test_a_stale_sub_process_entry_is_ignored_like_spiffworkflow_does():
    """An entry whose task has left the tree (a version migration cutting a finished call
    activity) runs nothing: the walk neither fails nor enters it."""
    bundle = parse_bundle({"nested.bpmn": (FIXTURES / "nested_subprocesses.bpmn").read_text()}, "q")
    workflow = ProcessRunner.start(bundle, {}).workflow
    workflow.subprocesses[uuid4()] = next(iter(workflow.subprocesses.values()))
    _same_walks(workflow)


def test_waiting_tasks_are_updated_in_spiffworkflows_order(monkeypatch):
    bundle = parse_bundle(shipped(), "small_works")
    start = dict(registration_data(), channel="owner", district="350203", special_areas=[])
    helpers = scenario_service.helpers({}, lambda: datetime.now(timezone.utc))
    runner = ProcessRunner.start(bundle, start, helpers=helpers)
    [first_visit] = runner.ready_human_tasks()
    runner.complete(first_visit.id, {"site_matches": "yes", "site_status": "IN_PROGRESS"})
    workflow = runner.workflow  # waiting: the patrol timer, the owner's step's boundary events
    expected = list(TaskIterator(workflow.task_tree, state=TaskState.WAITING))
    assert len(expected) >= 2  # an order to get wrong
    updated = []
    for task in expected:
        original = task.task_spec._update
        monkeypatch.setattr(task.task_spec, "_update", lambda t, original=original: updated.append(t) or original(t))
    workflow.update_waiting_tasks()
    assert updated == expected
