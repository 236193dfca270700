"""Check a process bundle before it is deployed, and say exactly what is wrong, element by element.

Pure: no Flask, no SQL. Input is the bundle as files (`*.bpmn`, `*.dmn`, `forms/<key>.json`);
output is a list of `Problem(file, element_id, element_name, message)`, empty when the bundle
can be deployed. Nothing is run: scripts, conditions, timer expressions and DMN cells are only
compiled by the restricted script environment.

The XML is walked by our own checks first, so a designer sees every problem at once; then
SpiffWorkflow parses the bundle, because only its parser decides what it can execute (it stops
at its first error, so its findings are added only where ours did not already point).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import figures
from .catalog import BPMN_SUFFIXES, DMN_SUFFIXES, form_key_of, is_form_file, parse_bundle, parse_xml
from .errors import BundleError, Problem
from .forms import CHECKLIST_FILE, MAX_FORM_NESTING, FormDefinition, json_nesting, schema_problems
from .roles import ROLES, SYSTEM_LANES, role_for_lane
from .sandbox import check_expression, check_script, trial_problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
PRIORITIES = ("high", "normal", "low")
# Column widths of the projections these properties are copied into.
PROPERTY_LIMITS = {"stage": 32, "status": 64, "formKey": 100}

# Elements SpiffWorkflow 3.2.0 or this platform cannot run: the tag and why, in the designer's words.
UNSUPPORTED = {
    "compensateEventDefinition": "补偿事件（compensation）不受支持：SpiffWorkflow 3.2.0 不执行补偿",
    "linkEventDefinition": "链接事件（link event）不受支持：SpiffWorkflow 3.2.0 不连接链接事件，令牌会停在这里",
    "complexGateway": "复杂网关（complex gateway）不受支持：请改用排他、并行或包容网关",
    "dataStoreReference": "数据存储（data store）没有实现，不受支持：请改用流程变量或表单字段",
}
# A service task waits for an external worker of its topic (domain.external); without one it would
# have to call a service, which the platform never does.
NO_TOPIC = (
    "服务任务（service task）没有主题（扩展属性 topic）：本平台不调用外部服务，服务任务等待外部系统按主题领取；"
    "请设置 topic，或改为用户任务或脚本任务"
)
CATCH_EVENTS = ("startEvent", "intermediateCatchEvent", "boundaryEvent")
THROW_EVENTS = ("intermediateThrowEvent", "endEvent")


@dataclass
class _Report:
    """Problems in the order found, without duplicates."""

    items: list[Problem] = field(default_factory=list)

    def add(self, file, element, message, *, element_id=None, element_name=None) -> None:
        if element is not None:
            element_id = element.get("id")
            element_name = element.get("name") or element.get("label")
        if element_name:
            element_name = " ".join(element_name.split())
        problem = Problem(file, element_id, element_name, message)
        if problem not in self.items:
            self.items.append(problem)

    def located(self) -> set[str]:
        return {p.element_id for p in self.items if p.element_id}

    def files(self) -> set[str | None]:
        return {p.file for p in self.items}


def validate_bundle(
    files: dict[str, str], fallback_form_keys=(), previous: dict[str, str] | None = None
) -> list[Problem]:
    """Every problem that would stop the bundle from running as designed; [] when deployable.

    `fallback_form_keys` are forms available outside the bundle (the shipped forms/ directory);
    `previous`, the files of the version this one replaces: an element that fed a figure or the
    case file there must still do so here (domain.figures says why).
    """
    report = _Report()
    form_keys = set(fallback_form_keys) | _check_forms(files, report)
    decisions = _check_dmn_files(files, report)
    trees = {}
    for name in sorted(files):
        if name.lower().endswith(BPMN_SUFFIXES):
            root = _parse(name, files[name], report)
            if root is not None:
                trees[name] = root
    if not any(n.lower().endswith(BPMN_SUFFIXES) for n in files):
        report.add(None, None, "上传内容中没有 BPMN 文件")
        return report.items
    _check_bpmn(trees, form_keys, decisions, report)
    if previous:
        _check_figures_kept(trees, previous, report)
    _check_with_engine(files, report)
    return report.items


# -- what figures and the case file read ----------------------------------------------------------
def _tags(trees: dict) -> dict[tuple[str, str, str], tuple[str, object]]:
    """(property, name, element id) → (file, element) for every kpi / casefile name carried."""
    out = {}
    for file, root in trees.items():
        for el in root.iter():
            if not isinstance(el.tag, str) or not el.get("id"):
                continue
            for prop, values in figures.names(_properties(el)).items():
                for value in values:
                    out[(prop, value, el.get("id"))] = (file, el)
    return out


def _check_figures_kept(trees: dict, previous: dict[str, str], report: _Report) -> None:
    """A kpi / casefile name an element of the replaced version carried must not be dropped: not
    by the element itself, not by renaming it (the new id carries it, the old one is gone: the
    step's records split across two ids, and projects waiting there cannot migrate), and not by
    deleting its last carrier (the figure would get no more data). Deleting one of several carriers
    is a process change like any other."""
    old_trees = {}
    for name, text in previous.items():
        if name.lower().endswith(BPMN_SUFFIXES):
            root = _parse(name, text, _Report())
            if root is not None:
                old_trees[name] = root
    now, before = _tags(trees), _tags(old_trees)
    ids = {
        el.get("id"): (file, el)
        for file, root in trees.items()
        for el in root.iter()
        if isinstance(el.tag, str) and el.get("id")
    }
    old_ids = {key[2] for key in before}
    for (prop, value, element_id), (old_file, old_el) in sorted(before.items(), key=lambda i: i[0]):
        if (prop, value, element_id) in now or value not in figures.KNOWN[prop]:
            continue
        carriers = {key[2] for key in now if key[:2] == (prop, value)}
        newcomers = sorted(carriers - old_ids)
        if element_id in ids:
            where = f"不再标注 {prop}={value}"
        elif newcomers:
            where = f"已不存在，新元素 {'、'.join(newcomers)} 带着同一标注（改名）"
        elif not carriers:
            where = f"已删除，新版本没有任何元素标注 {prop}={value}"
        else:
            continue
        zh, en = figures.KNOWN[prop][value]
        what = f"指标「{zh}」" if prop == figures.KPI else f"案卷的「{zh}」"
        file, el = ids.get(element_id, (old_file, old_el))
        report.add(
            file,
            None,
            f"{what}（{prop}={value}）会丢失数据：上一版本的元素 {element_id} {where}；"
            f"记录按元素编号统计，请保留编号和这个扩展属性 "
            f"(the {'figure' if prop == figures.KPI else 'case file role'} {value} loses data: {en})",
            element_id=element_id,
            element_name=el.get("name"),
        )


# -- the engine's own parse ----------------------------------------------------------------------
def _check_with_engine(files: dict[str, str], report: _Report) -> None:
    try:
        parse_bundle({n: t for n, t in files.items() if not is_form_file(n)})
    except BundleError as exc:
        located, reported_files = report.located(), report.files()
        for p in exc.problems:
            if p.element_id in located:
                continue
            if p.element_id is None and p.file in reported_files:
                continue  # the parser's unlocated complaint about something we already named
            report.add(
                p.file,
                None,
                f"SpiffWorkflow 无法解析：{p.message}",
                element_id=p.element_id,
                element_name=p.element_name,
            )


# -- forms ---------------------------------------------------------------------------------------
def _check_forms(files: dict[str, str], report: _Report) -> set[str]:
    keys = set()
    for name in sorted(n for n in files if is_form_file(n)):
        key = form_key_of(name)
        if key == CHECKLIST_FILE[: -len(".json")]:
            report.add(name, None, "巡查检查表（checklist.json）不是表单，不能通过流程设计器部署")
            continue
        if isinstance(files[name], str) and json_nesting(files[name]) > MAX_FORM_NESTING:
            report.add(name, None, f"表单 JSON 嵌套过深（最多 {MAX_FORM_NESTING} 层）", element_id=key)
            continue
        try:
            schema = json.loads(files[name])
        except (json.JSONDecodeError, TypeError) as exc:
            report.add(name, None, f"不是有效的 JSON：{exc}", element_id=key)
            continue
        problems = schema_problems(schema)
        form = FormDefinition(schema, source=name) if isinstance(schema, dict) else None
        title = form.title if form else None
        if form is not None and form.id and form.id != key:
            problems.append(f"表单 id「{form.id}」与文件名 {key}.json 不一致")
        for message in problems:
            report.add(name, None, f"表单定义有误：{message}", element_id=key, element_name=title)
        if not problems:
            keys.add(key)
    return keys


# -- DMN -----------------------------------------------------------------------------------------
def _check_dmn_files(files: dict[str, str], report: _Report) -> dict[str, str]:
    """Decision id → name of every decision in the bundle, checking each table on the way."""
    decisions: dict[str, str] = {}
    for name in sorted(n for n in files if n.lower().endswith(DMN_SUFFIXES)):
        root = _parse(name, files[name], report)
        if root is None:
            continue
        found = [el for el in root.iter() if _local(el) == "decision"]
        if not found:
            report.add(name, root, "DMN 文件中没有决策（decision）")
        for index, decision in enumerate(found):
            decision_id = decision.get("id")
            if index > 0:
                report.add(name, decision, "每个 DMN 文件只能包含一个决策（SpiffWorkflow 限制）：请拆成多个文件")
            if decision_id in decisions:
                report.add(name, decision, f"决策 id「{decision_id}」在其他 DMN 文件中已存在")
            decisions[decision_id] = decision.get("name") or decision_id
            _check_decision(name, decision, report)
    return decisions


def _check_decision(file: str, decision, report: _Report) -> None:
    tables = [el for el in decision if _local(el) == "decisionTable"]
    if not tables:
        report.add(file, decision, "只支持决策表（decision table）形式的决策")
        return
    label = decision.get("name") or decision.get("id")
    for table in tables:
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in ("UNIQUE", "FIRST", "COLLECT"):
            report.add(file, decision, f"命中策略 {policy} 不受支持：请用 UNIQUE、FIRST 或 COLLECT")
        if table.get("aggregation"):
            report.add(file, decision, f"COLLECT 聚合（{table.get('aggregation')}）不受支持：结果总是列表")
        inputs = []
        for el in table:
            if _local(el) == "input":
                text = _text(_child(_child(el, "inputExpression"), "text"))
                inputs.append((el.get("label") or el.get("id"), text))
                where = f"{label}：输入「{el.get('label') or el.get('id')}」"
                if not text:
                    report.add(file, None, "输入表达式为空", element_id=el.get("id"), element_name=where)
                else:
                    _compile(report, file, el.get("id"), where, text, "表达式", check_expression)
        rows = [el for el in table if _local(el) == "rule"]
        for row, rule in enumerate(rows, start=1):
            entries = [el for el in rule if _local(el) == "inputEntry"]
            for (input_label, input_text), entry in zip(inputs, entries):
                cell = _text(_child(entry, "text"))
                if not cell or cell == "-" or not input_text:
                    continue
                where = f"{label}：第 {row} 条规则，输入「{input_label}」"
                _compile(report, file, entry.get("id"), where, _dmn_test(input_text, cell), "条件", check_expression)
            for entry in (el for el in rule if _local(el) == "outputEntry"):
                cell = _text(_child(entry, "text"))
                if cell:
                    where = f"{label}：第 {row} 条规则的输出"
                    _compile(report, file, entry.get("id"), where, cell, "输出", check_expression)


def _dmn_test(input_text: str, cell: str) -> str:
    """The expression SpiffWorkflow's DMN engine evaluates for one input cell (DMNEngine.evaluate)."""
    marked = re.sub(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", cell)
    if "dmninputexpr" in marked:
        return marked
    try:
        ast.parse(cell)
        return f"({input_text}) == ({cell})"
    except SyntaxError:
        return input_text + cell


# -- BPMN ----------------------------------------------------------------------------------------
@dataclass
class _BpmnContext:
    file: str
    form_keys: set[str]
    decisions: dict[str, str]
    process_ids: set[str]
    thrown: set[str]
    report: _Report

    def add(self, element, message: str) -> None:
        self.report.add(self.file, element, message)


def _check_bpmn(trees: dict, form_keys: set[str], decisions: dict[str, str], report: _Report) -> None:
    processes = {name: [el for el in root.iter(_bpmn("process"))] for name, root in trees.items()}
    any_executable = any(p.get("isExecutable") == "true" for ps in processes.values() for p in ps)
    process_ids = {p.get("id") for ps in processes.values() for p in ps}
    thrown = set()
    for root in trees.values():
        thrown |= _thrown_refs(root)
    for name, root in trees.items():
        ctx = _BpmnContext(name, form_keys, decisions, process_ids, thrown, report)
        if not processes[name]:
            ctx.add(root, "文件中没有流程（process）")
        executable = [p for p in processes[name] if p.get("isExecutable") == "true"]
        for process in executable or processes[name]:
            if not any_executable:
                ctx.add(process, '流程未标记为可执行（isExecutable="true"）：SpiffWorkflow 只运行可执行流程')
            _check_process(ctx, process)


def _check_process(ctx: _BpmnContext, process) -> None:
    lanes = _lanes_by_node(process)
    for lane in process.iter(_bpmn("lane")):
        name = (lane.get("name") or "").strip()
        if name and name not in SYSTEM_LANES and role_for_lane(name) is None:
            ctx.add(lane, f"泳道「{name}」不对应任何已知角色；可用的泳道名：{_lane_names()}")
    for el in process.iter():
        if not isinstance(el.tag, str):
            continue
        local = _local(el)
        if el.tag.startswith("{" + BPMN_NS) and local in UNSUPPORTED:
            ctx.add(_owner(el) if local.endswith("EventDefinition") else el, UNSUPPORTED[local])
        if el.get("isForCompensation") == "true":
            ctx.add(el, UNSUPPORTED["compensateEventDefinition"])
        check = _ELEMENT_CHECKS.get(local)
        if check is not None and el.tag.startswith("{" + BPMN_NS):
            check(ctx, el, lanes)
        _check_extensions(ctx, el)


def _check_user_task(ctx: _BpmnContext, el, lanes) -> None:
    form_key = _properties(el).get("formKey")
    if not form_key:
        ctx.add(el, "用户任务没有指定表单：请在扩展属性中设置 formKey")
    elif form_key not in ctx.form_keys:
        ctx.add(el, f"表单「{form_key}」不存在：请选择已有表单或一并上传 forms/{form_key}.json")
    _check_performer(ctx, el, lanes)


def _check_manual_task(ctx: _BpmnContext, el, lanes) -> None:
    form_key = _properties(el).get("formKey")
    if form_key and form_key not in ctx.form_keys:
        ctx.add(el, f"表单「{form_key}」不存在：请选择已有表单或一并上传 forms/{form_key}.json")
    _check_performer(ctx, el, lanes)


def _check_service_task(ctx: _BpmnContext, el, lanes) -> None:
    props = _properties(el)
    if not (props.get("topic") or "").strip():
        ctx.add(el, NO_TOPIC)
    form_key = props.get("formKey")
    if form_key and form_key not in ctx.form_keys:
        ctx.add(el, f"表单「{form_key}」不存在：请选择已有表单或一并上传 forms/{form_key}.json")


def _check_none_task(ctx: _BpmnContext, el, lanes) -> None:
    ctx.add(el, "未指定类型的任务：请改为用户任务（并指定表单）、脚本任务或业务规则任务")


def _check_performer(ctx: _BpmnContext, el, lanes) -> None:
    """A human task must sit in a lane that names a role, or nobody's inbox will show it."""
    lane = lanes.get(el.get("id"))
    if lane is None:
        ctx.add(el, "人工任务不在任何泳道中：没有角色能办理它；请放入对应角色的泳道")
    elif lane in SYSTEM_LANES:
        ctx.add(el, f"人工任务位于「{lane}」泳道：没有角色能办理它；请放入对应角色的泳道")


def _check_script_task(ctx: _BpmnContext, el, lanes) -> None:
    script = _text(_child(el, "script"))
    if not script:
        ctx.add(el, "脚本任务没有脚本")
    else:
        _compile(ctx.report, ctx.file, el.get("id"), _name_of(el), script, "脚本", check_script)


def _check_business_rule_task(ctx: _BpmnContext, el, lanes) -> None:
    decision = _text(_spiff_child(el, "calledDecisionId"))
    if not decision:
        ctx.add(el, "业务规则任务没有指定决策（calledDecisionId）")
    elif decision not in ctx.decisions:
        known = "、".join(sorted(ctx.decisions)) or "无"
        ctx.add(el, f"决策「{decision}」不存在；可用的决策：{known}")


def _check_sequence_flow(ctx: _BpmnContext, el, lanes) -> None:
    condition = _child(el, "conditionExpression")
    if condition is not None:
        _check_condition(ctx, el, _text(condition), "条件表达式为空")


def _check_timer(ctx: _BpmnContext, el, lanes) -> None:
    event = _owner(el)
    parts = [c for c in el if _local(c) in ("timeDuration", "timeDate", "timeCycle")]
    if not parts:
        ctx.add(event, "定时器没有时间表达式（timeDuration / timeDate / timeCycle）")
        return
    kind, text = _local(parts[0]), _text(parts[0])
    problem = timer_problem(kind, text)
    if problem:
        ctx.add(event, problem)


def _check_conditional_event(ctx: _BpmnContext, el, lanes) -> None:
    _check_condition(ctx, _owner(el), _text(_child(el, "condition")), "条件事件没有条件")


def _check_condition(ctx: _BpmnContext, owner, text: str, when_empty: str) -> None:
    if not text:
        ctx.add(owner, when_empty)
    else:
        _compile(ctx.report, ctx.file, owner.get("id"), _name_of(owner), text, "条件", check_expression)


def _check_message_catch(ctx: _BpmnContext, el, lanes) -> None:
    """Other systems send messages by name (POST /api/v1/messages), so any named message can come;
    a signal only comes from a throw inside the process. A message catch's form must exist."""
    owner = el if _local(el) == "receiveTask" else _owner(el)
    if _local(el) != "receiveTask" and _local(owner) not in CATCH_EVENTS:
        return
    if _local(el) == "signalEventDefinition" and el.get("signalRef") not in ctx.thrown:
        ctx.add(owner, "等待的信号在流程中没有任何环节发出：外部系统只能发送消息，令牌会一直停在这里")
    form_key = _properties(owner).get("formKey")
    if form_key and form_key not in ctx.form_keys:
        ctx.add(owner, f"表单「{form_key}」不存在：请选择已有表单或一并上传 forms/{form_key}.json")


def _check_multi_instance(ctx: _BpmnContext, el, lanes) -> None:
    if _child(el, "loopCardinality") is None and _child(el, "loopDataInputRef") is None:
        ctx.add(_owner(el), "多实例任务必须指定实例数（loopCardinality）或输入集合（loopDataInputRef）")


def _check_call_activity(ctx: _BpmnContext, el, lanes) -> None:
    called = el.get("calledElement")
    if not called:
        ctx.add(el, "调用活动没有指定被调用的流程（calledElement）")
    elif called not in ctx.process_ids:
        ctx.add(el, f"被调用的流程「{called}」不在本次上传的文件中")


_ELEMENT_CHECKS = {
    "userTask": _check_user_task,
    "manualTask": _check_manual_task,
    "task": _check_none_task,
    "scriptTask": _check_script_task,
    "businessRuleTask": _check_business_rule_task,
    "serviceTask": _check_service_task,
    "sequenceFlow": _check_sequence_flow,
    "timerEventDefinition": _check_timer,
    "conditionalEventDefinition": _check_conditional_event,
    "messageEventDefinition": _check_message_catch,
    "signalEventDefinition": _check_message_catch,
    "receiveTask": _check_message_catch,
    "multiInstanceLoopCharacteristics": _check_multi_instance,
    "callActivity": _check_call_activity,
}


def _check_extensions(ctx: _BpmnContext, el) -> None:
    """spiffworkflow extensions on any element: pre/post scripts and the properties we read."""
    for kind in ("preScript", "postScript"):
        script = _text(_spiff_child(el, kind))
        if script:
            where = f"{_name_of(el) or el.get('id')}（{'前置' if kind == 'preScript' else '后置'}脚本）"
            _compile(ctx.report, ctx.file, el.get("id"), where, script, "脚本", check_script)
    props = _properties(el)
    for name, limit in PROPERTY_LIMITS.items():
        if len(props.get(name) or "") > limit:
            ctx.add(el, f"扩展属性 {name} 过长（最多 {limit} 个字符）")
    for prop, values in figures.names(props).items():
        for value in sorted(values - set(figures.KNOWN[prop])):
            ctx.add(el, f"扩展属性 {prop} 的取值「{value}」未知：可选 {' / '.join(figures.KNOWN[prop])}")
    if props.get("priority") and props["priority"] not in PRIORITIES:
        ctx.add(el, f"优先级「{props['priority']}」无效：可选 {' / '.join(PRIORITIES)}")
    if props.get("dueIn"):
        problem = timer_problem("timeDuration", props["dueIn"])
        if problem:
            ctx.add(el, f"办理时限（dueIn）：{problem}")
    for prop in sorted(p for p in props if p == "noticeIf" or p.startswith("noticeIf:")):
        where = f"{_name_of(el) or el.get('id')}（文书条件 {prop}）"
        _compile(ctx.report, ctx.file, el.get("id"), where, props[prop], "条件", check_expression)


def timer_problem(kind: str, text: str | None) -> str | None:
    """What is wrong with a timer expression (Python: a quoted literal such as 'P3D', or a variable)."""
    if not text:
        return "定时器表达式为空"
    errors = check_expression(text)
    if errors:
        return "表达式无法编译：" + "；".join(errors)
    problem = trial_problem(text, "eval")
    if problem:
        return f"试运行未通过（{problem}）"
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        return f"表达式无法编译：{exc}"
    if isinstance(tree, ast.Name) and re.fullmatch(r"P(T?\d.*|\d.*)", tree.id):
        return f"「{text.strip()}」会被当作变量名；时长字面量要加引号：'{tree.id}'"
    if not isinstance(tree, ast.Constant):
        return None  # a variable or expression: its value is known only when the timer starts
    value = tree.value
    if not isinstance(value, str):
        return f"定时器的值应为字符串（例如 'P3D'），而不是 {value!r}"
    try:
        if kind == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        elif kind == "timeDate":
            TimerEventDefinition.parse_time_or_duration(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:
        examples = {
            "timeDuration": "'P3D'、'PT2H'",
            "timeDate": "'2027-01-20T09:00:00+08:00'",
            "timeCycle": "'R3/PT1H'",
        }
        return f"「{value}」不是有效的 ISO 8601 {_TIMER_KINDS[kind]}（例如 {examples[kind]}）"
    return None


_TIMER_KINDS = {"timeDuration": "时长", "timeDate": "时间", "timeCycle": "循环周期"}


# -- helpers -------------------------------------------------------------------------------------
def _parse(name: str, text: str, report: _Report):
    try:
        return parse_xml(text, name)
    except BundleError as exc:
        for p in exc.problems:
            report.add(p.file, None, p.message)
        return None


def _lanes_by_node(process) -> dict[str, str | None]:
    """Element id → lane name as SpiffWorkflow assigns it (the innermost lane; inside a subprocess,
    the subprocess's lane)."""
    lanes: dict[str, str | None] = {}
    for ref in process.iter(_bpmn("flowNodeRef")):
        if ref.text:
            lanes[ref.text.strip()] = ref.getparent().get("name")
    for sub in process.iter(_bpmn("subProcess"), _bpmn("transaction"), _bpmn("adHocSubProcess")):
        for inner in sub.iter():
            if isinstance(inner.tag, str) and inner.get("id") and inner.get("id") not in lanes:
                lanes[inner.get("id")] = lanes.get(sub.get("id"))
    return lanes


def _thrown_refs(root) -> set[str]:
    refs = set()
    for el in root.iter(_bpmn("messageEventDefinition"), _bpmn("signalEventDefinition")):
        if _local(el.getparent()) in THROW_EVENTS:
            refs.add(el.get("messageRef") or el.get("signalRef"))
    for el in root.iter(_bpmn("sendTask")):
        refs.add(el.get("messageRef"))
    return refs - {None}


def _compile(report: _Report, file, element_id, element_name, source, what, checker) -> None:
    errors = checker(source)
    if errors:
        report.add(
            file,
            None,
            f"{what}无法在受限脚本环境中编译：" + "；".join(errors),
            element_id=element_id,
            element_name=element_name,
        )
        return
    # A trial run on empty data finds what compiling cannot: code that passes a limit or leaves
    # values a project cannot store, before any project runs it.
    problem = trial_problem(source, "exec" if checker is check_script else "eval")
    if problem:
        report.add(file, None, f"{what}试运行未通过（{problem}）", element_id=element_id, element_name=element_name)


def _properties(el) -> dict[str, str]:
    props: dict[str, str] = {}
    ext = _child(el, "extensionElements")
    if ext is None:
        return props
    for group in ext.iter(f"{{{SPIFF_NS}}}properties"):
        for prop in group.iter(f"{{{SPIFF_NS}}}property"):
            if prop.get("name"):
                props[prop.get("name")] = prop.get("value") or ""
    return props


def _spiff_child(el, name: str):
    ext = _child(el, "extensionElements")
    return None if ext is None else ext.find(f"{{{SPIFF_NS}}}{name}")


def _owner(el):
    """The flow element an event definition or loop characteristic belongs to."""
    return el.getparent() if el.getparent() is not None else el


def _child(el, local: str):
    if el is None:
        return None
    for child in el:
        if isinstance(child.tag, str) and _local(child) == local:
            return child
    return None


def _text(el) -> str:
    return (el.text or "").strip() if el is not None else ""


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _bpmn(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def _name_of(el) -> str | None:
    return el.get("name") or el.get("label")


def _lane_names() -> str:
    names = [n for role in ROLES.values() for n in role.lane_names[:1]]
    return "、".join(names + ["系统"])
