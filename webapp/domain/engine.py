"""Run process instances on SpiffWorkflow: start, complete, fire timers, snapshot, (de)serialize.

Pure: no Flask, no SQL. Everything the rest of the platform knows about a running
instance comes from `snapshot()`, which reads the diagram's own metadata (lanes,
extension properties), never a Python table of task ids.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import TaskState

from . import instance_state
from .catalog import Bundle
from .durations import parse_duration
from .errors import ScriptFailed, TaskNotReady
from .external import VARIABLES, ExternalTask, names, topic_of
from .sandbox import ScriptRefused, make_script_engine
from .task_walk import Workflow

SERIALIZER_CONFIG = instance_state.SERIALIZER_CONFIG
_REGISTRY = instance_state.REGISTRY
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
STATE_FORMAT = instance_state.STATE_FORMAT


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class HumanTask:
    id: str
    name: str  # BPMN element id
    title: str
    lane: str | None
    form_key: str | None
    stage: str | None
    status: str | None
    priority: str
    due_at: datetime | None
    # `notBy`: the elements whose performer may not do this task (nobody re-inspects their own entry).
    not_by: tuple[str, ...] = ()


@dataclass
class ExternalWork:
    """A service task waiting for an external worker of its topic (domain.external)."""

    id: str
    name: str  # BPMN element id
    title: str
    topic: str
    stage: str | None = None
    status: str | None = None


@dataclass
class Snapshot:
    """What the projections need: ready human tasks, the next timer, stage and status."""

    tasks: list[HumanTask]
    next_timer_at: datetime | None
    stage: str | None
    status: str | None
    completed: bool
    data: dict = field(default_factory=dict)
    # Ledger columns the diagram fills from a waiting timer (its property `ledger`), e.g. the next patrol.
    ledger: dict = field(default_factory=dict)
    external: list[ExternalWork] = field(default_factory=list)


@dataclass
class StepEvent:
    """A task the engine completed, for the history: human tasks carry the submitted data."""

    task_id: str
    name: str
    title: str
    kind: str
    lane: str | None
    data: dict | None = None


EventSink = Callable[[StepEvent], None]


def properties(task_spec) -> dict:
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def prefill(bundle: Bundle, element_id: str, facts: dict) -> dict:
    """The values a task's form starts with: the process data named by the task's `prefill`
    property (the deadline a decision proposed, the address a lead carried). A submission that
    leaves them out keeps them, pages and API alike."""
    spec = bundle.task_spec(element_id)
    keys = (properties(spec).get("prefill") or "").split() if spec is not None else []
    return {key: facts[key] for key in keys if facts.get(key) not in (None, "", [])}


class ProcessRunner:
    """Runs one instance. Every call leaves the workflow at a wait state."""

    def __init__(self, bundle: Bundle, workflow: BpmnWorkflow, helpers: dict | None = None):
        self.bundle = bundle
        self.workflow = workflow
        workflow.script_engine = make_script_engine(extra_globals=helpers or {})

    # -- life cycle -------------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        bundle: Bundle,
        data: dict,
        sink: EventSink | None = None,
        helpers: dict | None = None,
        message: tuple[str, dict] | None = None,
    ):
        """Start an instance at its none start event, or with `message` (name, payload) at the
        start event that catches that message (the other start events are cancelled)."""
        workflow = Workflow(bundle.spec, bundle.subprocess_specs)
        runner = cls(bundle, workflow, helpers)
        start = workflow.get_next_task(state=TaskState.READY)
        if start is not None:
            start.data.update(data)
        if message is not None:
            runner._start_by_message(*message)
        runner._advance(sink)
        return runner

    def _start_by_message(self, name: str, payload: dict) -> None:
        if name not in start_messages(self.bundle):
            raise TaskNotReady(f"no start event catches the message {name}")
        self.workflow.get_next_task(state=TaskState.READY).run()  # the process's Start
        for split in self.workflow.get_tasks(state=TaskState.READY):
            if type(split.task_spec).__name__ != "StartEventSplit":
                continue
            split.run()
            for event in split.children:
                if _message_name(event.task_spec) != name:
                    event.cancel()
        self.workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload))
        _merge_unnamed_payloads(self.workflow, name, payload)

    @classmethod
    def load(
        cls, bundle: Bundle, state: str, helpers: dict | None = None, instance_id: int | None = None
    ) -> ProcessRunner:
        """The instance in `state`; with `instance_id`, the workflow a reader parked for exactly this
        state (see `park`) is taken instead of reading the state again."""
        workflow = _PARKED.take(instance_id, bundle, state) if instance_id is not None else None
        return cls(bundle, workflow if workflow is not None else state_to_workflow(bundle, state), helpers)

    def park(self, instance_id: int, state: str) -> None:
        """Leave this runner's workflow, read from `state` and not changed since (a task page or the
        API reading a task), for the next `load` of the same instance in this process: opening a
        task, then submitting it, reads the state once. Only the text it was read from finds it
        again: a step written meanwhile (here or by another process) changed the text, and a
        workflow that ran a step is never parked (it would differ from its own saved state in
        what a round trip through JSON changes)."""
        _PARKED.put(instance_id, self.bundle, state, self.workflow)

    def dump(self, finished: bool = False) -> str:
        """The state to store; `finished` (the process has ended) keeps only its facts."""
        return workflow_to_state(self.workflow, finished)

    def complete(self, task_id: str, data: dict, sink: EventSink | None = None, actor: str | None = None) -> None:
        task = self._ready_human_task(task_id)
        if task is None:
            raise TaskNotReady(task_id)
        task.data.update(data)
        # Who did it, for the step's own scripts (a write-off slip names who checked).
        task.data["completed_by"] = actor
        self._finish(task, task.run, data, sink)

    def complete_external(self, task_id: str, variables: dict, sink: EventSink | None = None) -> None:
        """A worker finished a waiting service task: its variables join the data, the token moves on."""
        task = self._waiting_external_task(task_id)
        if task is None:
            raise TaskNotReady(task_id)
        task.data.update(variables)
        self._finish(task, task.complete, variables, sink)

    def _finish(self, task, finish: Callable[[], object], data: dict, sink: EventSink | None) -> None:
        try:
            finish()
        except WorkflowException as exc:
            raise ScriptFailed(_describe(exc)) from exc
        if sink:
            sink(self._event(task, data))
        self._advance(sink)

    def deliver_message(self, name: str, payload: dict, sink: EventSink | None = None) -> None:
        """A message from outside for the one catch event waiting for it (TaskNotReady: none is)."""
        if name not in self.waiting_messages():
            raise TaskNotReady(f"not waiting for the message {name}")
        self.workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload))
        _merge_unnamed_payloads(self.workflow, name, payload)
        self._advance(sink)

    def external_tasks(self) -> list[ExternalWork]:
        out = []
        for task in self.workflow.get_tasks(state=TaskState.STARTED):
            topic = topic_of(task.task_spec)
            if topic:
                props = properties(task.task_spec)
                out.append(
                    ExternalWork(
                        id=str(task.id),
                        name=task.task_spec.bpmn_id or task.task_spec.name,
                        title=task.task_spec.bpmn_name or task.task_spec.bpmn_id or "",
                        topic=topic,
                        stage=props.get("stage"),
                        status=props.get("status"),
                    )
                )
        return out

    def external_variables(self, task_id: str) -> dict:
        """The data a worker is given: only what the element names under `variables`."""
        task = self._waiting_external_task(task_id)
        if task is None:
            return {}
        return {key: task.data[key] for key in names(task.task_spec, VARIABLES) if key in task.data}

    def waiting_message_specs(self, name: str) -> list:
        """The specs of the catch events waiting for this message now."""
        return [
            task.task_spec
            for task in self.workflow.event_manager.tasks.values()
            if _message_name(task.task_spec) == name and task.state == TaskState.WAITING
        ]

    def waiting_messages(self) -> list[str]:
        """The names of the messages this instance's catch events wait for now (one per catch)."""
        return [
            name
            for task in self.workflow.event_manager.tasks.values()
            if (name := _message_name(task.task_spec)) and task.state == TaskState.WAITING
        ]

    def fire_timers(self, sink: EventSink | None = None) -> None:
        self.workflow.refresh_timers()
        _one_interruption_per_activity(self.workflow)
        self._advance(sink)

    def run_engine_steps(self, sink: EventSink | None = None) -> None:
        """Run whatever automatic steps are ready, e.g. after a migration replaced the specs."""
        self._advance(sink)

    # -- reading ----------------------------------------------------------------------------
    def ready_human_tasks(self) -> list[HumanTask]:
        out = []
        for task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            props = properties(task.task_spec)
            out.append(
                HumanTask(
                    id=str(task.id),
                    name=task.task_spec.bpmn_id or task.task_spec.name,
                    title=task.task_spec.bpmn_name or task.task_spec.name,
                    lane=task.task_spec.lane,
                    form_key=props.get("formKey"),
                    stage=props.get("stage"),
                    status=props.get("status"),
                    priority=props.get("priority", "normal"),
                    due_at=self._due_at(task, props),
                    not_by=tuple((props.get("notBy") or "").split()),
                )
            )
        return out

    def snapshot(self) -> Snapshot:
        tasks = self.ready_human_tasks()
        external = self.external_tasks()
        waiting = self._waiting_timers()
        timers = [due for _, due in waiting]
        stage, status = self._stage_status(tasks, external)
        ledger: dict[str, datetime] = {}
        for spec, due in waiting:
            column = properties(spec).get("ledger")
            if column and (column not in ledger or due < ledger[column]):
                ledger[column] = due
        return Snapshot(
            tasks=tasks,
            next_timer_at=min(timers) if timers else None,
            stage=stage,
            status=status,
            # What is ready or waiting is known here: each of them walks the whole task tree.
            completed=self.finished(waiting=bool(tasks or waiting or external)),
            data=self.data(),
            ledger=ledger,
            external=external,
        )

    def finished(self, waiting: bool | None = None) -> bool:
        """Whether the process has ended: SpiffWorkflow's flag, or nothing left but an event
        sub-process still listening (a listener that never fires would keep the flag unset).
        `waiting`: whether a human task, timer or external task waits, if the caller knows."""
        if self.workflow.completed:
            return True
        if waiting is None:
            waiting = bool(self.ready_human_tasks() or self._waiting_timers() or self.external_tasks())
        if waiting:
            return False
        live = [t for t in self.workflow.get_tasks(state=_LIVE) if t.workflow is self.workflow]
        return bool(live) and all(
            _is_idle_listener(self.workflow, t) or t.task_spec.name == "End" or type(t.task_spec).__name__ == "_EndJoin"
            for t in live
        )

    def data(self) -> dict:
        """The data of the most recently completed task (the instance's current facts)."""
        last = self.workflow.last_task
        data = dict(last.data) if last is not None else {}
        data.update(self.workflow.data)
        return data

    def task_data(self, task_id: str) -> dict:
        """A ready human task's own data (what its form is filled from); the instance's facts else."""
        task = self._ready_human_task(task_id)
        return dict(task.data) if task is not None else self.data()

    def timer_due_times(self) -> list[datetime]:
        """When each waiting timer falls due, read exactly as SpiffWorkflow will read it (a value
        without a zone is in the server's local zone), for every kind: date, duration, cycle."""
        return [due for _, due in self._waiting_timers()]

    def _waiting_timers(self) -> list[tuple]:
        out = []
        for task in self.workflow.event_manager.tasks.values():
            definition = getattr(task.task_spec, "event_definition", None)
            if not isinstance(definition, TimerEventDefinition):
                continue
            value = definition.details(task).value
            if isinstance(value, str):
                out.append((task.task_spec, TimerEventDefinition.get_datetime(value).astimezone(timezone.utc)))
        return out

    def send_message(self, name: str, payload: dict, sink: EventSink | None = None) -> bool:
        """Deliver a message (e.g. `inspection_request`) to whatever in the diagram waits for it;
        whether anything did (a new task, or nothing)."""
        before = {t.id for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)}
        self.workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload))
        _merge_unnamed_payloads(self.workflow, name, payload)
        self._advance(sink)
        return any(t.id not in before for t in self.workflow.get_tasks(state=TaskState.READY, manual=True))

    def depth(self) -> int:
        return max((t.depth for t in self.workflow.get_tasks(state=_LIVE)), default=0)

    def task_count(self) -> int:
        return len(self.workflow.tasks)

    # -- internals --------------------------------------------------------------------------
    def _waiting_external_task(self, task_id: str):
        try:
            task = self.workflow.get_task_from_id(_uuid(task_id))
        except Exception:
            return None
        if task is None or task.state != TaskState.STARTED or not isinstance(task.task_spec, ExternalTask):
            return None
        return task

    def _ready_human_task(self, task_id: str):
        try:
            task = self.workflow.get_task_from_id(_uuid(task_id))
        except Exception:
            return None
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            return None
        return task

    def _advance(self, sink: EventSink | None) -> None:
        def did_complete(task):
            # A service task that ran to STARTED waits for its worker: it completes later.
            if (
                sink
                and not task.task_spec.manual
                and _is_visible_step(task.task_spec)
                and task.state == TaskState.COMPLETED
            ):
                sink(self._event(task, None))

        try:
            self.workflow.do_engine_steps(did_complete_task=did_complete)
        except WorkflowException as exc:
            raise ScriptFailed(_describe(exc)) from exc
        compact_loops(self.workflow)

    def _event(self, task, data) -> StepEvent:
        spec = task.task_spec
        return StepEvent(
            task_id=str(task.id),
            name=spec.bpmn_id or spec.name,
            title=spec.bpmn_name or spec.bpmn_id or spec.name,
            kind=type(spec).__name__,
            lane=spec.lane,
            data=data,
        )

    def _due_at(self, task, props: dict) -> datetime | None:
        expression = props.get("dueIn")
        if not expression:
            return None
        try:
            value = self.workflow.script_engine.evaluate(task, expression)
            ready_at = datetime.fromtimestamp(task.last_state_change, timezone.utc)
            if isinstance(value, str) and not value.startswith("P"):  # a moment (a deadline), not a duration
                return datetime.fromisoformat(value).astimezone(timezone.utc)
            return ready_at + parse_duration(value, start=ready_at)
        except Exception:
            # A bad due expression must not block the work itself; the designer's validation reports it.
            return None

    def _stage_status(
        self, tasks: list[HumanTask], external: Sequence[ExternalWork] = ()
    ) -> tuple[str | None, str | None]:
        """Stage/status from the BPMN: the current tasks' properties (human, then those waiting for
        a worker), else the last event reached."""
        steps: list[HumanTask | ExternalWork] = [*sorted(tasks, key=lambda t: t.priority != "high"), *external]
        for task in steps:
            if task.stage or task.status:
                return task.stage, task.status
        node = self.workflow.last_task
        while node is not None:
            props = properties(node.task_spec)
            if props.get("stage") or props.get("status"):
                return props.get("stage"), props.get("status")
            node = node.parent
        return None, None


