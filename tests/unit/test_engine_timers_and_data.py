"""Engine edge cases: fixed-date timers are projected, sets survive a save, zone-less dates read locally."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from webapp.domain.catalog import parse_bundle
from webapp.domain.engine import ProcessRunner

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="script" />
    <bpmn:scriptTask id="script"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>flags = set(['HOT_WORK', 'SCAFFOLD'])</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="script" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>due</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_fixed_date_timer_is_projected_as_spiff_reads_it_and_sets_survive_a_save():
    bundle = parse_bundle({"date_timer.bpmn": BPMN})
    due_local = (datetime.now() + timedelta(days=2)).replace(microsecond=0)  # no zone: server-local
    runner = ProcessRunner.start(bundle, {"due": due_local.isoformat()})
    expected = TimerEventDefinition.get_datetime(due_local.isoformat()).astimezone(timezone.utc)
    assert runner.snapshot().next_timer_at == expected

    reloaded = ProcessRunner.load(bundle, runner.dump())
    assert reloaded.snapshot().next_timer_at == expected
    flags = reloaded.workflow.get_next_task(spec_name="wait").data["flags"]
    assert flags == ["HOT_WORK", "SCAFFOLD"]  # a list, not the text "{'HOT_WORK', ...}"
