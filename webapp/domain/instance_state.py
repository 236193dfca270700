"""An instance's state as stored: SpiffWorkflow's own JSON layout, without the specs.

The specs live once per process version (domain.catalog.Bundle); an instance stores only its
task trees, data and events. The layout is what SpiffWorkflow's BpmnWorkflowConverter writes
(less `spec` and `subprocess_specs`), each task's data stored whole where that is shorter than
SpiffWorkflow's delta; either converter reads what the other wrote (tests/unit/test_instance_state.py).

Every step reads and writes the whole state, so the conversion is written out here for the
types an instance holds: SpiffWorkflow's generic registry walks each task through a chain of
dispatches, parses each id up to four times (as itself, its parent, a child) and deep-merges
every task's data, which made loading and saving a third of a task completion.
"""

from __future__ import annotations

import json
from copy import copy
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter
from SpiffWorkflow.task import Task, TaskState

from .errors import ScriptFailed
from .external import ExternalTask
from .task_walk import SubWorkflow, Workflow

# SpiffWorkflow's converters, and ours for a service task waiting for an external worker (it converts
# like any spiff task: the migration diff compares specs through the registry).
SERIALIZER_CONFIG = {**SPIFF_CONFIG, ExternalTask: SpiffBpmnTaskConverter}
REGISTRY = BpmnWorkflowSerializer.configure(SERIALIZER_CONFIG)
SERIALIZER = BpmnWorkflowSerializer(REGISTRY)
STATE_FORMAT = "xiaosan-1/spiff-" + SERIALIZER.VERSION
# Our workflow classes (they only find tasks faster, domain.task_walk) convert as SpiffWorkflow's.
REGISTRY.typenames[Workflow] = REGISTRY.typenames[BpmnWorkflow]
REGISTRY.typenames[SubWorkflow] = REGISTRY.typenames[BpmnSubWorkflow]

_PLAIN = (str, int, float, bool, type(None))
_MUTABLE = (dict, list, set)
_TASK = REGISTRY.typenames[Task]
_SUBWORKFLOW = REGISTRY.typenames[BpmnSubWorkflow]
_WORKFLOW = REGISTRY.typenames[BpmnWorkflow]


