"""Scenario tests of a process: start data, the answer each user task gets, and what must follow.

Pure: no Flask, no SQL. A scenario (processes/scenarios/*.json) is run in memory on a bundle with
ProcessRunner and the sandboxed script engine; its timers fall due on a scenario clock (a fixed
offset from the wall clock, so nothing global is patched and validation may run beside live work).
The caller passes the helpers scripts call (`rule` at the district defaults, or the scenario's own
`rules`) and the patrol checklist, which live outside the domain.

    {"name": "...", "title": "...", "process": "small_works", "rules": {...},
     "start": {...},
     "steps": [{"task": "first_visit", "data": {...}}, {"timer": "patrol_due"}, {"wait": "P3D"},
               {"message": "inspection_request", "data": {...}}],
     "expect": {"path": [element ids], "end": "end_written_off", "notices": [kinds],
                "hazards": [{"item_code": "A01", "severity": "GENERAL", "status": "closed"}]}}

Dates in start and answer data may be relative to the day the scenario runs (`"@today+P45D"`,
`"@today"`), so a scenario means the same next year (a planned end already past would fire timers).

The path is every diagram element passed, in order (gateways and events included): a scenario whose
path differs names the first element where it went elsewhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from . import hazards as hazard_rules
from .catalog import BPMN_SUFFIXES, Bundle, parse_xml
from .durations import parse_duration
from .engine import ProcessRunner, StepEvent, prefill, properties
from .errors import ScriptFailed
from .sandbox import ScriptRefused, make_script_engine
from .workdays import XIAMEN

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SUFFIX = ".json"
ACTOR = "scenario"
_RELATIVE_DATE = re.compile(r"^@today(?:([+-])(P\w+))?$")
# A scenario that loops forever (a timer that re-arms itself) stops here, as a failure.
MAX_TIMER_ROUNDS = 50

# (the scenario's rule overrides, the scenario clock) → the functions scripts call
Helpers = Callable[[dict, Callable[[], datetime]], dict]
Checklist = Callable[[dict], list]  # the instance data → the patrol checklist items that apply


class ScenarioError(ValueError):
    """A scenario file that cannot be read: it names the file and what is wrong."""


@dataclass
class Scenario:
    name: str
    title: str
    process: str
    start: dict
    steps: list[dict]
    expect: dict
    rules: dict = field(default_factory=dict)
    file: str | None = None
    # Started by another system's message at a message start event: {"name": …, "data": …}.
    start_message: dict | None = None

    def to_dict(self) -> dict:
        out: dict = {"name": self.name, "title": self.title, "process": self.process}
        if self.rules:
            out["rules"] = self.rules
        if self.start_message:
            out["start_message"] = self.start_message
        return dict(out, start=self.start, steps=self.steps, expect=self.expect)


@dataclass
class Outcome:
    """What a run did: the path, the end reached, the notices issued and the hazards recorded."""

    path: list[str]
    end: str | None
    finished: bool
    notices: list[str]
    hazards: list[dict]
    error: str | None = None  # a step that could not be taken (no such task ready, a script failed)
    choices: list[tuple[str, str, str | None]] = field(default_factory=list)  # (gateway, target, condition)


@dataclass
class Result:
    name: str
    title: str
    file: str | None
    passed: bool
    failures: list[str]
    diverged_at: str | None  # the last element the expected and the actual path share
    expected_next: str | None
    actual_next: str | None
    outcome: Outcome

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "file": self.file,
            "passed": self.passed,
            "failures": self.failures,
            "diverged_at": self.diverged_at,
            "expected_next": self.expected_next,
            "actual_next": self.actual_next,
            "path": self.outcome.path,
            "end": self.outcome.end,
            "notices": self.outcome.notices,
            "hazards": self.outcome.hazards,
        }


# -- reading -------------------------------------------------------------------------------------
def parse(text: str, file: str | None = None) -> Scenario:
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ScenarioError(f"{file}: 不是合法的 JSON：{exc}") from exc
    if not isinstance(raw, dict):
        raise ScenarioError(f"{file}: 场景必须是一个 JSON 对象")
    for key, kind in (("name", str), ("start", dict), ("steps", list), ("expect", dict)):
        if not isinstance(raw.get(key), kind):
            raise ScenarioError(f"{file}: 缺少或错误的字段 {key}")
    for number, step in enumerate(raw["steps"], 1):
        if not isinstance(step, dict) or not ({"task", "timer", "wait", "message", "external"} & set(step)):
            raise ScenarioError(f"{file}: 第 {number} 步须有 task、external、timer、wait 或 message 之一")
    message = raw.get("start_message")
    if message is not None and not (isinstance(message, dict) and isinstance(message.get("name"), str)):
        raise ScenarioError(f"{file}: start_message 须为 {{\"name\": 消息名, \"data\": {{…}}}}")
    return Scenario(
        name=raw["name"],
        title=raw.get("title") or raw["name"],
        process=raw.get("process") or "",
        start=raw["start"],
        steps=raw["steps"],
        expect=raw["expect"],
        rules=raw.get("rules") or {},
        file=file,
        start_message=message,
    )


def load_directory(directory: Path, process_id: str | None = None) -> list[Scenario]:
    """The scenarios of a directory (sorted by file name), those of `process_id` if given."""
    if not directory.is_dir():
        return []
    out = [parse(p.read_text(encoding="utf-8"), p.name) for p in sorted(directory.glob("*" + SUFFIX))]
    return [s for s in out if process_id is None or s.process in ("", process_id)]


# -- running -------------------------------------------------------------------------------------
def resolve_dates(value, now: datetime):
    """The data with every `@today±duration` string made the Xiamen date it names."""
    if isinstance(value, dict):
        return {k: resolve_dates(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_dates(v, now) for v in value]
    match = _RELATIVE_DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    moment = now
    if match.group(2):
        delta = parse_duration(match.group(2), start=now)
        moment = now + delta if match.group(1) == "+" else now - delta
    return moment.astimezone(XIAMEN).date().isoformat()


class _Clock:
    """The scenario's time: the wall clock plus how far the scenario has waited. SpiffWorkflow arms a
    duration timer on the wall clock, so its due moment moves by the wait in force when it was armed;
    a date timer's moment was computed by the scripts, which read the scenario clock already."""

    def __init__(self):
        self.offset = timedelta(0)
        self.armed: dict[str, timedelta] = {}

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def due_timers(self, runner: ProcessRunner) -> list[tuple[datetime, Any]]:
        out = []
        for task in runner.workflow.event_manager.tasks.values():
            due = _timer_due(task)
            if due is None:
                continue
            shift = timedelta(0) if _is_date_timer(task) else self.armed.setdefault(str(task.id), self.offset)
            out.append((due + shift, task))
        return sorted(out, key=lambda pair: pair[0])


