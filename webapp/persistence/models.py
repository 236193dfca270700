"""Tables: one state document per instance plus projections for everything that is queried.

Nothing ever queries inside the state document. The state, its projections (ledger, inbox,
timer job) and its history rows are written in one transaction by services.lifecycle.instances.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone

from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Index, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


_EPOCH = datetime(1970, 1, 1)


def sqlite_micros(value: datetime) -> int:
    """A moment as SQLite stores it: whole microseconds since 1970-01-01 UTC (naive is UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    delta = value - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


class _SQLiteMicros(sqlite.DATETIME):
    """DATETIME on SQLite as an integer of microseconds (sqlite_micros): 8 bytes where SQLAlchemy's
    text ('2026-12-01 01:00:00.000000') took 26, in the row and again in every index over it, a
    sixth of a project's stored bytes. Integers order and compare as the moments do; the column
    keeps its declared type. A value written as text before (migration 0023_sqlite_micros turns
    them into integers) still reads."""

    def bind_processor(self, dialect):
        def process(value):
            return sqlite_micros(value) if isinstance(value, datetime) else value

        return process

    def literal_processor(self, dialect):
        return lambda value: str(sqlite_micros(value))

    def result_processor(self, dialect, coltype):
        def process(value):
            if value is None or isinstance(value, datetime):
                return value
            if isinstance(value, int):
                return _EPOCH + timedelta(microseconds=value)
            return datetime.fromisoformat(value).replace(tzinfo=None)

        return process


class UTCDateTime(db.TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite has no time zones, PostgreSQL gets the same.
    On SQLite the moment is an integer of microseconds (_SQLiteMicros): a statement that writes
    one itself (raw SQL, a driver's executemany) writes sqlite_micros(value), not text."""

    impl = db.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return _SQLiteMicros() if dialect.name == "sqlite" else dialect.type_descriptor(db.DateTime())

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class StateDocument(db.TypeDecorator):
    """An instance's state, JSON text to its readers, stored deflated: a fifth of its size.
    Every step rewrites it, so it was most of the pages a step's commit writes and syncs (its
    overflow chain freed and written anew) and most of an instance's stored bytes. A bytea column
    on PostgreSQL; SQLite keeps the value as a BLOB in the TEXT column. Deflated as CompactJSON
    is (pack_json, against the same dictionary: the registration's vocabulary is most of a
    finished instance's state) at level 1, the fastest (0.1 ms for a running instance's ~18 KB,
    where higher levels gain a tenth for three times that). A state written before it was
    compressed (plain JSON), or zlib-compressed without the dictionary, reads as it is."""

    impl = db.Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(db.LargeBinary() if dialect.name == "postgresql" else db.Text())

    def process_bind_param(self, value, dialect):
        return pack_json(value, 1) if isinstance(value, str) else value

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, str):
            return value
        stored = bytes(value)
        return zlib.decompress(stored).decode() if stored[:1] == b"x" else unpack_json(stored)


def _json_dictionaries() -> dict[int, bytes]:
    from .json_dictionary import V1

    return {1: "\n".join(V1).encode()}


_DICTIONARIES = _json_dictionaries()
_DEFLATED = 1  # the first byte of a deflated value: the dictionary it was deflated with (V1)


def pack_json(text: str, level: int = 9) -> bytes:
    """JSON text as CompactJSON stores it: deflated against the dictionary, or its UTF-8 bytes
    when that is not shorter (a JSON text never starts with byte 1)."""
    plain = text.encode()
    deflate = zlib.compressobj(level, zlib.DEFLATED, -15, 9, zdict=_DICTIONARIES[_DEFLATED])
    packed = bytes((_DEFLATED,)) + deflate.compress(plain) + deflate.flush()
    return packed if len(packed) < len(plain) else plain


def unpack_json(stored: str | bytes | memoryview) -> str:
    """What pack_json stored (or plain JSON text written before it) as JSON text."""
    if isinstance(stored, str):
        return stored
    stored = bytes(stored)
    if stored[:1] and stored[0] in _DICTIONARIES:
        inflate = zlib.decompressobj(-15, zdict=_DICTIONARIES[stored[0]])
        return (inflate.decompress(stored[1:]) + inflate.flush()).decode()
    return stored.decode()


class CompactJSON(db.TypeDecorator):
    """JSON text to its readers, stored deflated against a preset dictionary of the project's own
    vocabulary (persistence.json_dictionary): history data, notice data. A few hundred bytes
    each, written once and read now and then: a third of their size. Nothing queries inside
    them (no JSON operators in SQL). bytea on PostgreSQL; SQLite keeps the BLOB in its TEXT
    column. Rows written before (plain JSON text) read as they are."""

    impl = db.Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(db.LargeBinary() if dialect.name == "postgresql" else db.Text())

    def process_bind_param(self, value, dialect):
        return pack_json(value) if isinstance(value, str) else value

    def process_result_value(self, value, dialect):
        return None if value is None else unpack_json(value)


class OrgUnit(db.Model):
    __tablename__ = "org_unit"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), unique=True, nullable=False)
    name = db.Column(db.String(100), nullable=False)
    kind = db.Column(db.String(16), nullable=False)  # city, district, street, community, grid
    parent_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"))
    district_code = db.Column(db.String(32), index=True)
    street_code = db.Column(db.String(32), index=True)
    hotline = db.Column(db.String(32))
    # The issuing office's legal name printed on notices (e.g. 厦门市思明区人民政府鹭江街道办事处).
    legal_name = db.Column(db.String(100))


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), unique=True, nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    display_name = db.Column(db.String(100), nullable=False)
    role = db.Column(db.String(32), nullable=False, index=True)
    org_unit_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False)
    phone = db.Column(db.String(32))
    active = db.Column(db.Boolean, nullable=False, default=True)
    # Bumped at sign-out: a signed session cookie carries the version it was issued with, so a copy
    # of the cookie taken before sign-out no longer loads the user (services.security.auth.session_matches).
    session_version = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    # Role `property`: the company the account works for; it sees the projects in that company's estates.
    property_company_id = db.Column(
        db.Integer, db.ForeignKey("property_company.id", name="fk_user_property_company"), index=True
    )
    # Role `integration` (a machine client): the topics it may work on and the messages it may send,
    # separated by spaces; its API tokens carry these or fewer.
    scopes = db.Column(db.String(500))
    org_unit = db.relationship(OrgUnit, lazy="joined")

    @property
    def is_active(self):  # Flask-Login
        return bool(self.active)


