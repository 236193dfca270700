"""A project's history rows as services write them (who did what, when, with which data); the rows
a process step writes go in one batch with the step (persistence.step_store.add_history)."""

from __future__ import annotations

import json

from ...persistence.models import HistoryEvent, User, db


def values(
    project_id: int | None,
    actor: User | None,
    kind: str,
    element_id: str | None,
    title: str | None,
    data,
    ip: str | None,
    task_id: str | None = None,
) -> dict:
    """The row's columns (actor None: the system)."""
    return {
        "project_id": project_id,
        "task_id": task_id,
        "actor_id": actor.id if actor else None,
        "actor_name": actor.username if actor else "system",
        "kind": kind,
        "element_id": element_id,
        "title": title,
        "data_json": json.dumps(data, ensure_ascii=False, default=str) if data is not None else None,
        "ip": ip,
    }


def add(*row, **named) -> None:
    """One history row of a project (the arguments of `values`), in the current transaction."""
    db.session.add(HistoryEvent(**values(*row, **named)))