def _timer_due(task) -> datetime | None:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(definition, TimerEventDefinition):
        return None
    value = definition.details(task).value
    if not isinstance(value, str):
        return None
    return TimerEventDefinition.get_datetime(value)


def _is_date_timer(task) -> bool:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition

    return isinstance(getattr(task.task_spec, "event_definition", None), TimeDateEventDefinition)


class _Recorder(ProcessRunner):
    """A runner that notes which way each exclusive gateway went, and under which condition."""

    def _event(self, task, data) -> StepEvent:
        spec = task.task_spec
        if type(spec).__name__ == "ExclusiveGateway":
            self.__dict__.setdefault("choices", []).append(_choice(task))
        return super()._event(task, data)


def _choice(task) -> tuple[str, str, str | None]:
    """The gateway's choice as SpiffWorkflow made it: the first condition that holds, else the default."""
    spec = task.task_spec
    for condition, target in spec.cond_task_specs:
        if condition is not None and condition._matches(task):
            return spec.bpmn_id, _element(target), str(condition.args[0]).strip()
    return spec.bpmn_id, _element(spec.default_task_spec), None


def _element(spec_name: str) -> str:
    """The diagram element of a task spec: an activity with boundary events is entered through
    SpiffWorkflow's `<id>.BoundaryEventSplit`."""
    return spec_name.removesuffix(".BoundaryEventSplit")