class ApiToken(db.Model):
    __tablename__ = "api_token"
    id = db.Column(db.Integer, primary_key=True)
    token_hash = db.Column(db.String(64), unique=True, nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False)
    revoked_at = db.Column(UTCDateTime)
    # An integration client's token: the topics and message names it is good for (space-separated).
    scopes = db.Column(db.String(500))
    user = db.relationship(User, lazy="joined")


class ProcessVersion(db.Model):
    """An immutable deployed bundle of BPMN/DMN/form files.

    Each version belongs to a line: the city's (`district_code` NULL), the default of every
    district, or one district's variant. Numbers count per process across lines, so a number names
    one version; the same content may be deployed again (a rollback), hence the hash is not unique.
    """

    __tablename__ = "process_version"
    id = db.Column(db.Integer, primary_key=True)
    process_id = db.Column(db.String(100), nullable=False, index=True)
    version = db.Column(db.Integer, nullable=False)
    content_hash = db.Column(db.String(64), nullable=False, index=True)
    district_code = db.Column(db.String(32), index=True)
    # Deferred: requests only need the id and hash (bundles are cached by hash); the files are
    # read once per process, when a version is first parsed.
    files_json = db.deferred(db.Column(db.Text, nullable=False))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by = db.Column(db.String(64))
    note = db.Column(db.String(500))
    __table_args__ = (UniqueConstraint("process_id", "version"),)


