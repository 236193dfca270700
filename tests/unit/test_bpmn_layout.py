"""scripts/bpmn_layout.py: the generated BPMNDI is complete, tidy and stable."""

import importlib.util
import itertools
from pathlib import Path

import pytest
from lxml import etree

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bpmn_layout.py"
spec = importlib.util.spec_from_file_location("bpmn_layout", SCRIPT)
bpmn_layout = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bpmn_layout)

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}

# Two lanes; a review loop back to the applicant; a timer on the review task;
# an exclusive gateway; a stale DI section that must be replaced.
SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collab_1">
    <bpmn:participant id="Pool_1" name="报备" processRef="works" />
  </bpmn:collaboration>
  <bpmn:process id="works" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_applicant" name="申请人">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fill</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>rejected</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_street" name="街道">
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>timer</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>ok</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>register</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>remind</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="开始"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="fill" name="填写报备">
      <bpmn:extensionElements>
        <spiffworkflow:instructionsForEndUser>请填写</spiffworkflow:instructionsForEndUser>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="review" name="审核"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="timer" name="超时" attachedToRef="review" cancelActivity="false">
      <bpmn:outgoing>f7</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT48H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:exclusiveGateway id="ok" name="通过?" default="f4"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing><bpmn:outgoing>f6</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:scriptTask id="register" name="登记"><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f8</bpmn:outgoing>
      <bpmn:script><![CDATA[registered = True]]></bpmn:script></bpmn:scriptTask>
    <bpmn:manualTask id="rejected" name="退回修改"><bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:manualTask>
    <bpmn:serviceTask id="remind" name="催办">
      <bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="remind_owner" /></bpmn:extensionElements>
      <bpmn:incoming>f7</bpmn:incoming><bpmn:outgoing>f9</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end" name="结束"><bpmn:incoming>f8</bpmn:incoming><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill" />
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="review" />
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="ok" />
    <bpmn:sequenceFlow id="f4" name="是" sourceRef="ok" targetRef="register" />
    <bpmn:sequenceFlow id="f6" name="否" sourceRef="ok" targetRef="rejected">
      <bpmn:conditionExpression>approved == False</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f5" sourceRef="rejected" targetRef="fill" />
    <bpmn:sequenceFlow id="f7" sourceRef="timer" targetRef="remind" />
    <bpmn:sequenceFlow id="f8" sourceRef="register" targetRef="end" />
    <bpmn:sequenceFlow id="f9" sourceRef="remind" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Stale">
    <bpmndi:BPMNPlane id="StalePlane" bpmnElement="Collab_1">
      <bpmndi:BPMNShape id="start_old" bpmnElement="start"><dc:Bounds x="0" y="0" width="1" height="1" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
FLOW_NODES = bpmn_layout.FLOW_NODES


@pytest.fixture
def laid_out(tmp_path):
    path = tmp_path / "works.bpmn"
    path.write_text(SAMPLE, encoding="utf-8")
    bpmn_layout.main([str(path), "--in-place"])
    return path


def bounds(el):
    b = el.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def inside(inner, outer):
    return (
        inner[0] >= outer[0]
        and inner[1] >= outer[1]
        and inner[0] + inner[2] <= outer[0] + outer[2]
        and inner[1] + inner[3] <= outer[1] + outer[3]
    )


def overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_every_element_has_exactly_one_di(laid_out):
    root = etree.parse(str(laid_out)).getroot()
    assert len(root.findall("bpmndi:BPMNDiagram", NS)) == 1
    refs = [e.get("bpmnElement") for e in root.iter(f"{{{NS['bpmndi']}}}BPMNShape", f"{{{NS['bpmndi']}}}BPMNEdge")]
    process = root.find("bpmn:process", NS)
    nodes = [el.get("id") for el in process if etree.QName(el).localname in FLOW_NODES]
    flows = [el.get("id") for el in process.findall("bpmn:sequenceFlow", NS)]
    assert len(nodes) == 9 and len(flows) == 9
    for element_id in nodes + flows + ["Pool_1", "Lane_applicant", "Lane_street"]:
        assert refs.count(element_id) == 1, element_id
    for edge in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge"):
        pts = [(float(w.get("x")), float(w.get("y"))) for w in edge.findall("di:waypoint", NS)]
        assert len(pts) >= 2
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(pts, pts[1:])), "orthogonal"


def test_geometry(laid_out):
    root = etree.parse(str(laid_out)).getroot()
    shapes = {s.get("bpmnElement"): bounds(s) for s in root.iter(f"{{{NS['bpmndi']}}}BPMNShape")}
    lanes = root.findall(".//bpmn:lane", NS)
    pool = shapes["Pool_1"]
    for lane in lanes:
        assert inside(shapes[lane.get("id")], pool)
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            assert inside(shapes[ref.text], shapes[lane.get("id")]), ref.text
    for a, b in itertools.combinations(lanes, 2):
        assert not overlap(shapes[a.get("id")], shapes[b.get("id")])
    lane_ids = {lane.get("id") for lane in lanes}
    nodes = [k for k in shapes if k not in lane_ids and k != "Pool_1"]
    for a, b in itertools.combinations(nodes, 2):
        if {a, b} != {"timer", "review"}:
            assert not overlap(shapes[a], shapes[b]), (a, b)
    # The timer straddles its host's bottom edge, within the host's width.
    tx, ty, tw, th = shapes["timer"]
    hx, hy, hw, hh = shapes["review"]
    assert ty + th / 2 == hy + hh and hx <= tx and tx + tw <= hx + hw
    # Columns follow the flow: the loop back (rejected -> fill) does not push fill right.
    assert shapes["start"][0] < shapes["fill"][0] < shapes["review"][0] < shapes["ok"][0] < shapes["register"][0]


def test_semantics_preserved_and_spiff_parses(laid_out):
    text = laid_out.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert SAMPLE.split("  <bpmndi:BPMNDiagram")[0] in text  # semantic part byte-identical
    assert "<![CDATA[registered = True]]>" in text and "Stale" not in text
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(laid_out))
    spec = parser.get_spec("works")
    assert "timer" in spec.task_specs or any("timer" in name for name in spec.task_specs)


def test_idempotent_and_deterministic(laid_out, tmp_path):
    first = laid_out.read_bytes()
    bpmn_layout.main([str(laid_out), "--in-place"])
    assert laid_out.read_bytes() == first
    # Without any DI at all the result is the same as when replacing a stale one.
    bare = tmp_path / "bare.bpmn"
    bare.write_text(SAMPLE.split("  <bpmndi:BPMNDiagram")[0] + "</bpmn:definitions>\n", encoding="utf-8")
    assert bpmn_layout.relayout(bare.read_bytes()) == first
    # A file that never declared the DI namespaces gets them on the diagram element.
    undeclared = SAMPLE.split("  <bpmndi:BPMNDiagram")[0] + "</bpmn:definitions>\n"
    for prefix in ("bpmndi", "dc", "di"):
        undeclared = undeclared.replace(f' xmlns:{prefix}="{NS[prefix]}"', "")
    out = bpmn_layout.relayout(undeclared.encode())
    assert out.startswith(undeclared.split("</bpmn:definitions>")[0].encode())
    assert etree.fromstring(out).find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS) is not None
    assert bpmn_layout.relayout(out) == out
