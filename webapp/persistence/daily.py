"""Tables of the daily loop between people: notifications and their outbox, comments, stand-ins,
saved inbox filters and the answers kept for idempotent submissions.

Kept beside models.py (same metadata), imported by the package __init__ like oversight.py.
"""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint, text

from .models import UTCDateTime, db, utcnow


class Notification(db.Model):
    """One in-app notification of one user. `key` names the event it announces (kind, task,
    user), unique: a second writer of the same event (another worker, a replay) adds nothing. It
    is stored as a digest (services.notifications.centre.stored_key)."""

    __tablename__ = "notification"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False)
    key = db.Column(db.String(160), unique=True, nullable=False)
    kind = db.Column(db.String(24), nullable=False)  # new_task, due_soon, overdue, escalation, notice, handover
    title = db.Column(db.String(200), nullable=False)
    body = db.Column(db.String(1000))
    link = db.Column(db.String(300))  # empty for a task's page: /tasks/<task_id> (centre.link_of)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"))
    task_id = db.Column(db.String(36))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    read_at = db.Column(UTCDateTime)
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at", "id"),)


class OutboxMessage(db.Model):
    """An outbound message (SMS, e-mail, group webhook), written in the transaction that made its
    notification and sent later by a worker, which claims it like a timer job. Its subject and
    body are its notification's (centre.message_text); a message written before kept a copy."""

    __tablename__ = "outbox_message"
    id = db.Column(db.Integer, primary_key=True)
    # Found by notification through the unique (notification_id, channel), whose first column it is.
    notification_id = db.Column(db.Integer, db.ForeignKey("notification.id"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False)
    channel = db.Column(db.String(16), nullable=False)  # console, email, sms, wecom, dingtalk
    recipient = db.Column(db.String(200), nullable=False)
    subject = db.Column(db.String(200))
    body = db.Column(db.String(1000))
    status = db.Column(db.String(12), nullable=False, default="pending")  # pending, sent, failed
    not_before = db.Column(UTCDateTime, nullable=False, default=utcnow)  # quiet hours, retry backoff
    attempts = db.Column(db.Integer, nullable=False, default=0)
    locked_by = db.Column(db.String(64))
    locked_until = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = db.Column(UTCDateTime)
    last_error = db.Column(db.String(1000))
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        # Only the messages still to send (services.notifications.outbox.claim, whose condition
        # names 'pending' as a literal so that every plan can use it).
        Index(
            "ix_outbox_pending_not_before",
            "not_before",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )


class DeliveryAttempt(db.Model):
    """The delivery log: one row per attempt to send an outbox message, with its outcome."""

    __tablename__ = "delivery_attempt"
    id = db.Column(db.Integer, primary_key=True)
    message_id = db.Column(db.Integer, db.ForeignKey("outbox_message.id"), nullable=False, index=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    worker = db.Column(db.String(64))
    ok = db.Column(db.Boolean, nullable=False)
    error = db.Column(db.String(1000))


class NotificationPreference(db.Model):
    """A user's outbound channels, quiet hours (local time, may wrap midnight) and muted kinds."""

    __tablename__ = "notification_preference"
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), primary_key=True)
    channels = db.Column(db.String(100), nullable=False, default="")  # space separated
    email = db.Column(db.String(200))
    quiet_start = db.Column(db.String(5))  # "22:00"
    quiet_end = db.Column(db.String(5))  # "07:00"
    muted = db.Column(db.String(200), nullable=False, default="")  # kinds, space separated


class TaskReminder(db.Model):
    """Which timed reminders (due soon, overdue, escalation) a task has had: the primary key makes
    the reminder scan exactly-once however many workers run it."""

    __tablename__ = "task_reminder"
    task_id = db.Column(db.String(36), primary_key=True)
    kind = db.Column(db.String(16), primary_key=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class Comment(db.Model):
    """A comment or hand-over note on a project (and optionally one of its tasks)."""

    __tablename__ = "comment"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False, index=True)
    task_id = db.Column(db.String(36))
    author_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False)
    kind = db.Column(db.String(12), nullable=False, default="comment")  # comment, handover
    visibility = db.Column(db.String(12), nullable=False, default="internal")  # internal, owner
    body = db.Column(db.String(4000), nullable=False)
    mentions = db.Column(db.String(500), nullable=False, default="")  # user ids, space separated
    attachments = db.Column(db.String(500), nullable=False, default="")  # attachment ids
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class StandIn(db.Model):
    """A stand-in (代班) for a user's leave: between `starts` and `ends` the user's work goes to the
    stand-in. Set by the street's supervisor."""

    __tablename__ = "stand_in"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    stand_in_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    starts = db.Column(UTCDateTime, nullable=False)
    ends = db.Column(UTCDateTime, nullable=False)
    set_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    cancelled_at = db.Column(UTCDateTime)


def stand_in_in_force(now):
    """The conditions on StandIn of a period in force at `now` (a time, or a bound parameter)."""
    return (StandIn.cancelled_at.is_(None), StandIn.starts <= now, StandIn.ends > now)


class SavedFilter(db.Model):
    """A named inbox filter and sort of one user."""

    __tablename__ = "saved_filter"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    name = db.Column(db.String(60), nullable=False)
    query = db.Column(db.String(500), nullable=False)  # the inbox's query string
    __table_args__ = (UniqueConstraint("user_id", "name"),)


class IdempotentRequest(db.Model):
    """The first answer to a request sent with an Idempotency-Key, returned again for a replay.
    `fingerprint` is a hash of the request: the same key with another body is refused."""

    __tablename__ = "idempotent_request"
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), primary_key=True)
    key = db.Column(db.String(100), primary_key=True)
    fingerprint = db.Column(db.String(64), nullable=False)
    status = db.Column(db.Integer, nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