class _Run:
    def __init__(self, bundle: Bundle, scenario: Scenario, helpers: Helpers, checklist: Checklist):
        self.bundle, self.scenario, self.checklist = bundle, scenario, checklist
        self.clock = _Clock()
        self.helpers = helpers(scenario.rules, self.clock.now)
        self.events: list[StepEvent] = []
        self.notices: list[str] = []
        self.hazards: list[dict] = []
        self.noticed = 0  # the events whose notices are counted
        self.runner: _Recorder | None = None

    def go(self) -> Outcome:
        error = None
        try:
            start = resolve_dates(self.scenario.start, self.clock.now())
            message = self.scenario.start_message
            self.runner = _Recorder.start(
                self.bundle,
                start,
                sink=self._sink,
                helpers=self.helpers,
                message=(message["name"], resolve_dates(message.get("data") or {}, self.clock.now()))
                if message
                else None,
            )
            self._after_call()
            for number, step in enumerate(self.scenario.steps, 1):
                self._take(number, step)
                self._after_call()
        except _StepRefused as exc:
            error = str(exc)
        except (ScriptFailed, ScriptRefused) as exc:
            error = f"脚本执行失败：{exc}"
        except Exception as exc:  # a designer's diagram may break the engine anywhere: a failed scenario
            error = f"运行出错：{type(exc).__name__}: {exc}"
        path = [e.name for e in self.events]
        ends = [e.name for e in self.events if e.kind == "EndEvent"]
        finished = self.runner.finished() if self.runner is not None else False
        return Outcome(
            path=path,
            end=ends[-1] if ends else None,
            finished=finished,
            notices=self.notices,
            hazards=[{k: h[k] for k in ("item_code", "severity", "status")} for h in self.hazards],
            error=error,
            choices=list(getattr(self.runner, "choices", [])),
        )

    def _sink(self, event: StepEvent) -> None:
        self.events.append(event)

    def _take(self, number: int, step: dict) -> None:
        runner = self.runner
        assert runner is not None
        if "task" in step:
            ready = [t for t in runner.ready_human_tasks() if t.name == step["task"]]
            if not ready:
                names = ", ".join(sorted(t.name for t in runner.ready_human_tasks())) or "无"
                raise _StepRefused(f"第 {number} 步：任务 {step['task']} 未就绪（就绪的任务：{names}）")
            task = ready[0]
            facts = runner.task_data(task.id)
            data = {**prefill(self.bundle, task.name, facts), **resolve_dates(step.get("data") or {}, self.clock.now())}
            data.update(self._hazard_facts(task.name, data, facts))
            runner.complete(task.id, data, sink=self._sink, actor=ACTOR)
        elif "external" in step:
            waiting = [w for w in runner.external_tasks() if w.name == step["external"]]
            if not waiting:
                names = ", ".join(sorted(w.name for w in runner.external_tasks())) or "无"
                raise _StepRefused(f"第 {number} 步：服务任务 {step['external']} 未在等待外部系统（等待中的：{names}）")
            runner.complete_external(
                waiting[0].id, resolve_dates(step.get("data") or {}, self.clock.now()), sink=self._sink
            )
        elif "timer" in step:
            due = [(at, t) for at, t in self.clock.due_timers(runner) if t.task_spec.bpmn_id == step["timer"]]
            if not due:
                raise _StepRefused(f"第 {number} 步：没有等待中的定时器 {step['timer']}")
            self._advance_to(due[0][0])
        else:
            if "wait" in step:
                self._advance_to(self.clock.now() + parse_duration(step["wait"], start=self.clock.now()))
            if "message" in step:
                runner.send_message(
                    step["message"], resolve_dates(step.get("data") or {}, self.clock.now()), sink=self._sink
                )

    def _advance_to(self, moment: datetime) -> None:
        """Move the scenario clock to `moment`, firing every timer due by then in the order due."""
        runner = self.runner
        assert runner is not None
        for _ in range(MAX_TIMER_ROUNDS):
            due = [(at, t) for at, t in self.clock.due_timers(runner) if at <= moment]
            if not due:
                self.clock.offset = max(self.clock.offset, moment - datetime.now(timezone.utc))
                return
            at, _task = due[0]
            self.clock.offset = max(self.clock.offset, at - datetime.now(timezone.utc) + timedelta(seconds=1))
            for when, task in due:
                if when <= at:
                    task._set_internal_data(event_fired=True)
            runner.fire_timers(sink=self._sink)
            self._after_call()
        raise _StepRefused(f"定时器连续触发超过 {MAX_TIMER_ROUNDS} 次")

    def _after_call(self) -> None:
        """The notices the steps of one call issue, as services.casefile.notices issues them."""
        assert self.runner is not None
        data = self.runner.data()
        fresh, self.noticed = self.events[self.noticed :], len(self.events)
        for event in fresh:
            props = properties(self.bundle.task_spec(event.name)) if event.name else {}
            kinds = (props.get("notice") or "").split()
            facts = {**data, **(event.data or {})}
            if not kinds or not _holds(props.get("noticeIf"), facts):
                continue
            self.notices += [kind for kind in kinds if _holds(props.get(f"noticeIf:{kind}"), facts)]

    def _hazard_facts(self, element: str, clean: dict, facts: dict) -> dict:
        """The hazard book of services.lifecycle.hazards, kept in memory: what a step records or
        judges, and the facts (`open_hazards`, `failed_items`) its gateways read."""
        action = properties(self.bundle.task_spec(element)).get("hazards")
        if action is None:
            return {}
        live = [h for h in self.hazards if h["status"] in hazard_rules.LIVE]
        if action == "record":
            outcome = clean.get("outcome")
            status = hazard_rules.CLOSED if outcome == hazard_rules.FIXED_ONSITE else hazard_rules.OPEN
            for finding in hazard_rules.findings(clean, self.checklist(facts)):
                self.hazards.append(dict(finding, ref=f"H{len(self.hazards) + 1}", status=status))
        elif action == "evidence":
            for hazard in live:
                hazard["status"] = hazard_rules.EVIDENCE
        elif action in ("reinspect", "resume"):
            results = clean.get("hazard_results") or {}
            for hazard in live:
                verdict = results.get(hazard["ref"], results.get("*"))
                if verdict == "passed":
                    hazard["status"] = hazard_rules.CLOSED
                elif verdict == "failed":
                    hazard["status"] = hazard_rules.FAILED
        still = sum(1 for h in self.hazards if h["status"] in hazard_rules.LIVE)
        return {"open_hazards": still, "failed_items": hazard_rules.failed_items(clean.get("checklist"))}


