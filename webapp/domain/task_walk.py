"""Finding tasks by state in an instance's task tree, in SpiffWorkflow's own order, at a fraction
of its cost.

SpiffWorkflow walks the whole tree with its generic iterator every time it looks for tasks in a
state: for each engine task it runs (the ready tasks of every pass), and again after each task
completes (to update the waiting ones). The iterator builds a filter, a list of children per
node and a depth count per step; with our diagram that walk was over half of the engine's time
in a task completion. `walk` visits the same nodes in the same order (depth first, an active
sub-process's tree before the children of the task that runs it, no descent below a task not
yet reached) by reading each task's child ids from the workflow's dict.

One difference, on purpose: SpiffWorkflow stops descending at depth 1000 and silently finds
nothing below; `walk` has no limit (engine.compact_loops keeps the tree shallow anyway).
"""

from __future__ import annotations

from collections.abc import Iterator

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState

_FINISHED = TaskState.FINISHED_MASK


def _lowest_state_descended(state: int) -> int:
    """TaskIterator's rule: below a task in a lower state no task can be in `state`."""
    if state & TaskState.PREDICTED_MASK:
        return TaskState.MAYBE
    if state & TaskState.DEFINITE_MASK:
        return TaskState.FUTURE
    return TaskState.COMPLETED


def walk(workflow, state: int, manual: bool | None = None, subprocesses: bool = True) -> Iterator[Task]:
    """The tasks of `workflow` in `state` (a mask), as SpiffWorkflow's iterator yields them:
    BpmnTaskIterator with `subprocesses`, the plain TaskIterator without. Lazy like the original:
    a task's children are read when the task is reached, so a caller changing the tree while
    iterating (update_waiting_tasks) sees what the original would."""
    lowest = _lowest_state_descended(state)
    running = _running_subprocesses(workflow.top_workflow) if subprocesses else {}
    # BpmnTaskIterator's rule, kept as written: it skips a sub-process of a finished task when the
    # walk looks for finished tasks (a task's state, one bit, never reaches the mask: it never does).
    skip_finished = state <= _FINISHED
    stack = [workflow.task_tree]
    while stack:
        task = stack.pop()
        current = task._state
        entry = running.get(id(task)) if running else None
        sub = entry[1] if entry is not None and entry[0] is task else None
        if (task._children and current >= lowest) or sub is not None:
            tasks = task.workflow.tasks
            stack.extend([tasks[child] for child in reversed(task._children)])
            if sub is not None and not (current >= _FINISHED and skip_finished):
                stack.append(sub.task_tree)
        if current & state and (manual is None or task.task_spec.manual == manual):
            yield task


def _running_subprocesses(top) -> dict[int, tuple[Task, BpmnSubWorkflow]]:
    """Each sub-process by the task that runs it, keyed by the task object (a task id, a UUID,
    hashes in Python, slowly, and the walk would hash every task's). The task is kept with its
    entry, so the key cannot stand for another object. An entry whose task has left the tree (a
    finished loop iteration cut out) runs nothing: SpiffWorkflow's iterator never reaches it
    either. `walk` reads the map once: only `get_tasks` walks into sub-processes, and it takes
    the whole list before anyone changes the tree."""
    running = {}
    for key, sub in top.subprocesses.items():
        task = top.tasks.get(key)
        if task is None:
            task = next((other.tasks[key] for other in top.subprocesses.values() if key in other.tasks), None)
        if task is not None:
            running[id(task)] = (task, sub)
    return running


class _Walking:
    """State queries by `walk`; queries with other filters (a spec name, a starting task, a
    depth) go to SpiffWorkflow's iterator as before."""

    def get_tasks(self, first_task=None, **kwargs) -> list[Task]:
        if first_task is None and kwargs.keys() <= {"state", "manual"}:
            return list(walk(self, kwargs.get("state", TaskState.ANY_MASK), kwargs.get("manual")))
        return super().get_tasks(first_task, **kwargs)  # type: ignore[misc]

    def update_waiting_tasks(self) -> None:
        # Workflow.update_waiting_tasks: the plain iterator (no sub-processes), lazily.
        for task in walk(self, TaskState.WAITING, subprocesses=False):
            task.task_spec._update(task)


class SubWorkflow(_Walking, BpmnSubWorkflow):
    """A sub-process (an event sub-process listening beside the main flow) that walks with `walk`."""


class Workflow(_Walking, BpmnWorkflow):
    """An instance's workflow, its sub-processes included, walking with `walk`."""

    def create_subprocess(self, my_task, spec_name):
        # BpmnWorkflow.create_subprocess, with our sub-process class.
        subprocess = SubWorkflow(self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess
