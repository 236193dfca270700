"""task_walk.walk finds the same tasks in the same order as SpiffWorkflow's iterators, checked at
every query the shipped scenarios make (every branch of the shipped diagram)."""

from __future__ import annotations

from datetime import datetime, timezone

from SpiffWorkflow.task import TaskState
from SpiffWorkflow.util.task import TaskIterator

from tests.conftest import registration_data
from tests.helpers.bundles import shipped
from tests.unit.test_scenarios import _run
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
    compared = {"queries": 0, "several": 0}
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

    monkeypatch.setattr(task_walk._Walking, "get_tasks", checked_get_tasks)
    with app.app_context():
        results = _run(shipped())
    assert all(result.passed for result in results.values())
    # Every scenario queried its tree many times, and many queries found several tasks (whose
    # order the comparison checks).
    assert compared["queries"] > 20 * len(results) and compared["several"] > 5 * len(results)
    # The main flow and the event sub-process (临时巡查) alike.
    assert kinds == {task_walk.Workflow, task_walk.SubWorkflow}


def test_a_workflow_read_from_state_walks_with_walk():
    bundle = parse_bundle(shipped(), "small_works")
    start = dict(registration_data(), channel="owner", district="350203", special_areas=[])
    helpers = scenario_service.helpers({}, lambda: datetime.now(timezone.utc))
    runner = ProcessRunner.start(bundle, start, helpers=helpers)
    assert isinstance(runner.workflow, task_walk.Workflow)
    assert isinstance(ProcessRunner.load(bundle, runner.dump(), helpers).workflow, task_walk.Workflow)