class _StepRefused(Exception):
    pass


def _holds(expression: str | None, facts: dict) -> bool:
    if not expression:
        return True
    try:
        return bool(make_script_engine().environment.evaluate(expression, dict(facts)))
    except Exception:
        return False  # as the platform does: a broken condition issues no notice


def execute(bundle: Bundle, scenario: Scenario, helpers: Helpers, checklist: Checklist) -> Outcome:
    return _Run(bundle, scenario, helpers, checklist).go()


def run(bundle: Bundle, scenario: Scenario, helpers: Helpers, checklist: Checklist) -> Result:
    """Run the scenario and compare what happened with what it expects."""
    return compare(scenario, execute(bundle, scenario, helpers, checklist))


def compare(scenario: Scenario, outcome: Outcome) -> Result:
    expect = scenario.expect
    failures = [outcome.error] if outcome.error else []
    diverged = expected_next = actual_next = None
    if "path" in expect:
        wanted, got = list(expect["path"]), outcome.path
        shared = next((i for i, (a, b) in enumerate(zip(wanted, got)) if a != b), min(len(wanted), len(got)))
        if wanted != got:
            diverged = got[shared - 1] if shared else None
            expected_next = wanted[shared] if shared < len(wanted) else None
            actual_next = got[shared] if shared < len(got) else None
            failures.append(
                f"路径在 {diverged or '开始'} 之后分岔：预期 {expected_next or '结束'}，实际 {actual_next or '停止'}"
            )
    if "end" in expect and expect["end"] != outcome.end:
        failures.append(f"结束事件：预期 {expect['end']}，实际 {outcome.end}")
    if "finished" in expect and bool(expect["finished"]) != outcome.finished:
        failures.append(f"流程{'应' if expect['finished'] else '不应'}已结束")
    if "notices" in expect and sorted(expect["notices"]) != sorted(outcome.notices):
        failures.append(f"文书：预期 {sorted(expect['notices'])}，实际 {sorted(outcome.notices)}")
    if "hazards" in expect and _hazard_keys(expect["hazards"]) != _hazard_keys(outcome.hazards):
        failures.append(f"隐患：预期 {expect['hazards']}，实际 {outcome.hazards}")
    return Result(
        name=scenario.name,
        title=scenario.title,
        file=scenario.file,
        passed=not failures,
        failures=failures,
        diverged_at=diverged,
        expected_next=expected_next,
        actual_next=actual_next,
        outcome=outcome,
    )


def _hazard_keys(rows: list[dict]) -> list[tuple]:
    return sorted((r.get("item_code") or "", r.get("severity") or "", r.get("status") or "") for r in rows)


def expectation(outcome: Outcome) -> dict:
    """What a run did, as a scenario's `expect` (recording a scenario from what really happened)."""
    return {
        "path": outcome.path,
        "end": outcome.end,
        "finished": outcome.finished,
        "notices": outcome.notices,
        "hazards": outcome.hazards,
    }


