"""Shared by the designer tests: uploads as a designer, and changed copies of the shipped diagram."""

from __future__ import annotations

import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_VISIT_DATA = {"site_matches": "yes", "site_status": "IN_PROGRESS"}
BRIEFING_DATA = {"work_started": "no", "received": True, "handling_note": "已交底"}


def shipped_bpmn() -> str:
    return (ROOT / "processes" / "small_works.bpmn").read_text(encoding="utf-8")


# Tests of other features deploy diagrams the shipped scenarios were not written for.
OVERRIDE = "测试：为其他功能改动流程图"


def upload(api, files: dict[str, str | bytes], username: str = "designer", override: str | None = OVERRIDE, **form):
    """POST /api/v1/process-versions as multipart, the way a browser or curl -F sends it; failing
    scenario tests overridden with `override` as the reason (None: no override)."""
    data = {key: str(value) for key, value in form.items()}
    if override:
        data.update(override_failing_scenarios="true", override_reason=override)
    data["files"] = [
        (io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text), name) for name, text in files.items()
    ]
    return api.client.post(
        "/api/v1/process-versions",
        data=data,
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {api.token(username)}"},
    )


def with_briefing_on(bpmn: str, flow_id: str, stage: str) -> str:
    """A user task 安全交底确认 (inspector lane, stage `stage`) placed on the sequence flow `flow_id`:
    the flow leads to it, and a new flow f_briefed from it to where `flow_id` led."""
    old_flow = re.search(r'<bpmn:sequenceFlow id="%s" sourceRef="\w+" targetRef="(\w+)" />' % flow_id, bpmn)
    assert old_flow, flow_id
    target = old_flow.group(1)
    task = f'''<bpmn:userTask id="safety_briefing" name="安全交底确认">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="permit_referral" />
        <spiffworkflow:property name="stage" value="{stage}" />
        <spiffworkflow:property name="status" value="待安全交底" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>{flow_id}</bpmn:incoming>
      <bpmn:outgoing>f_briefed</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_briefed" sourceRef="safety_briefing" targetRef="{target}" />
    '''
    bpmn = bpmn.replace(
        old_flow.group(0), old_flow.group(0).replace(f'targetRef="{target}"', 'targetRef="safety_briefing"') + task
    )
    target_element = re.search(r'<bpmn:(\w+) id="%s".*?</bpmn:\1>' % target, bpmn, re.S).group(0)
    bpmn = bpmn.replace(
        target_element,
        target_element.replace(f"<bpmn:incoming>{flow_id}</bpmn:incoming>", "<bpmn:incoming>f_briefed</bpmn:incoming>"),
    )
    return bpmn.replace(
        "<bpmn:flowNodeRef>first_visit</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>first_visit</bpmn:flowNodeRef>\n"
        "        <bpmn:flowNodeRef>safety_briefing</bpmn:flowNodeRef>",
    )


def with_briefing_after_first_visit(bpmn: str) -> str:
    """安全交底确认 between 首次核实 and the patrol loop."""
    return with_briefing_on(bpmn, "f_first_visit_done", stage="patrol")


def without_first_visit(bpmn: str) -> str:
    """首次核实 (and what only its answers lead to) removed: 风险分级 leads straight into the patrol loop."""
    gone = {"first_visit", "gw_first_visit", "correct_registration"}
    flows = set(
        re.findall(r'<bpmn:sequenceFlow id="(\w+)" [^>]*(?:sourceRef|targetRef)="(?:%s)"' % "|".join(gone), bpmn)
    )
    flows |= set(re.findall(r'<bpmn:sequenceFlow id="(\w+)" sourceRef="(?:%s)"' % "|".join(gone), bpmn))
    flows.discard("f_classified")
    for element in gone:
        bpmn = re.sub(r'\s*<bpmn:(userTask|exclusiveGateway) id="%s".*?</bpmn:\1>' % element, "", bpmn, flags=re.S)
        bpmn = bpmn.replace(f"<bpmn:flowNodeRef>{element}</bpmn:flowNodeRef>", "")
    for flow in flows:
        bpmn = re.sub(r'\s*<bpmn:sequenceFlow id="%s" .*?(/>|</bpmn:sequenceFlow>)' % flow, "", bpmn, flags=re.S)
        bpmn = re.sub(r"\s*<bpmn:(incoming|outgoing)>%s</bpmn:\1>" % flow, "", bpmn)
    bpmn = bpmn.replace(
        '<bpmn:sequenceFlow id="f_classified" sourceRef="classify_risk" targetRef="first_visit" />',
        '<bpmn:sequenceFlow id="f_classified" sourceRef="classify_risk" targetRef="gw_patrol_loop" />',
    )
    gateway = re.search(r'<bpmn:exclusiveGateway id="gw_patrol_loop".*?</bpmn:exclusiveGateway>', bpmn, re.S).group(0)
    bpmn = bpmn.replace(
        gateway,
        gateway.replace("<bpmn:outgoing>", "<bpmn:incoming>f_classified</bpmn:incoming>\n      <bpmn:outgoing>", 1),
    )
    for element in gone | flows:
        bpmn = re.sub(r'\s*<bpmndi:BPMN(Shape|Edge) id="%s_di".*?</bpmndi:BPMN\1>' % element, "", bpmn, flags=re.S)
    return bpmn
