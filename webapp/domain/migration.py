"""Compare two versions of a process, and move a running instance from one to the other.

Pure: no Flask, no SQL. Built on SpiffWorkflow's `diff_workflow` / `migrate_workflow`, with the
guards they lack: an instance whose token sits on an element the new version removed is refused
(it would be stranded), finished steps whose element is gone are cut out of the task tree (the
serialized state names every task's element, and the new version could not load it otherwise),
running timers keep their due time, and the migrated state must load and leave the instance
somewhere to go. A refusal never changes the instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.task import TaskState

from .catalog import Bundle
from .engine import _REGISTRY, EventSink, ProcessRunner, properties, workflow_to_state
from .errors import DomainError

_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED


class MigrationRefused(DomainError):
    """Moving this instance is not safe; the message says why, in the designer's words."""


@dataclass(frozen=True)
class Element:
    id: str
    name: str | None

    def label(self) -> str:
        return f"「{self.name}」（{self.id}）" if self.name else f"「{self.id}」"


@dataclass
class SpecChanges:
    """What differs between two versions of a process, by diagram element."""

    added: list[Element] = field(default_factory=list)
    removed: list[Element] = field(default_factory=list)
    changed: list[tuple[Element, list[str]]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "added": [vars(e) for e in self.added],
            "removed": [vars(e) for e in self.removed],
            "changed": [dict(vars(e), attributes=attrs) for e, attrs in self.changed],
        }

    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class Migration:
    """A migrated instance (not yet saved) and what changed for it."""

    runner: ProcessRunner
    before: list[dict]
    after: list[dict]
    affected: list[dict]


def spec_changes(old: Bundle, new: Bundle) -> SpecChanges:
    diff = SpecDiff(_REGISTRY, old.spec, new.spec)
    changes = SpecChanges(
        added=_elements(diff.added),
        removed=_elements(diff.removed),
        changed=[],
    )
    seen = set()
    for spec, attrs in diff.changed.items():
        element = _element(spec)
        if element is not None and element.id not in seen:
            seen.add(element.id)
            changes.changed.append((element, sorted(attrs)))
    return changes


def stands_at(runner: ProcessRunner) -> list[dict]:
    """Where an instance stands: its ready human tasks and the events it waits for."""
    out = []
    for task in runner.workflow.get_tasks(state=_LIVE):
        element = _element(task.task_spec)
        if element is None:
            continue
        waiting = task.state == TaskState.WAITING
        due = task.internal_data.get("event_value") if waiting else None
        out.append(
            {
                "id": element.id,
                "name": element.name,
                "state": TaskState.get_name(task.state),
                "lane": task.task_spec.lane,
                "due": due if isinstance(due, str) else None,
            }
        )
    return out


def migrate(
    runner: ProcessRunner, new: Bundle, helpers: dict | None = None, sink: EventSink | None = None
) -> Migration:
    """Move `runner`'s instance to `new`; raises MigrationRefused (instance untouched in storage).

    The runner's workflow is changed in place: pass a freshly loaded runner, and discard it when
    only previewing. Automatic steps the new version runs at once are reported to `sink`.
    """
    workflow = runner.workflow
    before = stands_at(runner)
    top_diff, sub_diffs = diff_workflow(_REGISTRY, workflow, new.spec, new.subprocess_specs)
    for sub_id, sub_diff in sub_diffs.items():
        if sub_diff is None:
            name = workflow.subprocesses[sub_id].spec.name
            raise MigrationRefused(f"运行中的子流程「{name}」在新版本中不存在")
    stranded = [t for t in top_diff.removed if t.state & _LIVE]
    for sub_diff in sub_diffs.values():
        stranded += [t for t in sub_diff.removed if t.state & _LIVE]
    if stranded:
        where = "、".join(sorted({_label(t.task_spec) for t in stranded}))
        raise MigrationRefused(f"项目当前停在{where}，新版本中已删除该环节：迁移会使流程无处可走")
    affected = [
        dict(
            vars(_element(t.task_spec, fallback=True)),
            state=TaskState.get_name(t.state),
            attributes=sorted(_changed_attributes(top_diff, t)),
        )
        for t in top_diff.changed
        if t.state & _LIVE and _element(t.task_spec) is not None
    ]

    timers = {
        t.id: (dict(t.internal_data), _timer_expression(t.task_spec))
        for t in workflow.get_tasks(state=TaskState.WAITING)
        if "event_value" in t.internal_data
    }
    last_task_id = workflow.last_task.id if workflow.last_task is not None else None
    migrate_workflow(top_diff, workflow, new.spec)
    for sub_id, sub_diff in sub_diffs.items():
        sub = workflow.subprocesses[sub_id]
        migrate_workflow(sub_diff, sub, new.subprocess_specs[sub.spec.name])
    workflow.subprocess_specs = new.subprocess_specs
    _restore_timers(workflow, timers)
    _cut_orphans(workflow)
    # migrate_workflow forgets the last completed task; stage/status and the data read from it.
    if workflow.last_task is None and last_task_id in workflow.tasks:
        workflow.last_task = workflow.tasks[last_task_id]

    moved = ProcessRunner(new, workflow, helpers)
    try:
        moved.run_engine_steps(sink=sink)
        reloaded = ProcessRunner.load(new, workflow_to_state(workflow), helpers)
    except Exception as exc:  # the new version fails on this instance's data: do not move it
        raise MigrationRefused(f"在新版本上继续运行失败：{exc}") from exc
    after = stands_at(reloaded)
    if not reloaded.workflow.completed and not after:
        raise MigrationRefused("迁移后流程没有可办理的任务或等待的事件：令牌会被困住")
    return Migration(reloaded, before, after, affected)


