"""Sending the outbox: any number of workers claim pending messages through the database alone
(as timer jobs are claimed), send each through its channel and record the attempt in the delivery
log; a failed attempt is retried with backoff, and after MAX_ATTEMPTS the message is marked failed.

A message is marked sent in the transaction that logs the successful attempt, guarded by the
claim: a worker killed before that commit leaves the message pending, and another worker sends it
once the claim expires, with the same key (channels.Outgoing.key) for the gateway to drop a copy.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import literal_column, select, update

from ...persistence.daily import DeliveryAttempt, Notification, OutboxMessage
from ...persistence.models import db, utcnow
from . import channels as channel_module
from .centre import message_text

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def send_pending(worker_id: str, now: datetime | None = None, limit: int = 20, lock_seconds: int | None = None) -> int:
    """Claim up to `limit` due messages and send them; returns how many were delivered."""
    now = now or utcnow()
    lock_seconds = lock_seconds or current_app.config["OUTBOX_LOCK_SECONDS"]
    offered = channel_module.configured(current_app.config)
    delivered = 0
    for message_id in claim(worker_id, now, limit, lock_seconds):
        message = db.session.get(OutboxMessage, message_id)
        notification = db.session.get(Notification, message.notification_id) if message is not None else None
        db.session.commit()  # no transaction stays open while the channel answers
        if message is None or message.locked_by != worker_id:
            continue
        channel = offered.get(message.channel)
        try:
            if channel is None:
                raise channel_module.DeliveryFailed(f"channel {message.channel} is not configured")
            subject, body = message_text(message, notification)
            channel.send(channel_module.Outgoing(key(message), message.recipient, subject, body))
        except Exception as exc:  # a channel's failure is retried, never lost
            _record(message_id, worker_id, ok=False, error=f"{type(exc).__name__}: {exc}"[:1000])
            continue
        delivered += _record(message_id, worker_id, ok=True, error=None)
    return delivered


def key(message: OutboxMessage) -> str:
    return f"xiaosan-outbox-{message.id}"


def claim(worker_id: str, now: datetime, limit: int, lock_seconds: int) -> list[int]:
    due = (
        select(OutboxMessage.id)
        # 'pending' as a literal, not a parameter: the partial index holds exactly these rows, and a
        # generic plan (PostgreSQL's prepared statements) can use it only for a condition it can see.
        .where(OutboxMessage.status == literal_column("'pending'"), OutboxMessage.not_before <= now)
        .where((OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until < now))
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(locked_by=worker_id, locked_until=now + timedelta(seconds=lock_seconds))
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    claimed = list(db.session.scalars(statement))
    db.session.commit()
    return claimed


def _record(message_id: int, worker_id: str, *, ok: bool, error: str | None) -> int:
    """Log the attempt and move the message on, if the claim is still ours; 1 if it was delivered."""
    now = utcnow()
    message = db.session.get(OutboxMessage, message_id, with_for_update=db.engine.dialect.name == "postgresql")
    if message is None or message.locked_by != worker_id or message.status != "pending":
        db.session.rollback()
        log.warning("outbox message %s: claim lost while sending", message_id)
        return 0
    db.session.add(DeliveryAttempt(message_id=message_id, at=now, worker=worker_id, ok=ok, error=error))
    message.attempts += 1
    message.locked_by, message.locked_until = None, None
    if ok:
        message.status, message.sent_at, message.last_error = "sent", now, None
    else:
        message.last_error = error
        message.not_before = now + timedelta(seconds=min(3600, 10 * 2**message.attempts))
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
        log.warning(
            "outbox message %s via %s failed (attempt %s): %s", message_id, message.channel, message.attempts, error
        )
    db.session.commit()
    return 1 if ok else 0


def delivery_log(limit: int = 100) -> list[dict]:
    """The newest attempts with their message, for operations."""
    rows = db.session.execute(
        select(DeliveryAttempt, OutboxMessage, Notification)
        .join(OutboxMessage, OutboxMessage.id == DeliveryAttempt.message_id)
        .outerjoin(Notification, Notification.id == OutboxMessage.notification_id)
        .order_by(DeliveryAttempt.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": a.id,
            "at": a.at,
            "ok": a.ok,
            "error": a.error,
            "worker": a.worker,
            "message_id": m.id,
            "channel": m.channel,
            "recipient": m.recipient,
            "subject": message_text(m, n)[0],
            "status": m.status,
            "attempts": m.attempts,
        }
        for a, m, n in rows
    ]