# -- recording -----------------------------------------------------------------------------------
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Facts the platform adds to a step's data, which a replay computes again.
_DERIVED = ("rules", "completed_by", "open_hazards", "failed_items")


def from_history(
    bundle: Bundle, name: str, title: str, start: dict, created_at: datetime, rows: list[dict]
) -> Scenario:
    """A scenario replaying a project's history (rows of {kind, element_id, data, at}, oldest first):
    each completed task with its answer, each timer that fired, each inspection request, each
    service task an external worker completed and each message another system sent (the one that
    started the project, if one did). Dates become relative to the moment they were entered, so
    the replay means the same later."""
    steps: list[dict] = []
    start_message = None
    for row in rows:
        data = row.get("data") or {}
        if row["kind"] == "task_completed" and row.get("element_id"):
            answer = {k: v for k, v in data.items() if k not in _DERIVED} if isinstance(data, dict) else {}
            steps.append({"task": row["element_id"], "data": _relative(answer, row["at"])})
        elif row["kind"] == "step" and row.get("element_id") and _is_timer(bundle, row["element_id"]):
            steps.append({"timer": row["element_id"]})
        elif row["kind"] == "inspection_requested":
            steps.append({"message": "inspection_request", "data": _relative(data, row["at"])})
        elif row["kind"] == "external_task_completed" and row.get("element_id"):
            steps.append({"external": row["element_id"], "data": _relative(data.get("variables") or {}, row["at"])})
        elif row["kind"] == "message_received" and data.get("name"):
            message = {"name": data["name"], "data": _relative(data.get("data") or {}, row["at"])}
            if row.get("element_id") and type(bundle.task_spec(row["element_id"])).__name__ == "StartEvent":
                start_message = message
            else:
                steps.append({"message": message["name"], "data": message["data"]})
    return Scenario(
        name=name,
        title=title,
        process=bundle.process_id,
        start=_relative(start, created_at),
        steps=steps,
        expect={},
        start_message=start_message,
    )


def _is_timer(bundle: Bundle, element_id: str) -> bool:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

    spec = bundle.task_spec(element_id)
    return isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)


def _relative(value, at: datetime):
    if isinstance(value, dict):
        return {k: _relative(v, at) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative(v, at) for v in value]
    if isinstance(value, str) and _DATE.match(value):
        try:
            days = (datetime.fromisoformat(value).date() - at.astimezone(XIAMEN).date()).days
        except ValueError:
            return value
        return "@today" if days == 0 else f"@today{'+' if days > 0 else '-'}P{abs(days)}D"
    return value


# -- coverage ------------------------------------------------------------------------------------
def gateway_flows(bundle: Bundle) -> dict[str, dict[str, tuple[str, str | None]]]:
    """Exclusive gateways with more than one outgoing flow: gateway id → {flow id: (target id,
    condition text or None)}. Two flows may share a target: only the condition tells them apart."""
    out: dict[str, dict[str, tuple[str, str | None]]] = {}
    for name, text in bundle.files.items():
        if not name.lower().endswith(BPMN_SUFFIXES):
            continue
        root = parse_xml(text, name)
        gateways = {el.get("id") for el in root.iter(f"{{{BPMN_NS}}}exclusiveGateway")}
        for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            if flow.get("sourceRef") in gateways:
                condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
                text_of = (condition.text or "").strip() if condition is not None else None
                out.setdefault(flow.get("sourceRef"), {})[flow.get("id")] = (flow.get("targetRef"), text_of)
    return {gateway: flows for gateway, flows in out.items() if len(flows) > 1}


def flow_ids(bundle: Bundle, choices: list[tuple[str, str, str | None]]) -> set[str]:
    """The flows of the gateway choices a run made ((gateway, target, condition or None))."""
    gateways = gateway_flows(bundle)
    taken = set()
    for gateway, target, condition in choices:
        for flow, (flow_target, flow_condition) in gateways.get(gateway, {}).items():
            if flow_target == target and (flow_condition or None) == (condition or None):
                taken.add(flow)
    return taken


def uncovered(bundle: Bundle, outcomes: list[Outcome]) -> list[str]:
    """The gateway flows no run took, as `gateway → flow`."""
    taken = flow_ids(bundle, [choice for outcome in outcomes for choice in outcome.choices])
    return sorted(f"{g} → {f}" for g, flows in gateway_flows(bundle).items() for f in flows if f not in taken)