class Project(db.Model):
    """The ledger (台账) row of one registration or lead; a projection of its instance."""

    __tablename__ = "project"
    id = db.Column(db.Integer, primary_key=True)
    reg_no = db.Column(db.String(40), unique=True, nullable=False)
    channel = db.Column(db.String(16), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    object_type = db.Column(db.String(16))
    category = db.Column(db.String(40))
    address = db.Column(db.String(200))
    district_code = db.Column(db.String(32), nullable=False)
    street_code = db.Column(db.String(32), nullable=False)
    community_code = db.Column(db.String(32))
    owner_user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), index=True)
    reporter_user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    stage = db.Column(db.String(32))
    status = db.Column(db.String(64))
    risk_level = db.Column(db.String(16))
    planned_start = db.Column(db.String(10))
    planned_end = db.Column(db.String(10))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    closed_at = db.Column(UTCDateTime)
    # The last site visit (first visit, patrol, re-inspection, resume check), for the patrol-coverage KPI
    # (services.oversight.kpi); written with the step (services.oversight.kpi.visit_columns).
    last_visit_at = db.Column(UTCDateTime)
    # The managed estate the site lies in (its property company sees the project), and the entrusted
    # supervisor (委托监理) hired for the works, who records advisory logs on it.
    estate_id = db.Column(db.Integer, db.ForeignKey("estate.id", name="fk_project_estate"), index=True)
    entrusted_supervisor_id = db.Column(
        db.Integer, db.ForeignKey("user_account.id", name="fk_project_entrusted"), index=True
    )
    # The property company the project counts for in its yearly figures, fixed when it starts: the
    # estate's company at registration, or the company whose account reported the lead.
    property_company_id = db.Column(
        db.Integer, db.ForeignKey("property_company.id", name="fk_project_property_company"), index=True
    )
    # Projections of the process: the hazards not yet closed (hazard table) and when the patrol
    # timer falls due (the timer the diagram marks with `ledger=next_patrol_at`).
    open_hazards = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    next_patrol_at = db.Column(UTCDateTime)
    # Registered late (补登记, P-07): after the lead time before the planned start, or found on site.
    late_registration = db.Column(db.Boolean, nullable=False, default=False, server_default=sa_false())
    # Registered for the owner (on site, by a property company): the code on the receipt with which
    # the owner takes the project over online; the owner's steps wait for the owner side until then.
    claim_code = db.Column(db.String(16))
    claimed_at = db.Column(UTCDateTime)
    __table_args__ = (
        Index("ix_project_street_stage", "street_code", "stage", "updated_at"),
        Index("ix_project_district_stage", "district_code", "stage", "updated_at"),
        Index("ix_project_updated", "updated_at"),
    )


class ProcessInstance(db.Model):
    __tablename__ = "process_instance"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), unique=True, nullable=False)
    version_id = db.Column(db.Integer, db.ForeignKey("process_version.id"), nullable=False)
    state = db.Column(StateDocument, nullable=False)
    revision = db.Column(db.Integer, nullable=False)
    completed = db.Column(db.Boolean, nullable=False, default=False)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # Optimistic locking: an UPDATE whose revision no longer matches changes nothing and fails.
    __mapper_args__ = {"version_id_col": revision}


class InboxTask(db.Model):
    """One row per ready human task: who may do it comes from its lane and the project's place."""

    __tablename__ = "inbox_task"
    id = db.Column(db.String(36), primary_key=True)
    instance_id = db.Column(db.Integer, db.ForeignKey("process_instance.id"), nullable=False, index=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False, index=True)
    element_id = db.Column(db.String(100), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    form_key = db.Column(db.String(100))
    lane = db.Column(db.String(100))
    role = db.Column(db.String(32), index=True)
    district_code = db.Column(db.String(32), nullable=False)
    street_code = db.Column(db.String(32), nullable=False)
    community_code = db.Column(db.String(32))
    owner_user_id = db.Column(db.Integer)
    priority = db.Column(db.String(8), nullable=False, default="normal")
    due_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    claimed_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    # Who may not do this task (BPMN `notBy`): the one who made the entry it checks.
    barred_user_id = db.Column(db.Integer)
    project = db.relationship(Project, lazy="joined")
    __table_args__ = (
        Index("ix_inbox_role_street", "role", "street_code", "due_at"),
        Index("ix_inbox_role_district", "role", "district_code", "due_at"),
    )


class TimerJob(db.Model):
    """The next due timer of an instance; claimed by timer workers through the database only."""

    __tablename__ = "timer_job"
    instance_id = db.Column(db.Integer, db.ForeignKey("process_instance.id"), primary_key=True)
    due_at = db.Column(UTCDateTime, nullable=False, index=True)
    status = db.Column(db.String(16), nullable=False, default="pending")  # pending | incident
    locked_by = db.Column(db.String(64))
    locked_until = db.Column(UTCDateTime)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.Text)


