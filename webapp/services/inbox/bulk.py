"""Bulk claim, release and assign: the single-task rules (services.inbox.claims) applied to each
task in turn; a task refused does not stop the others, and the answer says which and why."""

from __future__ import annotations

from ...domain.errors import DomainError
from ...persistence.models import User, db
from ..errors import ValidationFailed
from . import claims

ACTIONS = ("claim", "release", "assign")
MAX_TASKS = 200


def apply(user: User, action: str, task_ids, assignee_id: int | None = None) -> dict:
    """{done: [task ids], refused: {task id: reason}}."""
    ids = list(dict.fromkeys(str(t) for t in (task_ids or []) if t))
    if action not in ACTIONS:
        raise ValidationFailed({"action": "未知的操作：claim、release 或 assign"})
    if not ids or len(ids) > MAX_TASKS:
        raise ValidationFailed({"task_ids": "请选择 1 至 200 项任务"})
    if action == "assign" and assignee_id is None:
        raise ValidationFailed({"assignee_id": "请选择巡查员"})
    done, refused = [], {}
    for task_id in ids:
        try:
            if action == "claim":
                claims.claim(user, task_id)
            elif action == "release":
                claims.release(user, task_id)
            else:
                claims.assign(user, task_id, assignee_id)
            done.append(task_id)
        except DomainError as exc:
            db.session.rollback()
            refused[task_id] = str(exc)
    return {"done": done, "refused": refused}