class _Parking:
    """The few workflows read and left unchanged by readers, by instance id (oldest dropped
    first). An entry is taken out by the one `load` that uses it, so no two callers share a
    workflow, and it is used only for the very state text and bundle it was read from."""

    SIZE = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[int, tuple[Bundle, str, BpmnWorkflow]] = OrderedDict()

    def put(self, instance_id: int, bundle: Bundle, state: str, workflow: BpmnWorkflow) -> None:
        with self._lock:
            self._entries.pop(instance_id, None)
            self._entries[instance_id] = (bundle, state, workflow)
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)

    def take(self, instance_id: int, bundle: Bundle, state: str) -> BpmnWorkflow | None:
        with self._lock:
            entry = self._entries.pop(instance_id, None)
        if entry is None or entry[0] is not bundle or entry[1] != state:
            return None
        return entry[2]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_PARKED = _Parking()


def _merge_unnamed_payloads(workflow: BpmnWorkflow, name: str, payload: dict) -> None:
    """A catch without a messageVariable takes the message's data as process data (as plain BPMN
    does; SpiffWorkflow's own definition would drop it), so a gateway after it reads the answer."""
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if (
            _message_name(task.task_spec) == name
            and getattr(definition, "message_var", None) is None
            and name in task.internal_data
        ):
            task.data.update(payload)


