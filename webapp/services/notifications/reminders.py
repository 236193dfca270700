"""Timed reminders, run by the worker: due soon (the district's warning period, P-33a), overdue,
and 督办 to the supervisor once a task is late by the district's delay (P-33b).

Each (task, kind) is recorded in task_reminder under its primary key, in the transaction that
writes the notifications: however many workers scan at once, a reminder is made once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, select

from ...domain.durations import parse_duration
from ...persistence.daily import TaskReminder
from ...persistence.models import InboxTask, db, utcnow
from ..district_rules.rulebook import RuleReader
from .centre import Event, insert_ignoring_duplicates, notify
from .recipients import holders, overseers

BATCH = 200


def scan(now: datetime | None = None) -> int:
    """Make the reminders that are due; returns how many tasks got one."""
    now = now or utcnow()
    made = 0
    districts = list(db.session.scalars(select(InboxTask.district_code).where(InboxTask.due_at.isnot(None)).distinct()))
    for district in districts:
        warn, escalate = _periods(district, now)
        windows = (
            ("escalation", InboxTask.due_at <= now - escalate),
            ("overdue", InboxTask.due_at <= now),
            ("due_soon", and_(InboxTask.due_at > now, InboxTask.due_at <= now + warn)),
        )
        for kind, window in windows:
            made += _remind(kind, district, window, now)
    db.session.commit()
    return made


def _periods(district: str, now: datetime) -> tuple[timedelta, timedelta]:
    reader = RuleReader(district)
    return (
        parse_duration(reader.rule("remind_due_before", "PT24H"), now),
        parse_duration(reader.rule("escalate_overdue_after", "P1D"), now),
    )


def _remind(kind: str, district: str, window, now: datetime) -> int:
    done = select(TaskReminder.task_id).where(TaskReminder.task_id == InboxTask.id, TaskReminder.kind == kind)
    tasks = list(
        db.session.scalars(
            select(InboxTask)
            .where(InboxTask.district_code == district, window, ~done.exists())
            .order_by(InboxTask.due_at)
            .limit(BATCH)
        )
    )
    made = 0
    for task in tasks:
        claimed = db.session.execute(
            insert_ignoring_duplicates(TaskReminder.__table__)
            .values(task_id=task.id, kind=kind, at=now)
            .returning(TaskReminder.__table__.c.task_id)
        ).scalar()
        if claimed is None:
            continue  # another worker made it
        people = overseers(task) if kind == "escalation" else holders(task)
        project = task.project
        body = f"{project.reg_no} {project.title}，期限 {_local(task.due_at)}"
        title = f"督办：{task.title}" if kind == "escalation" else task.title
        notify(
            people, Event(kind, f"{kind}:{task.id}", title, body, f"/tasks/{task.id}", task.project_id, task.id), now
        )
        db.session.commit()  # each task's reminder on its own: a crash later loses none
        made += 1
    return made


def _local(at: datetime) -> str:
    from ...domain.workdays import XIAMEN

    return at.astimezone(XIAMEN).strftime("%Y-%m-%d %H:%M")
