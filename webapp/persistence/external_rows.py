"""The external-task projection of a step, as plain rows (see step_store for why not the ORM)."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select

from .integration import ExternalTaskRow
from .models import utcnow
from .step_store import execute, forget

_ext = ExternalTaskRow.__table__
_ROWS = select(_ext.c.id, _ext.c.element_id, _ext.c.title, _ext.c.topic).where(
    _ext.c.instance_id == bindparam("instance_id")
)
_INSERT = insert(_ext)
_DELETE = delete(_ext).where(_ext.c.id == bindparam("task_id"))


def sync(instance_id: int, project, works: list, has_rows: bool = True) -> tuple[list, list]:
    """Bring the instance's rows in line with the service tasks waiting now (engine.ExternalWork);
    returns (the works new since the last step, the rows whose task is no longer waiting).
    `has_rows` False: the step read that the instance has none."""
    if not has_rows and not works:
        return [], []
    existing = {row.id: row for row in execute(_ROWS, {"instance_id": instance_id})} if has_rows else {}
    current = {work.id: work for work in works}
    gone = [row for task_id, row in existing.items() if task_id not in current]
    if gone:
        execute(_DELETE, [{"task_id": row.id} for row in gone])
        forget(ExternalTaskRow, [row.id for row in gone])
    new = [work for task_id, work in current.items() if task_id not in existing]
    if new:
        execute(
            _INSERT,
            [
                {
                    "id": work.id,
                    "instance_id": instance_id,
                    "project_id": project.id,
                    "element_id": work.name,
                    "title": work.title[:200],
                    "topic": work.topic[:100],
                    "district_code": project.district_code,
                    "status": "open",
                    "created_at": utcnow(),
                }
                for work in new
            ],
        )
    return new, gone