def _message_name(spec) -> str | None:
    definition = getattr(spec, "event_definition", None)
    return definition.name if isinstance(definition, MessageEventDefinition) else None


def start_messages(bundle: Bundle) -> set[str]:
    """The messages that start an instance of the bundle's process (its message start events)."""
    return {
        name
        for spec in bundle.spec.task_specs.values()
        if type(spec).__name__ == "StartEvent" and (name := _message_name(spec))
    }


def caught_messages(bundle: Bundle) -> set[str]:
    """Every message some catch event of the bundle (process or sub-process) waits for."""
    specs = [bundle.spec, *bundle.subprocess_specs.values()]
    return {name for spec in specs for ts in spec.task_specs.values() if (name := _message_name(ts))}


def _is_idle_listener(workflow, task) -> bool:
    """A sub-process task (the event sub-process) with nothing running inside it."""
    if not isinstance(task.task_spec, SubWorkflowTask):
        return False
    child = workflow.subprocesses.get(task.id)
    return child is None or all("Start" in type(t.task_spec).__name__ for t in child.get_tasks(state=_LIVE))


def _is_visible_step(spec) -> bool:
    """Only diagram elements with an id are history-worthy (not Spiff's internal join/split tasks)."""
    return bool(getattr(spec, "bpmn_id", None)) and not type(spec).__name__.endswith(("Split", "Join"))