# -- internals -----------------------------------------------------------------------------------
def _restore_timers(workflow, timers: dict) -> None:
    """A reset timer would start counting again from now; one whose expression is unchanged keeps
    its due time."""
    for task_id, (internal, expression) in timers.items():
        task = workflow.tasks.get(task_id)
        if task is not None and task.state & TaskState.WAITING and _timer_expression(task.task_spec) == expression:
            task.internal_data.update(internal)


def _cut_orphans(workflow) -> None:
    """Tasks whose element the new version no longer has: finished ones are spliced out (their
    children move up to their parent), predicted ones are dropped with their branch."""
    specs = workflow.spec.task_specs
    for task in list(workflow.tasks.values()):
        if task.id not in workflow.tasks or task.task_spec.name in specs:
            continue
        parent = task.parent
        if task.state & _FINISHED and parent is not None:
            position = parent._children.index(task.id)
            parent._children[position : position + 1] = list(task._children)
            for child in task.children:
                child._parent = parent.id
            workflow.tasks.pop(task.id, None)
        elif not task.state & _LIVE:
            for doomed in list(task):
                workflow.tasks.pop(doomed.id, None)
            if parent is not None and task.id in parent._children:
                parent._children.remove(task.id)
        else:
            raise MigrationRefused(f"项目当前停在{_label(task.task_spec)}，新版本中已删除该环节")


def _changed_attributes(diff, task) -> list[str]:
    new_spec = diff.alignment.get(task)
    if new_spec is None:
        return []
    old = _REGISTRY.convert(task.task_spec)
    new = _REGISTRY.convert(new_spec)
    changed = [k for k, v in old.items() if new.get(k) != v]
    if "extensions" in changed and properties(task.task_spec) != properties(new_spec):
        changed.append("properties")
    return changed


def _timer_expression(spec) -> str | None:
    definition = getattr(spec, "event_definition", None)
    return getattr(definition, "expression", None)


def _element(spec, fallback: bool = False) -> Element | None:
    """The diagram element a task spec stands for (None for the engine's internal specs)."""
    bpmn_id = getattr(spec, "bpmn_id", None)
    if bpmn_id and not type(spec).__name__.endswith(("Split", "Join")):
        return Element(bpmn_id, getattr(spec, "bpmn_name", None))
    if fallback:
        return Element(spec.name.split(".")[0], None)
    return None


def _label(spec) -> str:
    """How a task spec is named to a designer: its element, or the spec's own name."""
    element = _element(spec)
    return (element or Element(spec.name.split(".")[0], None)).label()


def _elements(specs) -> list[Element]:
    out, seen = [], set()
    for spec in specs:
        element = _element(spec)
        if element is not None and element.id not in seen:
            seen.add(element.id)
            out.append(element)
    return sorted(out, key=lambda e: e.id)