class HistoryEvent(db.Model):
    """Append-only: who did what, when, with which data."""

    __tablename__ = "history_event"
    id = db.Column(db.Integer, primary_key=True)
    # A project's rows are found by ix_history_project_element_at (persistence.oversight), whose
    # first column this is: no index of its own.
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"))
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    actor_id = db.Column(db.Integer)
    actor_name = db.Column(db.String(64))
    kind = db.Column(db.String(32), nullable=False)
    task_id = db.Column(db.String(36))
    element_id = db.Column(db.String(100))
    title = db.Column(db.String(200))
    data_json = db.Column(CompactJSON)
    ip = db.Column(db.String(64))
    __table_args__ = (
        # Only rows of a task have one (completed, cancelled, an external task's): the system's steps
        # take no room in it.
        Index(
            "ix_history_event_task_id",
            "task_id",
            sqlite_where=text("task_id IS NOT NULL"),
            postgresql_where=text("task_id IS NOT NULL"),
        ),
    )


class Counter(db.Model):
    """Sequence numbers per district and day (registration numbers)."""

    __tablename__ = "counter"
    key = db.Column(db.String(64), primary_key=True)
    value = db.Column(db.Integer, nullable=False, default=0)


class Attachment(db.Model):
    """An uploaded photo: re-encoded JPEG on disk under UPLOAD_DIR; only its metadata lives here.

    `project_id` stays empty until the form that carries it is saved; until then only the uploader
    may fetch it.
    """

    __tablename__ = "attachment"
    id = db.Column(db.String(32), primary_key=True)  # random, url-safe
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), index=True)
    uploader_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    filename = db.Column(db.String(200))
    content_type = db.Column(db.String(64), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    width = db.Column(db.Integer)
    height = db.Column(db.Integer)
    sha256 = db.Column(db.String(64), nullable=False)
    path = db.Column(db.String(300), nullable=False)  # relative to UPLOAD_DIR
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class TaskDraft(db.Model):
    """A half-filled task form, saved by its user ("保存草稿") and pre-filled on the task page."""

    __tablename__ = "task_draft"
    task_id = db.Column(db.String(36), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), primary_key=True)
    data_json = db.Column(db.Text, nullable=False)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class DistrictRuleVersion(db.Model):
    """One saved version of a district's implementation rules (实施细则); rows are never changed.

    `values_json` holds every parameter (the whole rule set as it was saved). The version in force
    at a moment is the newest whose `effective_from` has passed; versions only follow each other
    on the timeline (services.district_rules.rulebook refuses an effective date before the latest version's).
    """

    __tablename__ = "district_rule_version"
    id = db.Column(db.Integer, primary_key=True)
    district_code = db.Column(db.String(32), nullable=False)
    version = db.Column(db.Integer, nullable=False)
    values_json = db.Column(db.Text, nullable=False)
    effective_from = db.Column(UTCDateTime, nullable=False)
    reason = db.Column(db.String(500), nullable=False)
    author = db.Column(db.String(64), nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    __table_args__ = (
        UniqueConstraint("district_code", "version"),
        Index("ix_district_rule_effective", "district_code", "effective_from"),
    )


class DistrictRuleWithdrawal(db.Model):
    """A version withdrawn before it took effect, by itself or replaced by a later version
    (`replaced_by`). The version row stays as it was saved: the history keeps both."""

    __tablename__ = "district_rule_withdrawal"
    id = db.Column(db.Integer, primary_key=True)
    district_code = db.Column(db.String(32), nullable=False)
    version = db.Column(db.Integer, nullable=False)
    replaced_by = db.Column(db.Integer)
    reason = db.Column(db.String(500), nullable=False)
    author = db.Column(db.String(64), nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    __table_args__ = (UniqueConstraint("district_code", "version"),)


def _rule_versions_are_immutable(mapper, connection, target):
    raise ValueError("district rule versions are immutable; save a new version instead")


def register_guards() -> None:
    """Refuse an ORM update or delete of a rule version or withdrawal (called by create_app)."""
    for model in (DistrictRuleVersion, DistrictRuleWithdrawal):
        for name in ("before_update", "before_delete"):
            if not db.event.contains(model, name, _rule_versions_are_immutable):
                db.event.listen(model, name, _rule_versions_are_immutable)
