"""Shared by the designer tests: uploads as a designer, and changed copies of the shipped diagram."""
from __future__ import annotations

import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_VISIT_DATA = {"site_matches": "yes", "site_status": "IN_PROGRESS"}
BRIEFING_DATA = {"received": True, "handling_note": "已交底"}


def shipped_bpmn() -> str:
    return (ROOT / "processes" / "small_works.bpmn").read_text(encoding="utf-8")


def upload(api, files: dict[str, str | bytes], username: str = "designer", **form):
    """POST /api/v1/process-versions as multipart, the way a browser or curl -F sends it."""
    data = {key: str(value) for key, value in form.items()}
    data["files"] = [(io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text), name)
                     for name, text in files.items()]
    return api.client.post("/api/v1/process-versions", data=data, content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {api.token(username)}"})


def with_briefing_after_first_visit(bpmn: str) -> str:
    """A user task 安全交底确认 (inspector lane) between 首次核实 and the patrol loop."""
    task = '''<bpmn:userTask id="safety_briefing" name="安全交底确认">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="permit_referral" />
        <spiffworkflow:property name="stage" value="patrol" />
        <spiffworkflow:property name="status" value="待安全交底" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f_first_visit_done</bpmn:incoming>
      <bpmn:outgoing>f_briefed</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_briefed" sourceRef="safety_briefing" targetRef="gw_patrol_loop" />
    '''
    old_flow = '<bpmn:sequenceFlow id="f_first_visit_done" sourceRef="first_visit" targetRef="gw_patrol_loop" />'
    assert old_flow in bpmn
    bpmn = bpmn.replace(old_flow, old_flow.replace('targetRef="gw_patrol_loop"', 'targetRef="safety_briefing"') + task)
    gateway_in = re.search(r'<bpmn:exclusiveGateway id="gw_patrol_loop".*?</bpmn:exclusiveGateway>', bpmn, re.S)
    bpmn = bpmn.replace(gateway_in.group(0), gateway_in.group(0).replace(
        "<bpmn:incoming>f_first_visit_done</bpmn:incoming>", "<bpmn:incoming>f_briefed</bpmn:incoming>"))
    return bpmn.replace("<bpmn:flowNodeRef>first_visit</bpmn:flowNodeRef>",
                        "<bpmn:flowNodeRef>first_visit</bpmn:flowNodeRef>\n"
                        "        <bpmn:flowNodeRef>safety_briefing</bpmn:flowNodeRef>")


def without_first_visit(bpmn: str) -> str:
    """首次核实 removed: 风险分级 leads straight into the patrol loop."""
    bpmn = re.sub(r'\s*<bpmn:userTask id="first_visit".*?</bpmn:userTask>', "", bpmn, flags=re.S)
    bpmn = bpmn.replace('<bpmn:sequenceFlow id="f_first_visit_done" sourceRef="first_visit" '
                        'targetRef="gw_patrol_loop" />', "")
    bpmn = bpmn.replace('targetRef="first_visit"', 'targetRef="gw_patrol_loop"')
    bpmn = bpmn.replace("<bpmn:incoming>f_first_visit_done</bpmn:incoming>", "<bpmn:incoming>f_classified</bpmn:incoming>")
    bpmn = re.sub(r'\s*<bpmndi:BPMN(Shape|Edge) id="(first_visit|f_first_visit_done)_di".*?</bpmndi:BPMN\1>', "",
                  bpmn, flags=re.S)
    return bpmn.replace("<bpmn:flowNodeRef>first_visit</bpmn:flowNodeRef>", "")
