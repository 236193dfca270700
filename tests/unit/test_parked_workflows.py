"""A workflow a reader parked (the task page, GET /tasks/{id}) serves the next load of the same
instance only for the very state text and bundle it was read from, and only once."""

from __future__ import annotations

from webapp.domain.catalog import parse_bundle
from webapp.domain.engine import ProcessRunner

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check" />
    <bpmn:userTask id="check"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def _started():
    bundle = parse_bundle({"parked.bpmn": BPMN})
    return bundle, ProcessRunner.start(bundle, {"address": "鹭江道 88 号"}).dump()


def test_a_parked_workflow_serves_one_load_of_the_same_state():
    bundle, state = _started()
    reader = ProcessRunner.load(bundle, state, instance_id=901)
    reader.park(901, state)
    taken = ProcessRunner.load(bundle, state, instance_id=901)
    assert taken.workflow is reader.workflow
    again = ProcessRunner.load(bundle, state, instance_id=901)
    assert again.workflow is not reader.workflow  # taken once: no two callers share a workflow
    task_id = taken.ready_human_tasks()[0].id
    taken.complete(task_id, {"ok": True})
    assert taken.finished() and not again.finished()


def test_a_parked_workflow_is_not_used_for_another_state_bundle_or_instance():
    bundle, state = _started()
    other_state = ProcessRunner.start(bundle, {"address": "湖滨南路 1 号"}).dump()
    reader = ProcessRunner.load(bundle, state, instance_id=902)
    for instance_id, text, in_bundle in (
        (902, other_state, bundle),
        (902, state, parse_bundle({"parked.bpmn": BPMN})),
        (903, state, bundle),
    ):
        reader.park(902, state)
        loaded = ProcessRunner.load(in_bundle, text, instance_id=instance_id)
        assert loaded.workflow is not reader.workflow
        ProcessRunner.load(bundle, state, instance_id=902)  # empties the slot for the next case
    # A state changed meanwhile (a timer fired, another process wrote a step): read as it is now.
    reader.park(902, state)
    assert ProcessRunner.load(bundle, other_state, instance_id=902).data()["address"] == "湖滨南路 1 号"
