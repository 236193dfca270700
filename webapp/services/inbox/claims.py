"""Group work on inbox tasks: claim, release, and a supervisor's assignment to a named inspector.

A claimed task stays in the group's inbox (marked with who holds it) but only its holder may
complete it (policy.can_do_task refuses everyone else).
"""

from __future__ import annotations

from sqlalchemy import select

from ...persistence.models import InboxTask, User, db
from ..errors import Conflict, Forbidden, NotFound
from ..people import standins
from ..security import policy


class AlreadyClaimed(Conflict):
    """409: another member of the group holds the task."""


def _task(user: User, task_id: str) -> InboxTask:
    task = db.session.get(InboxTask, task_id)
    if task is None:
        raise Conflict("task is no longer ready")
    if not policy.sees_task(user, task):
        raise NotFound("no such task")
    return task


def claim(user: User, task_id: str) -> InboxTask:
    task = _task(user, task_id)
    # Outside the group, the answer is the same whether someone holds the task or not.
    if not policy.may_claim(user, task):
        raise Forbidden("this task belongs to another role")
    if task.claimed_by_id == user.id:
        return task
    if task.claimed_by_id is not None:
        raise AlreadyClaimed("already claimed by someone else")
    task.claimed_by_id = user.id
    db.session.commit()
    return task


def release(user: User, task_id: str) -> InboxTask:
    """The holder gives a task back to the group; the street's supervisor may take it back too."""
    task = _task(user, task_id)
    if not policy.may_release(user, task):
        raise Forbidden("only the holder or the street's supervisor may release a task")
    if task.claimed_by_id is None:
        return task  # nothing to give back
    task.claimed_by_id = None
    db.session.commit()
    return task


def assign(user: User, task_id: str, assignee_id: int) -> InboxTask:
    """A street supervisor hands an inspectors' task to one named inspector of the same street."""
    task = _task(user, task_id)
    if not policy.supervises_task(user, task):
        raise Forbidden("only the street's supervisor may assign inspectors' tasks")
    assignee = db.session.get(User, assignee_id)
    if assignee is None or assignee not in assignable_inspectors(user):
        raise Forbidden("the assignee must be an active inspector of the same street")
    task.claimed_by_id = assignee.id
    db.session.commit()
    return task


def assignable_inspectors(user: User) -> list[User]:
    return standins.street_colleagues(user, roles=policy.ASSIGNEE_ROLES)


def holders(user_ids) -> dict[int, str]:
    """Display names of the users holding some tasks (one query for a whole inbox page)."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
