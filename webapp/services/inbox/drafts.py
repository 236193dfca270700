"""Task drafts: a half-filled form kept per task and user until the task is completed; a user reads
and writes only their own (policy.own_rows), whoever else works on the task."""

from __future__ import annotations

import json

from sqlalchemy import select

from ...persistence.models import InboxTask, TaskDraft, User, db, utcnow
from ..errors import Conflict, Forbidden
from ..security import policy


def save(user: User, task_id: str, data: dict) -> None:
    task = db.session.get(InboxTask, task_id)
    if task is None:
        raise Conflict("task is no longer ready")
    if not policy.can_do_task(user, task):
        raise Forbidden("this task belongs to another role or person")
    row = _own_draft(user, task_id)
    if row is None:
        row = TaskDraft(task_id=task_id, user_id=user.id)
        db.session.add(row)
    row.data_json = json.dumps(data, ensure_ascii=False, default=str)
    row.updated_at = utcnow()
    db.session.commit()


def load(user: User, task_id: str) -> tuple[dict, object] | None:
    """(data, saved at) of this user's draft, or None."""
    row = _own_draft(user, task_id)
    if row is None:
        return None
    return json.loads(row.data_json), row.updated_at


def _own_draft(user: User, task_id: str) -> TaskDraft | None:
    return db.session.scalar(select(TaskDraft).where(TaskDraft.task_id == task_id, policy.own_rows(user, TaskDraft)))