class StateConverter(BpmnWorkflowConverter):
    """Writes and reads an instance WITHOUT its specs."""

    # -- writing ------------------------------------------------------------------------------
    def to_dict(self, workflow: BpmnWorkflow) -> dict:
        names: dict[UUID, str] = {}
        dct = self._workflow_dict(workflow, names)
        dct["subprocesses"] = {
            _name(names, key): dict(
                self._workflow_dict(sub, names),
                parent_task_id=str(sub.parent_task_id),
                spec=sub.spec.name,
                typename=_SUBWORKFLOW,
            )
            for key, sub in workflow.subprocesses.items()
        }
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        dct["typename"] = _WORKFLOW
        return dct

    def finished_dict(self, workflow: BpmnWorkflow) -> dict:
        """A finished instance: its last task alone, as the root of the tree, with its data whole.

        Nothing runs a finished instance again (a closed project takes no task, timer, message or
        inspection request, and is not migrated); its readers ask only for its facts (the last
        task's data and the process data, ProcessRunner.data) and whether it has finished. The
        task tree it ran through (the sub-processes too) was most of its state: its history is in
        our own history table. A last task in a sub-process keeps the whole state."""
        last = workflow.last_task
        if last is None or last.workflow is not workflow:
            return self.to_dict(workflow)
        names: dict[UUID, str] = {}
        task = dict(self._task_dict(last, {}, names), children=[])
        return {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": task["id"],
            "success": workflow.success,
            "completed": True,
            "tasks": {task["id"]: task},
            "root": task["id"],
            "subprocesses": {},
            "bpmn_events": self.registry.convert(workflow.bpmn_events),
            "typename": _WORKFLOW,
        }

    def _workflow_dict(self, workflow, names: dict[UUID, str]) -> dict:
        """WorkflowConverter.to_dict, the tasks written by _task_dict."""
        tasks = workflow.tasks
        return {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": {_name(names, key): self._task_dict(task, tasks, names) for key, task in tasks.items()},
            "root": str(workflow.task_tree.id),
        }

    def _task_dict(self, task: Task, tasks: dict, names: dict[UUID, str]) -> dict:
        """TaskConverter.to_dict: a task below the root stores only how its data differ from its
        parent's (SpiffWorkflow's delta), unless its own data are shorter: a task not yet reached
        has none, and its delta would delete every key of its parent's (a third of a running
        instance's state). SpiffWorkflow's reader takes `data` as it is when `delta` is empty."""
        parent = tasks.get(task._parent)
        data = task.data
        stored, delta = data, {}
        if parent is not None and data:
            above = parent.data
            deletions = [key for key in above if key not in data]
            if len(deletions) < len(data):
                stored = {}
                delta = {
                    "updates": {key: value for key, value in data.items() if key not in above or value != above[key]},
                    "deletions": deletions,
                }
        internal = task.internal_data
        return {
            "id": _name(names, task.id),
            "parent": _name(names, task._parent) if parent is not None else None,
            "children": [_name(names, child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(internal) if internal else {},
            "data": stored,
            "delta": delta,
            "typename": _TASK,
        }

    # -- reading ------------------------------------------------------------------------------
    def from_state(self, dct: dict, spec, subprocess_specs) -> BpmnWorkflow:
        ids: dict[str, UUID] = {}
        workflow = Workflow(spec, subprocess_specs, deserializing=True)
        self._tasks_from_dict(dct["tasks"], workflow, ids)
        workflow.task_tree = workflow.tasks.get(_uuid(ids, dct["root"]))
        self.set_default_attributes(workflow, dct)
        self._subprocesses_from_dict(dct["subprocesses"], workflow, workflow, ids)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow

    def _tasks_from_dict(self, dcts: dict, workflow, ids: dict[str, UUID]) -> None:
        """TaskConverter.from_dict for each task, parents first (as they were written). A task adds
        itself to `workflow.tasks`."""
        specs = workflow.spec.task_specs
        events = workflow.top_workflow.event_manager
        tasks = workflow.tasks
        for dct in dcts.values():
            task_spec = specs.get(dct["task_spec"])
            task = Task(workflow, task_spec, state=dct["state"], id=_uuid(ids, dct["id"]))
            parent_id = dct["parent"]
            task._parent = _uuid(ids, parent_id) if parent_id is not None else None
            task._children = [_uuid(ids, child) for child in dct["children"]]
            task.last_state_change = dct["last_state_change"]
            task.triggered = dct["triggered"]
            internal = dct["internal_data"]
            task.internal_data = self.registry.restore(internal) if internal else {}
            if isinstance(task_spec, CatchingEvent) and task._state & TaskState.WAITING:
                events.add_task(task)
            delta = dct.get("delta")
            parent = tasks.get(task._parent) if delta else None
            if parent is not None:
                # DeepMerge.merge({}, parent.data): a copy of each mutable value one level down.
                data = {
                    key: copy(value) if isinstance(value, _MUTABLE) else value for key, value in parent.data.items()
                }
                data.update(self._restore(delta.get("updates", {})))
                for key in delta.get("deletions", ()):
                    data.pop(key, None)
            else:
                data = self._restore(dct["data"])
            task.data = data

    def _subprocesses_from_dict(self, dcts: dict, workflow, top, ids: dict[str, UUID]) -> None:
        """Parent workflows before their children: a sub-process hangs on a task of its parent."""
        for task in list(workflow.tasks.values()):
            key = str(task.id)
            if not isinstance(task.task_spec, SubWorkflowTask) or key not in dcts:
                continue
            dct = dcts.pop(key)
            sub = SubWorkflow(top.subprocess_specs.get(task.task_spec.spec), task.id, top, deserializing=True)
            self._tasks_from_dict(dct["tasks"], sub, ids)
            sub.task_tree = sub.tasks.get(_uuid(ids, dct["root"]))
            self.set_default_attributes(sub, dct)
            top.subprocesses[task.id] = sub
            sub.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
            self._subprocesses_from_dict(dcts, sub, top, ids)

    def _restore(self, value):
        """registry.restore, with plain JSON (all a task's data is) returned as it is."""
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is dict and "typename" not in value:
            return {key: self._restore(item) for key, item in value.items()}
        if kind is list:
            return [self._restore(item) for item in value]
        return self.registry.restore(value)


def _name(names: dict[UUID, str], key: UUID) -> str:
    name = names.get(key)
    if name is None:
        name = names[key] = str(key)
    return name


def _uuid(ids: dict[str, UUID], name: str) -> UUID:
    key = ids.get(name)
    if key is None:
        key = ids[name] = UUID(name)
    return key


_CONVERTER = StateConverter(BpmnWorkflow, REGISTRY)


def workflow_to_state(workflow: BpmnWorkflow, finished: bool = False) -> str:
    """The state to store; `finished`: the process has ended (ProcessRunner.finished), so only
    its facts are kept (StateConverter.finished_dict)."""
    dct = _CONVERTER.finished_dict(workflow) if finished else _CONVERTER.to_dict(workflow)
    dct["format"] = STATE_FORMAT
    try:
        # allow_nan=False: NaN and Infinity are no JSON, and readers of the state would choke on them.
        # As UTF-8: an escaped Chinese character took six bytes instead of three, and matched
        # nothing of the dictionary the stored state is deflated with (persistence.models).
        return json.dumps(dct, separators=(",", ":"), default=_json_value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ScriptFailed(f"the process data holds a value that cannot be stored: {exc}") from exc


def _json_value(value):
    """Sets (a script's `set(...)`) are stored as sorted lists; any other unknown type is refused
    rather than silently turned into its text, which would change what later conditions see."""
    if isinstance(value, (set, frozenset)):
        try:
            return sorted(value)
        except TypeError:
            return list(value)
    raise TypeError(f"{type(value).__name__} is not storable")


def state_to_workflow(spec, subprocess_specs, state: str) -> BpmnWorkflow:
    dct = json.loads(state)
    if dct.pop("format", None) != STATE_FORMAT:
        raise ValueError("instance state was written by another serializer version; migrate it first")
    dct.pop("serializer_version", None)
    return _CONVERTER.from_state(dct, spec, subprocess_specs)


def spiff_state(workflow: BpmnWorkflow) -> dict:
    """SpiffWorkflow's own conversion of the same workflow, less the specs (the tests compare)."""
    dct = WorkflowConverter.to_dict(_CONVERTER, workflow)
    dct["subprocesses"] = _CONVERTER.mapping_to_dict(workflow.subprocesses)
    dct["bpmn_events"] = REGISTRY.convert(workflow.bpmn_events)
    dct["typename"] = _WORKFLOW
    return dct
