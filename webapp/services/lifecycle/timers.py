"""Timer jobs: claimed by any number of workers on any number of hosts through the database alone.

A claim is one UPDATE ... RETURNING over the due, unlocked jobs: on PostgreSQL its candidates are
picked with FOR UPDATE SKIP LOCKED, so workers racing for the same jobs split them instead of
queueing; on SQLite the UPDATE itself takes the single write lock, so the claim is atomic there
too. A claim holds the job until `locked_until`.

Firing saves the instance state, its projections and the rewritten job row in one transaction,
with the instance revision checked. A worker killed mid-job therefore writes nothing; its lock
expires and another worker fires the job; and of two workers that both end up firing the same
timer (a lock that expired under a slow worker), only the first commit counts, the second finds
a stale revision and a job no longer its own, and stops: each timer takes effect exactly once.

A job that fails is retried with exponential backoff; after MAX_ATTEMPTS it becomes an incident
that an operator sees (services.lifecycle.operations) and can retry.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import OperationalError

from ...persistence import step_store
from ...persistence.models import TimerJob, db, utcnow
from ..errors import StaleRevision
from . import instances

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def fire_due_timers(worker_id: str, now: datetime | None = None, limit: int = 10, lock_seconds: int = 60) -> int:
    """Claim up to `limit` due timer jobs and fire them; returns how many instances advanced."""
    now = now or utcnow()
    fired = 0
    for instance_id in claim_due_jobs(worker_id, now, limit, lock_seconds):
        try:
            if _fire_one(instance_id, worker_id):
                fired += 1
        except OperationalError:
            # The database went away: not the job's fault, so no attempt is counted. The worker
            # waits it out (cli.run_worker) and claims its own unfinished jobs again.
            raise
        except Exception as exc:  # one failing job must not stop the others
            db.session.rollback()
            _record_failure(instance_id, worker_id, exc)
    return fired


def claim_due_jobs(worker_id: str, now: datetime, limit: int, lock_seconds: int) -> list[int]:
    due = (
        select(TimerJob.instance_id)
        .where(TimerJob.status == "pending", TimerJob.due_at <= now)
        # Free, expired, or this worker's own claim that a lost database connection interrupted.
        .where(TimerJob.locked_until.is_(None) | (TimerJob.locked_until < now) | (TimerJob.locked_by == worker_id))
        .order_by(TimerJob.due_at)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claim = (
        update(TimerJob)
        .where(TimerJob.instance_id.in_(due.scalar_subquery()))
        .values(locked_by=worker_id, locked_until=now + timedelta(seconds=lock_seconds))
        .returning(TimerJob.instance_id)
        .execution_options(synchronize_session=False)
    )
    claimed = list(db.session.scalars(claim))
    db.session.commit()
    return claimed


def seconds_until_next_due(now: datetime | None = None) -> float | None:
    """How long until some pending job can next be claimed (due, and its lock free or expired);
    None if there is none. Lets an idle worker sleep until the next timer, not a whole poll."""
    now = now or utcnow()
    claimable_at = case((TimerJob.locked_until > TimerJob.due_at, TimerJob.locked_until), else_=TimerJob.due_at)
    at = db.session.scalar(select(func.min(claimable_at)).where(TimerJob.status == "pending"))
    db.session.rollback()  # end the read transaction: a sleeping worker holds no snapshot
    return None if at is None else max(0.0, (at - now).total_seconds())


def _fire_one(instance_id: int, worker_id: str) -> bool:
    """Fire the instance's due timers while the claim is still ours; a race lost to a user's
    completion on the same instance is redone on the fresh state."""
    for _ in range(instances.WRITE_ATTEMPTS):
        job = db.session.get(TimerJob, instance_id)
        if job is None or job.locked_by != worker_id:
            db.session.rollback()
            return False  # fired meanwhile by a worker that took over an expired lock
        if not step_store.lock_if_free(instance_id):
            db.session.rollback()
            log.info("timer of instance %s: the instance is being written by another worker; skipped", instance_id)
            return False  # its writer moves the job on; if it died, our claim expires and we try again
        try:
            return instances.fire_timers(instance_id)
        except StaleRevision:
            log.info("timer of instance %s: instance changed meanwhile, retrying", instance_id)
    return False


def _record_failure(instance_id: int, worker_id: str, exc: Exception) -> None:
    log.exception("timer job for instance %s failed", instance_id)
    job = db.session.get(TimerJob, instance_id)
    if job is None or job.locked_by not in (worker_id, None):
        db.session.rollback()
        return
    job.attempts += 1
    job.last_error = f"{type(exc).__name__}: {exc}"[:4000]
    job.locked_by = None
    # Exponential backoff before the next attempt; after MAX_ATTEMPTS an operator must look.
    job.locked_until = utcnow() + timedelta(seconds=min(3600, 5 * 2**job.attempts))
    if job.attempts >= MAX_ATTEMPTS:
        job.status = "incident"
    db.session.commit()
