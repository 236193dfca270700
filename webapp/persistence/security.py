"""Tables for security: the append-only audit trail and the failed sign-ins behind rate limiting.

Kept beside models.py (same metadata), imported by the package __init__ like oversight.py.
"""

from __future__ import annotations

from sqlalchemy import Index

from .models import UTCDateTime, db, utcnow


class AuditEvent(db.Model):
    """Who did what, when, from where: sign-ins, completions, rule changes, deployments, exports,
    downloads of personal data. Rows are only ever added (register_guards, below)."""

    __tablename__ = "audit_event"
    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    actor_id = db.Column(db.Integer)
    actor_name = db.Column(db.String(64))
    actor_role = db.Column(db.String(32))
    ip = db.Column(db.String(64))
    action = db.Column(db.String(32), nullable=False)
    object_type = db.Column(db.String(32))
    object_id = db.Column(db.String(64))
    details_json = db.Column(db.Text)
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_action_at", "action", "at"),
        Index("ix_audit_event_actor_at", "actor_name", "at"),
    )


def _audit_is_append_only(mapper, connection, target):
    raise ValueError("the audit trail is append-only")


def register_guards() -> None:
    """Refuse an ORM update or delete of an audit row (called by create_app)."""
    for name in ("before_update", "before_delete"):
        if not db.event.contains(AuditEvent, name, _audit_is_append_only):
            db.event.listen(AuditEvent, name, _audit_is_append_only)


class LoginFailure(db.Model):
    """One failed sign-in (per username as typed and client address), for rate limiting only."""

    __tablename__ = "login_failure"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), nullable=False)
    ip = db.Column(db.String(64), nullable=False)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    __table_args__ = (
        Index("ix_login_failure_user_ip_at", "username", "ip", "at"),
        Index("ix_login_failure_ip_at", "ip", "at"),
    )
