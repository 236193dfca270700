"""Timer jobs: claimed by any number of workers through the database alone, then fired.

A claim is a conditional UPDATE (PostgreSQL first narrows candidates with FOR UPDATE SKIP
LOCKED), so of two workers racing for a job exactly one wins. The job row is rewritten in the
same transaction as the instance state, so a worker that dies mid-job leaves the old row,
whose lock expires and which another worker then fires: each timer takes effect once.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from ..persistence.models import TimerJob, db
from . import instances

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def fire_due_timers(worker_id: str, now: datetime | None = None, limit: int = 50, lock_seconds: int = 60) -> int:
    """Claim due timer jobs through the database and fire them; returns how many instances advanced."""
    now = now or utcnow()
    claimed = claim_due_jobs(worker_id, now, limit, lock_seconds)
    fired = 0
    for instance_id in claimed:
        try:
            if _fire_one(instance_id, worker_id):
                fired += 1
        except Exception as exc:  # one failing job must not stop the others
            db.session.rollback()
            _record_failure(instance_id, worker_id, exc)
    return fired


# -- timer jobs ---------------------------------------------------------------------------------

def claim_due_jobs(worker_id: str, now: datetime, limit: int, lock_seconds: int) -> list[int]:
    """Each claim is a conditional UPDATE: of two workers racing for a job exactly one wins."""
    query = (
        select(TimerJob.instance_id)
        .where(TimerJob.status == "pending", TimerJob.due_at <= now)
        .where((TimerJob.locked_until.is_(None)) | (TimerJob.locked_until < now))
        .order_by(TimerJob.due_at)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(db.session.scalars(query))
    until = now + timedelta(seconds=lock_seconds)
    claimed = []
    for instance_id in candidates:
        result = db.session.execute(
            update(TimerJob)
            .where(TimerJob.instance_id == instance_id)
            .where((TimerJob.locked_until.is_(None)) | (TimerJob.locked_until < now))
            .values(locked_by=worker_id, locked_until=until)
        )
        if result.rowcount == 1:
            claimed.append(instance_id)
    db.session.commit()
    return claimed


def _fire_one(instance_id: int, worker_id: str) -> bool:
    job = db.session.get(TimerJob, instance_id)
    if job is None or job.locked_by != worker_id:
        db.session.rollback()
        return False
    return instances.fire_timers(instance_id)


def _record_failure(instance_id: int, worker_id: str, exc: Exception) -> None:
    log.exception("timer job for instance %s failed", instance_id)
    job = db.session.get(TimerJob, instance_id)
    if job is None:
        return
    job.attempts += 1
    job.last_error = f"{type(exc).__name__}: {exc}"[:4000]
    job.locked_by = None
    # Exponential backoff before the next attempt; after MAX_ATTEMPTS an operator must look.
    job.locked_until = utcnow() + timedelta(seconds=min(3600, 5 * 2 ** job.attempts))
    if job.attempts >= MAX_ATTEMPTS:
        job.status = "incident"
    db.session.commit()
