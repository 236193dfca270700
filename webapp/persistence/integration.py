"""Tables for integration with other systems: service tasks waiting for external workers, and the
messages other systems sent (services.integration).

Kept beside models.py (same metadata), imported by the package __init__ like security.py.
"""

from __future__ import annotations

from sqlalchemy import Index

from .models import UTCDateTime, db, utcnow


class ExternalTaskRow(db.Model):
    """A projection, like the inbox: one row per service task waiting for a worker of its topic.

    A worker's lock (`worker_id`, `locked_until`) is taken with one UPDATE over free rows, as the
    timer workers claim jobs, so workers on any number of hosts split the work through the database.
    `retries` counts down the worker's failures (NULL: none yet); at 0 the row is an incident."""

    __tablename__ = "external_task"
    id = db.Column(db.String(36), primary_key=True)  # the engine's task id
    instance_id = db.Column(
        db.Integer, db.ForeignKey("process_instance.id", name="fk_external_task_instance"), nullable=False, index=True
    )
    project_id = db.Column(
        db.Integer, db.ForeignKey("project.id", name="fk_external_task_project"), nullable=False, index=True
    )
    element_id = db.Column(db.String(100), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    topic = db.Column(db.String(100), nullable=False)
    district_code = db.Column(db.String(32), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="open")  # open | incident
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    worker_id = db.Column(db.String(64))
    locked_until = db.Column(UTCDateTime)
    retries = db.Column(db.Integer)
    error_message = db.Column(db.String(2000))
    failed_at = db.Column(UTCDateTime)
    __table_args__ = (Index("ix_external_task_topic_status", "topic", "status", "locked_until"),)


class InboundMessage(db.Model):
    """Every message another system sent (POST /api/v1/messages), delivered or refused: what came,
    from whom, and what it did (started or moved which project, or why it was refused)."""

    __tablename__ = "inbound_message"
    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    name = db.Column(db.String(100), nullable=False)
    correlation_key = db.Column(db.String(100))
    sender_id = db.Column(db.Integer, db.ForeignKey("user_account.id", name="fk_inbound_message_sender"))
    project_id = db.Column(db.Integer, db.ForeignKey("project.id", name="fk_inbound_message_project"), index=True)
    outcome = db.Column(db.String(16), nullable=False)  # started | correlated | refused
    reason = db.Column(db.String(500))
    data_json = db.Column(db.Text)
    __table_args__ = (Index("ix_inbound_message_name_key", "name", "correlation_key"),)