def _describe(exc: WorkflowException) -> str:
    task = getattr(exc, "task_spec", None) or getattr(getattr(exc, "task", None), "task_spec", None)
    where = f"{getattr(task, 'bpmn_id', '') or ''} {getattr(task, 'bpmn_name', '') or ''}".strip()
    text = str(exc).strip()
    # SpiffWorkflow says only "Error evaluating expression …" for conditions, timers and decisions:
    # the sandbox's reason (too large, ran too long, not allowed) is what the operator needs.
    reason = exc.__cause__ or exc.__context__
    if isinstance(reason, ScriptRefused) and str(reason) not in text:
        text = f"{text.rstrip('. ')}: {reason}"
    return f"{where}: {text}" if where else text


def _uuid(task_id: str):
    from uuid import UUID

    return UUID(str(task_id))


def _one_interruption_per_activity(workflow: BpmnWorkflow) -> None:
    """When two interrupting timers of one activity came due together (a worker that was down,
    a patrol due on the day the completion check is), only the one due first interrupts.

    SpiffWorkflow cancels the other boundary events only while they wait; two that became ready
    in the same refresh would both run and split the project into two live paths."""
    by_activity: dict = {}
    for task in workflow.get_tasks(state=TaskState.READY):
        spec = task.task_spec
        if (
            isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)
            and getattr(spec, "cancel_activity", False)
            and task.parent is not None
        ):
            by_activity.setdefault(task.parent.id, []).append(task)
    for due in by_activity.values():
        if len(due) > 1:
            due.sort(key=_timer_moment)
            for later in due[1:]:
                later._set_state(TaskState.WAITING)


