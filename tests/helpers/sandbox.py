"""A tiny BPMN/DMN pair and a runner for scripts in the restricted environment."""

from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from tests.helpers.bundles import shipped
from webapp.domain.engine import _describe
from webapp.domain.sandbox import make_script_engine

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_1" targetNamespace="http://example.org/bpmn">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare" />
    <bpmn:scriptTask id="prepare" name="Prepare">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>SCRIPT</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="decide" />
    <bpmn:businessRuleTask id="decide" name="Decide">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>risk</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition id="timer"><bpmn:timeDuration>wait_for</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="f_low"><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:outgoing>f_high</bpmn:outgoing><bpmn:outgoing>f_low</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_high" sourceRef="gw" targetRef="high">
      <bpmn:conditionExpression>risk_level == 'HIGH' and x &gt; 3</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_low" sourceRef="gw" targetRef="low" />
    <bpmn:scriptTask id="high"><bpmn:incoming>f_high</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:script>outcome = 'inspect ' + deadline</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:scriptTask id="low"><bpmn:incoming>f_low</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>
      <bpmn:script>outcome = 'file ' + deadline</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f5" sourceRef="high" targetRef="end" />
    <bpmn:sequenceFlow id="f6" sourceRef="low" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f5</bpmn:incoming><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_risk"
             name="risk" namespace="http://example.org/dmn">
  <decision id="risk" name="Risk">
    <decisionTable id="table" hitPolicy="UNIQUE">
      <input id="in_amount" label="Amount">
        <inputExpression id="expr_amount" typeRef="number"><text>amount</text></inputExpression>
      </input>
      <input id="in_flags" label="Flags">
        <inputExpression id="expr_flags" typeRef="string"><text>flags or []</text></inputExpression>
      </input>
      <output id="out_level" label="Level" name="risk_level" typeRef="string" />
      <output id="out_deadline" label="Deadline" name="deadline" typeRef="string" />
      <rule id="r1">
        <inputEntry id="r1_i1"><text>-</text></inputEntry>
        <inputEntry id="r1_i2"><text>any(f in ? for f in ('GAS', 'HEIGHT'))</text></inputEntry>
        <outputEntry id="r1_o1"><text>'HIGH'</text></outputEntry>
        <outputEntry id="r1_o2"><text>'P2D'</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry id="r2_i1"><text>&lt;= 100</text></inputEntry>
        <inputEntry id="r2_i2"><text>-</text></inputEntry>
        <outputEntry id="r2_o1"><text>'LOW'</text></outputEntry>
        <outputEntry id="r2_o2"><text>'P10D'</text></outputEntry>
      </rule>
      <rule id="r3">
        <inputEntry id="r3_i1"><text>&gt; 100</text></inputEntry>
        <inputEntry id="r3_i2"><text>-</text></inputEntry>
        <outputEntry id="r3_o1"><text>'HIGH'</text></outputEntry>
        <outputEntry id="r3_o2"><text>'P5D'</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def run_workflow(tmp_path, script, engine=None, bpmn: str = BPMN, dmn: str = DMN):
    (tmp_path / 'proc.bpmn').write_text(bpmn.replace('SCRIPT', script), encoding='utf-8')
    (tmp_path / 'risk.dmn').write_text(dmn, encoding='utf-8')
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(tmp_path / 'proc.bpmn'))
    parser.add_dmn_file(str(tmp_path / 'risk.dmn'))
    spec = parser.get_spec('proc')
    subprocess_specs = parser.get_subprocess_specs('proc')
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine or make_script_engine())
    workflow.do_engine_steps()
    workflow.refresh_timers()  # the zero-length timer
    workflow.do_engine_steps()
    assert workflow.is_completed()
    return workflow.last_task.data


def _replaced_in(files: dict, name: str, old: str, new: str) -> dict:
    assert files[name].count(old) == 1, old
    return dict(files, **{name: files[name].replace(old, new)})


def placed_in_shipped(where: str, code: str) -> tuple[dict, str]:
    """The shipped bundle with `code` in one place; the element the problem must name."""
    files = shipped()
    if where == "script":
        return _replaced_in(
            files,
            "small_works.bpmn",
            "<bpmn:script>open_hazard = False",
            f"<bpmn:script>{xml_escaped(code)}\nopen_hazard = False",
        ), "init_flags"
    if where == "condition":
        return _replaced_in(
            files,
            "small_works.bpmn",
            "<bpmn:conditionExpression>channel == 'lead'</bpmn:conditionExpression>",
            f"<bpmn:conditionExpression>{xml_escaped(code)}</bpmn:conditionExpression>",
        ), "f_channel_lead"
    if where == "timer":
        return _replaced_in(
            files,
            "small_works.bpmn",
            "<bpmn:timeDuration>patrol_interval</bpmn:timeDuration>",
            f"<bpmn:timeDuration>{xml_escaped(code)}</bpmn:timeDuration>",
        ), "patrol_due"
    return _replaced_in(
        files,
        "triage.dmn",
        "<outputEntry id=\"triage_r0_o0\"><text>'temporary'</text></outputEntry>",
        f"<outputEntry id=\"triage_r0_o0\"><text>{xml_escaped(code)}</text></outputEntry>",
    ), "triage_r0_o0"


def xml_escaped(code: str) -> str:
    return code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def run_with(tmp_path, old: str, new: str, message: str) -> None:
    bpmn, dmn = BPMN, DMN
    if old in bpmn:
        bpmn = bpmn.replace(old, new)
    else:
        assert old in dmn
        dmn = dmn.replace(old, new)
    with pytest.raises(WorkflowException) as info:
        run_workflow(
            tmp_path, "amount = 50\nflags = []\nx = 4\nwait_for = 'PT0S'\nrisk_level = 'HIGH'", bpmn=bpmn, dmn=dmn
        )
    assert message in _describe(info.value), (new, _describe(info.value))
