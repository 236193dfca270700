"""Validation before deploy: every problem located by file and element, never an exception."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers.bundles import MIWG_FILES, problems_at, renamed, shipped, with_bpmn
from webapp.domain.catalog import FORMS_PREFIX
from webapp.domain.errors import Problem
from webapp.domain.forms import FORMS_DIR, FormCatalog
from webapp.domain.validation import timer_problem, validate_bundle

FORM_KEYS = FormCatalog(FORMS_DIR).keys()


def test_the_shipped_bundle_is_deployable():
    assert validate_bundle(shipped()) == []


def test_without_its_own_forms_the_bundle_uses_the_fallback_forms():
    files = {n: t for n, t in shipped().items() if not n.startswith(FORMS_PREFIX)}
    assert validate_bundle(files, fallback_form_keys=FORM_KEYS) == []
    missing = validate_bundle(files)
    assert {p.element_id for p in missing} >= {"first_visit", "patrol", "writeoff"}
    assert all("表单" in p.message for p in missing)


def test_the_21_miwg_diagrams_are_in_the_fixtures():
    assert [p.name for p in MIWG_FILES][:2] == ["A.1.0.bpmn", "A.2.0.bpmn"] and len(MIWG_FILES) == 21


@pytest.mark.parametrize("path", MIWG_FILES, ids=lambda p: p.name)
def test_every_miwg_diagram_gives_located_problems_or_none(path):
    problems = validate_bundle({path.name: path.read_text(encoding="utf-8")}, FORM_KEYS)
    assert all(isinstance(p, Problem) and p.message for p in problems)
    if problems:
        # Per element: the designer can find each problem on the diagram.
        assert any(p.element_id for p in problems)
        assert all(p.file == path.name for p in problems)


def test_miwg_unsupported_bpmn_is_named_as_such():
    miwg = {p.name: p for p in MIWG_FILES}

    def messages(name):
        return [
            (p.element_id, p.message)
            for p in validate_bundle({name: miwg[name].read_text(encoding="utf-8")}, FORM_KEYS)
        ]

    c60 = messages("C.6.0.bpmn")
    assert any("补偿" in m and e for e, m in c60)
    assert any("服务任务" in m and e == "_b595ec43-0769-4864-8f2e-403c405c8217" for e, m in c60)
    assert any("数据存储" in m and e for e, m in messages("C.4.0.bpmn"))
    assert any("isExecutable" in m for _, m in messages("A.1.0.bpmn"))
    assert ("BoundaryEvent_2", "「P7D」会被当作变量名；时长字面量要加引号：'P7D'") in messages("C.9.1.bpmn")
    assert any(e == "CallActivity_RequestDocument" and "多实例" in m for e, m in messages("C.9.2.bpmn"))


def test_unknown_lane_is_reported_on_the_lane():
    problems = validate_bundle(with_bpmn('name="区住建"', 'name="区规划局"'))
    assert len(problems) == 1
    assert problems[0].element_id == "Lane_housing" and "区规划局" in problems[0].message


def test_user_task_without_form_or_with_an_unknown_form():
    problems = validate_bundle(
        with_bpmn(
            '<spiffworkflow:property name="formKey" value="first_visit" />',
            '<spiffworkflow:property name="formKey" value="no_such_form" />',
        )
    )
    assert problems_at(problems, "first_visit") == [
        "表单「no_such_form」不存在：请选择已有表单或一并上传 forms/no_such_form.json"
    ]
    assert problems[0].element_name == "首次核实" and problems[0].file == "small_works.bpmn"
    problems = validate_bundle(with_bpmn('<spiffworkflow:property name="formKey" value="first_visit" />', ""))
    assert problems_at(problems, "first_visit") == ["用户任务没有指定表单：请在扩展属性中设置 formKey"]


def test_user_task_in_the_system_lane_has_nobody_to_do_it():
    files = with_bpmn("<bpmn:flowNodeRef>first_visit</bpmn:flowNodeRef>", "")
    files["small_works.bpmn"] = files["small_works.bpmn"].replace(
        "<bpmn:flowNodeRef>init_flags</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>init_flags</bpmn:flowNodeRef><bpmn:flowNodeRef>first_visit</bpmn:flowNodeRef>",
    )
    assert "系统" in problems_at(validate_bundle(files), "first_visit")[0]


def test_business_rule_task_names_an_existing_decision():
    problems = validate_bundle(
        with_bpmn(
            "<spiffworkflow:calledDecisionId>lead_dispatch_sla</spiffworkflow:calledDecisionId>",
            "<spiffworkflow:calledDecisionId>lead_sla_typo</spiffworkflow:calledDecisionId>",
        )
    )
    assert problems_at(problems, "lead_sla")[0].startswith("决策「lead_sla_typo」不存在")


def test_timer_expressions():
    problems = validate_bundle(
        with_bpmn(
            "<bpmn:timeDuration>patrol_interval</bpmn:timeDuration>", "<bpmn:timeDuration>'P3X'</bpmn:timeDuration>"
        )
    )
    assert "不是有效的 ISO 8601 时长" in problems_at(problems, "patrol_due")[0]
    problems = validate_bundle(
        with_bpmn(
            "<bpmn:timeDuration>patrol_interval</bpmn:timeDuration>", "<bpmn:timeDuration>P3D</bpmn:timeDuration>"
        )
    )
    assert problems_at(problems, "patrol_due") == ["「P3D」会被当作变量名；时长字面量要加引号：'P3D'"]
    assert timer_problem("timeDuration", "'P3D'") is None
    assert timer_problem("timeDuration", "patrol_interval") is None
    assert timer_problem("timeDate", "'2027-01-20T09:00:00+08:00'") is None
    assert timer_problem("timeDate", "'next tuesday'")
    assert timer_problem("timeCycle", "'R3/PT1H'") is None
    assert timer_problem("timeCycle", "'R3/1H'")
    assert timer_problem("timeDuration", "3") == "定时器的值应为字符串（例如 'P3D'），而不是 3"
    assert "无法编译" in timer_problem("timeDuration", "__import__('os')")


def test_conditions_and_scripts_compile_in_the_restricted_environment():
    files = with_bpmn(
        "<bpmn:conditionExpression>channel == 'lead'</bpmn:conditionExpression>",
        "<bpmn:conditionExpression>().__class__.__base__</bpmn:conditionExpression>",
    )
    files["small_works.bpmn"] = files["small_works.bpmn"].replace(
        "<bpmn:script>open_hazard = False", "<bpmn:script>import os\nopen_hazard = False"
    )
    files["small_works.bpmn"] = files["small_works.bpmn"].replace(
        "<spiffworkflow:preScript>street = lead.get('street')", "<spiffworkflow:preScript>street = = lead.get('street')"
    )
    problems = validate_bundle(files)
    assert "条件无法在受限脚本环境中编译" in problems_at(problems, "f_channel_lead")[0]
    assert "import statements are not allowed" in problems_at(problems, "init_flags")[0]
    assert "SyntaxError" in problems_at(problems, "onsite_registration")[0]
    assert "前置脚本" in next(p.element_name for p in problems if p.element_id == "onsite_registration")


def test_dmn_cells_compile_as_the_dmn_engine_would_evaluate_them():
    files = shipped()
    files["triage.dmn"] = (
        files["triage.dmn"]
        .replace(
            '<inputEntry id="triage_r1_i1"><text>\'SPORADIC_OP\'</text></inputEntry>',
            '<inputEntry id="triage_r1_i1"><text>[1..10]</text></inputEntry>',
        )
        .replace(
            "<outputEntry id=\"triage_r0_o0\"><text>'temporary'</text></outputEntry>",
            "<outputEntry id=\"triage_r0_o0\"><text>__import__('os')</text></outputEntry>",
        )
    )
    assert "triage_r1_i1" in files["triage.dmn"]
    problems = validate_bundle(files)
    assert {p.element_id for p in problems} == {"triage_r1_i1", "triage_r0_o0"}
    cell = next(p for p in problems if p.element_id == "triage_r1_i1")
    assert cell.file == "triage.dmn" and "第 2 条规则" in cell.element_name


def test_dmn_hit_policy_and_decision_count():
    files = shipped()
    files["triage.dmn"] = files["triage.dmn"].replace('hitPolicy="UNIQUE"', 'hitPolicy="RULE ORDER"')
    problems = validate_bundle(files)
    assert [p.element_id for p in problems] == ["triage"]
    assert "RULE ORDER" in problems[0].message


def test_process_not_executable_and_none_task():
    files = with_bpmn('isExecutable="true"', 'isExecutable="false"')
    problems = validate_bundle(files)
    assert problems_at(problems, "small_works")[0].startswith("流程未标记为可执行")
    files = with_bpmn(
        '<bpmn:userTask id="first_visit" name="首次核实">', '<bpmn:task id="first_visit" name="首次核实">'
    )
    files["small_works.bpmn"] = re.sub(
        r"(<bpmn:task id=\"first_visit\".*?)</bpmn:userTask>", r"\1</bpmn:task>", files["small_works.bpmn"], flags=re.S
    )
    assert problems_at(validate_bundle(files), "first_visit") == [
        "未指定类型的任务：请改为用户任务（并指定表单）、脚本任务或业务规则任务"
    ]


def test_priority_and_due_expression_properties():
    problems = validate_bundle(
        with_bpmn(
            '<spiffworkflow:property name="priority" value="high" />',
            '<spiffworkflow:property name="priority" value="urgent" />',
        )
    )
    assert "优先级「urgent」无效" in problems_at(problems, "onsite_registration")[0]
    problems = validate_bundle(
        with_bpmn(
            '<spiffworkflow:property name="dueIn" value="first_visit_within" />',
            '<spiffworkflow:property name="dueIn" value="P2D" />',
        )
    )
    assert problems_at(problems, "first_visit")[0].startswith("办理时限（dueIn）")


def test_uploaded_forms_are_checked_and_usable():
    files = shipped()
    form = json.loads(files["forms/first_visit.json"])
    files["forms/first_visit.json"] = json.dumps(dict(form, id="other"))
    files["forms/broken.json"] = "{not json"
    files["forms/checklist.json"] = "{}"
    problems = validate_bundle(files)
    files_with_problems = {p.file for p in problems}
    assert files_with_problems == {
        "forms/first_visit.json",
        "forms/broken.json",
        "forms/checklist.json",
        "small_works.bpmn",
    }
    # first_visit.json is broken, so the user task that names it has no usable form either.
    assert problems_at(problems, "first_visit")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p" isExecutable="true">
<bpmn:startEvent id="s" name="&lol3;"/></bpmn:process></bpmn:definitions>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p" isExecutable="true">
<bpmn:startEvent id="s" name="&xxe;"/></bpmn:process></bpmn:definitions>"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_dtds_and_entities_are_refused_not_expanded(text):
    problems = validate_bundle({"evil.bpmn": text})
    assert problems == [Problem("evil.bpmn", None, None, "DTD / entity declarations are not allowed")]


def test_garbage_and_empty_uploads():
    assert validate_bundle({"x.bpmn": "<not xml"})[0].message.startswith("XML syntax error")
    assert [p.message for p in validate_bundle({"x.dmn": "<definitions/>"})] == [
        "DMN 文件中没有决策（decision）",
        "上传内容中没有 BPMN 文件",
    ]
    problems = validate_bundle({"x.bpmn": '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'})
    assert problems and all(p.file == "x.bpmn" for p in problems)


def test_renaming_a_step_that_feeds_a_figure_names_the_figure_that_loses_data():
    before = shipped()
    after = dict(before, **{"small_works.bpmn": renamed(before["small_works.bpmn"], "patrol", "patrol_round")})
    assert validate_bundle(after, FORM_KEYS) == []  # on its own the renamed diagram runs
    lost = problems_at(validate_bundle(after, FORM_KEYS, previous=before), "patrol")
    assert any("kpi=site_visit" in m and "巡查覆盖率" in m and "the figure site_visit loses data" in m for m in lost)
    assert any("casefile=hazard_check" in m for m in lost)
    assert validate_bundle(before, FORM_KEYS, previous=before) == []


def test_dropping_the_kpi_property_or_naming_an_unknown_figure_is_a_problem():
    before = shipped()
    dropped = with_bpmn('<spiffworkflow:property name="kpi" value="rectification_ordered" />', "")
    assert any(
        "rectification_ordered" in m and "不再标注" in m
        for m in problems_at(validate_bundle(dropped, FORM_KEYS, previous=before), "set_deadline")
    )
    unknown = with_bpmn('name="kpi" value="lead_checked"', 'name="kpi" value="lead_chekced"')
    assert any(
        "lead_chekced" in m and "未知" in m for m in problems_at(validate_bundle(unknown, FORM_KEYS), "check_lead")
    )


def test_the_shipped_diagram_feeds_every_figure_and_case_file_role():
    from webapp.domain import figures
    from webapp.domain.catalog import parse_bundle

    bundle = parse_bundle({n: t for n, t in shipped().items() if n.endswith((".bpmn", ".dmn"))})
    assert set(bundle.tagged(figures.KPI)) == set(figures.FIGURES)
    assert set(bundle.tagged(figures.CASEFILE)) == set(figures.CASEFILE_ROLES)
    assert bundle.tagged(figures.KPI)["site_visit"] == {
        "first_visit",
        "patrol",
        "reinspect",
        "resume_check",
        "adhoc_inspection",
        "adhoc_reinspect",
        "verify_completion",
    }