def _timer_moment(task) -> datetime:
    value = task._get_internal_data("event_value")
    try:
        moment = TimerEventDefinition.get_datetime(value)
    except Exception:  # a cycle or an unreadable value: after every dated one
        return datetime.max.replace(tzinfo=timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# -- loop compaction --------------------------------------------------------------------------
def compact_loops(workflow: BpmnWorkflow) -> int:
    """Cut finished loop iterations out of the task tree; returns how many were cut.

    Every BPMN loop iteration adds its tasks below the previous ones; a patrol cycle that runs
    for months would make every step slower and, past depth 1000, SpiffWorkflow silently stops
    finding ready tasks. When a live task's path from the root passes the same element twice
    (the loop head, A then B), the finished iteration between them is spliced out: B's children
    are re-attached to A and A takes B's data. Nothing is re-run, so no script or timer fires
    twice; the iteration's history is kept in our own history table, not in the tree.
    """
    cut = 0
    while _has_repeated_element(workflow):
        pair = _repeated_on_path(workflow)
        if pair is None:
            break
        first, last = pair
        _splice(workflow, first, last)
        cut += 1
    return cut


def _has_repeated_element(workflow) -> bool:
    """Whether any element has two completed tasks in the tree: without that no path repeats a
    finished element, and the path walk below (from every live task to the root) is skipped."""
    names = [task.task_spec.name for task in workflow.tasks.values() if task.state == TaskState.COMPLETED]
    return len(set(names)) < len(names)


def _repeated_on_path(workflow):
    for live in workflow.get_tasks(state=_LIVE):
        if live.workflow is not workflow:
            continue
        path = []
        node = live
        while node is not None:
            path.append(node)
            node = node.parent
        path.reverse()
        seen = {}
        for node in path:
            name = node.task_spec.name
            if name in seen and node.state == TaskState.COMPLETED and seen[name].state == TaskState.COMPLETED:
                first, last = seen[name], node
                if _only_finished_between(first, last):
                    return first, last
            seen.setdefault(name, node)
    return None


def _only_finished_between(first, last) -> bool:
    keep = {t.id for t in last}
    for task in first:
        if task.id in keep or task is first:
            continue
        if task.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR):
            return False
    return True


def _splice(workflow: BpmnWorkflow, first, last) -> None:
    keep = {t.id for t in last} - {last.id}
    doomed = [t for t in first if t.id not in keep and t.id != first.id]
    first.data = last.data
    first.internal_data = last.internal_data
    first._children = list(last._children)
    for child in last.children:
        child._parent = first.id
    # The sub-processes the cut iteration ran (with those they ran): their entries would stay for
    # ever. SpiffWorkflow finds them through their tasks, so before those leave the tree.
    for task in doomed:
        if task.id in workflow.subprocesses:
            workflow.delete_subprocess(task)
    for task in doomed:
        workflow.tasks.pop(task.id, None)
        workflow.event_manager.tasks.pop(task.id, None)
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = first


# -- state (de)serialization: domain.instance_state ---------------------------------------------
def workflow_to_state(workflow: BpmnWorkflow, finished: bool = False) -> str:
    return instance_state.workflow_to_state(workflow, finished)


def state_to_workflow(bundle: Bundle, text: str) -> BpmnWorkflow:
    return instance_state.state_to_workflow(bundle.spec, bundle.subprocess_specs, text)
