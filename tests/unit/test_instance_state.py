"""The stored instance state (domain.instance_state) is SpiffWorkflow's own layout: at every step
of every shipped scenario, reading what we write with our converter or SpiffWorkflow's gives the
workflow that was written (tasks, states, data, waiting events); we read what SpiffWorkflow writes;
and the state is smaller than SpiffWorkflow's."""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from tests.helpers.bundles import shipped
from webapp.domain import instance_state, scenarios
from webapp.domain.catalog import parse_bundle
from webapp.services.designer import scenarios as scenario_service


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def _spiff_from_state(text: str, bundle) -> BpmnWorkflow:
    """SpiffWorkflow's BpmnWorkflowConverter.from_dict, the specs given instead of read."""
    converter = instance_state._CONVERTER
    dct = json.loads(text)
    dct.pop("format")
    workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, deserializing=True)
    workflow.tasks = converter.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
    converter.set_default_attributes(workflow, dct)
    converter.subprocesses_from_dict(dct["subprocesses"], workflow)
    workflow.bpmn_events = converter.registry.restore(dct.pop("bpmn_events", []))
    return workflow


def _plain(dct: dict) -> dict:
    return json.loads(json.dumps(dct, default=instance_state._json_value))


def _facts(workflow: BpmnWorkflow) -> dict:
    """What a reader of the workflow sees: every task's state and data, and the waiting events."""
    every = [workflow, *workflow.subprocesses.values()]
    return {
        "tasks": {
            str(t.id): (
                t.task_spec.name,
                t.state,
                _plain(t.data),
                _plain(t.internal_data),
                t._parent,
                list(t._children),
            )
            for w in every
            for t in w.tasks.values()
        },
        "events": sorted(str(t.id) for t in workflow.event_manager.tasks.values()),
        "data": [_plain(w.data) for w in every],
        "last": [str(w.last_task.id) if w.last_task else None for w in every],
    }


def test_state_is_spiffworkflows_layout_at_every_step_of_every_scenario(ctx, monkeypatch):
    bundle = parse_bundle(shipped(), "small_works")
    problems, checked, sizes = [], [], []
    after_call = scenarios._Run._after_call

    def check(run):
        after_call(run)
        workflow = run.runner.workflow
        text = instance_state.workflow_to_state(workflow)
        spiffs = json.dumps(dict(instance_state.spiff_state(workflow), format=instance_state.STATE_FORMAT))
        for written in (text, spiffs):
            read = instance_state.state_to_workflow(bundle.spec, bundle.subprocess_specs, written)
            if _facts(read) != _facts(_spiff_from_state(written, bundle)) or _facts(read) != _facts(workflow):
                problems.append(f"{run.scenario.name}: read differently after {len(run.events)} events")
        sizes.append((len(text), len(spiffs.replace(" ", ""))))
        checked.append(run.scenario.name)

    monkeypatch.setattr(scenarios._Run, "_after_call", check)
    results = {
        case.name: scenarios.run(bundle, case, scenario_service.helpers, scenario_service.checklist)
        for case in scenario_service.shipped("small_works")
    }
    assert problems == []
    assert all(result.passed for result in results.values())
    assert len(checked) > 3 * len(results)  # every step of every scenario, not just the starts
    # Tasks not yet reached store no delta deleting all their parent's data.
    assert sum(ours for ours, _ in sizes) < 0.9 * sum(theirs for _, theirs in sizes)


def test_a_finished_instance_keeps_its_facts_and_none_of_its_task_tree(ctx, monkeypatch):
    """Nothing runs a finished instance again: its state keeps the last task (its data whole) and
    the process data, and reads as finished with the same facts (ProcessRunner.data)."""
    from webapp.domain.engine import ProcessRunner

    bundle = parse_bundle(shipped(), "small_works")
    read_back = []
    after_call = scenarios._Run._after_call

    def check(run):
        after_call(run)
        runner = run.runner
        if runner.finished():
            whole = instance_state.workflow_to_state(runner.workflow)
            kept = instance_state.workflow_to_state(runner.workflow, finished=True)
            read = ProcessRunner.load(bundle, kept)
            read_back.append(
                (
                    run.scenario.name,
                    _plain(read.data()) == _plain(runner.data()),
                    read.finished(),
                    len(read.workflow.tasks),
                    read.snapshot().tasks,
                    3 * len(kept) < len(whole),
                )
            )

    monkeypatch.setattr(scenarios._Run, "_after_call", check)
    for case in scenario_service.shipped("small_works"):
        scenarios.run(bundle, case, scenario_service.helpers, scenario_service.checklist)
    assert len(read_back) > 3  # several scenarios end the process
    assert [r for r in read_back if r[1:] != (True, True, 1, [], True)] == []
