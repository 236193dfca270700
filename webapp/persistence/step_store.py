"""The step store: every statement one step of a process instance runs, on typed plain rows
(Core statements, no ORM).

A step (a task completion, a timer firing, a migration, a message) reads the instance, its
project, its version's identity and its inbox rows, and writes them back with its timer job, its
history and the audit rows of that history, all in one transaction. Loading and flushing these as ORM objects cost several times what the database takes
to run the statements, on the path every inspector's submission takes; so the rows are plain
values here, and a copy of a changed row that the session holds as an ORM object is kept up to
date (or expired) so nothing reads it stale.

The statements are built once: building a select (and its cache key) costs more than running it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from .direct import Direct
from .integration import ExternalTaskRow
from .models import (
    Attachment,
    HistoryEvent,
    InboxTask,
    ProcessInstance,
    ProcessVersion,
    Project,
    TaskDraft,
    TimerJob,
    db,
)
from .security import AuditEvent

_inbox = InboxTask.__table__
_instance = ProcessInstance.__table__
_version = ProcessVersion.__table__
_project = Project.__table__
_timer = TimerJob.__table__
_attachment = Attachment.__table__
_sibling = _inbox.alias("sibling")
_drafted = _inbox.alias("drafted")
_external = ExternalTaskRow.__table__
_draft = TaskDraft.__table__


# -- typed rows: each field a column, in the table's order (tests/unit/test_step_store.py) ----------
@dataclass(slots=True)
class InstanceRow:
    id: int
    project_id: int
    version_id: int
    state: str
    revision: int
    completed: bool
    updated_at: datetime


@dataclass(slots=True)
class VersionRow:
    """A process version's identity: what its bundle and forms are looked up by."""

    id: int
    process_id: str
    content_hash: str


@dataclass(slots=True)
class ProjectRow:
    """The project's ledger row."""

    id: int
    reg_no: str
    channel: str
    title: str
    object_type: str | None
    category: str | None
    address: str | None
    district_code: str
    street_code: str
    community_code: str | None
    owner_user_id: int | None
    reporter_user_id: int | None
    stage: str | None
    status: str | None
    risk_level: str | None
    planned_start: str | None
    planned_end: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    last_visit_at: datetime | None
    estate_id: int | None
    entrusted_supervisor_id: int | None
    property_company_id: int | None
    open_hazards: int
    next_patrol_at: datetime | None
    late_registration: bool
    claim_code: str | None
    claimed_at: datetime | None


@dataclass(slots=True)
class InboxRow:
    """A ready task in the inbox."""

    id: str
    instance_id: int
    project_id: int
    element_id: str
    title: str
    form_key: str | None
    lane: str | None
    role: str | None
    district_code: str
    street_code: str
    community_code: str | None
    owner_user_id: int | None
    priority: str
    due_at: datetime | None
    created_at: datetime
    claimed_by_id: int | None
    barred_user_id: int | None


@dataclass(slots=True)
class TimerRow:
    """The instance's timer job: when its next timer falls due, and a worker's claim on it."""

    instance_id: int
    due_at: datetime
    status: str
    locked_by: str | None
    locked_until: datetime | None
    attempts: int
    last_error: str | None


# A step's rows, or the ORM objects the start of a project passes: readers take either.
ProjectLike = ProjectRow | Project
InboxLike = InboxRow | InboxTask
VersionLike = VersionRow | ProcessVersion

ROWS = {InstanceRow: _instance, VersionRow: _version, ProjectRow: _project, InboxRow: _inbox, TimerRow: _timer}


def _columns(row_type) -> list:
    table = ROWS[row_type]
    return [table.c[field.name] for field in fields(row_type)]


# The step's select returns these groups of columns side by side, in this order.
_GROUPS = (
    (InstanceRow, _columns(InstanceRow)),
    (VersionRow, _columns(VersionRow)),
    (ProjectRow, _columns(ProjectRow)),
    (TimerRow, _columns(TimerRow)),
    (InboxRow, _columns(InboxRow)),
)


def _parts() -> list[tuple[Any, slice]]:
    """Each group's row type and where its values sit in a result row."""
    parts, start = [], 0
    for row_type, columns in _GROUPS:
        parts.append((row_type, slice(start, start + len(columns))))
        start += len(columns)
    return parts


_INSTANCE_PART, _VERSION_PART, _PROJECT_PART, _TIMER_PART, _INBOX_PART = _parts()


def _part(row, part):
    row_type, where = part
    return row_type(*row[where])


# Whether the instance has external-task rows, and whether anyone keeps a draft of its tasks: a
# step whose engine leaves no service task waiting, and which removes tasks nobody drafted, then
# runs neither the SELECT nor the DELETE that would find nothing. Only steps write external-task
# rows (under the revision check, like the inbox).
_FLAGS = (
    exists().where(_external.c.instance_id == _instance.c.id).label("has_external_rows"),
    exists()
    .select_from(_drafted.join(_draft, _draft.c.task_id == _drafted.c.id))
    .where(_drafted.c.instance_id == _instance.c.id)
    .label("has_drafts"),
)
_FLAGS_AT = sum(len(group) for _, group in _GROUPS)


def _step_select(instance_id):
    """Every inbox row of the instance (the projection needs them all), with the instance, its
    project, its version's identity and its timer job (and _FLAGS); the outer joins keep the
    instance when it has no inbox row or no job."""
    return (
        select(*(column for _, group in _GROUPS for column in group), *_FLAGS)
        .select_from(_instance)
        .join(_version, _version.c.id == _instance.c.version_id)
        .join(_project, _project.c.id == _instance.c.project_id)
        .outerjoin(_timer, _timer.c.instance_id == _instance.c.id)
        .outerjoin(_inbox, _inbox.c.instance_id == _instance.c.id)
        .where(_instance.c.id == instance_id)
    )


_BY_TASK = _step_select(select(_sibling.c.instance_id).where(_sibling.c.id == bindparam("task_id")).scalar_subquery())
_BY_INSTANCE = _step_select(bindparam("instance_id"))


def execute(statement, params=None):
    """A plain statement in the session's transaction, past the ORM's execute (its events and
    options are for ORM statements)."""
    return db.session.connection().execute(statement, params)


@dataclass
class Step:
    """What a step starts from: the instance, its project, its version's identity, its inbox rows
    and its timer job. The start of a project passes the ORM objects it has just added."""

    instance: InstanceRow | ProcessInstance
    project: ProjectLike
    inbox: list[InboxRow]
    version: VersionLike
    timer: TimerRow | None = None
    # Unknown (True) unless read with the step: see _FLAGS.
    has_external_rows: bool = True
    has_drafts: bool = True

    def task(self, task_id: str) -> InboxRow | None:
        """The inbox row of this ready task, if the step has it."""
        return next((row for row in self.inbox if row.id == task_id), None)


def read_for_task(task_id: str) -> Step | None:
    """The step that completes this task: None if no ready task has this id."""
    return _step(execute(_BY_TASK, {"task_id": task_id}).all())


def read_instance(instance_id: int) -> Step | None:
    return _step(execute(_BY_INSTANCE, {"instance_id": instance_id}).all())


def _step(rows) -> Step | None:
    if not rows:
        return None
    first = rows[0]
    inbox_id = _INBOX_PART[1].start  # the inbox row's id; None when the instance has no inbox row
    timer = _TIMER_PART[1].start  # the job's instance id; None when the instance has no job
    return Step(
        instance=_part(first, _INSTANCE_PART),
        version=_part(first, _VERSION_PART),
        project=_part(first, _PROJECT_PART),
        inbox=[_part(row, _INBOX_PART) for row in rows if row[inbox_id] is not None],
        timer=_part(first, _TIMER_PART) if first[timer] is not None else None,
        has_external_rows=bool(first[_FLAGS_AT]),
        has_drafts=bool(first[_FLAGS_AT + 1]),
    )


_LOCK_IF_FREE = (
    select(_instance.c.id).where(_instance.c.id == bindparam("instance_id")).with_for_update(skip_locked=True)
)


def lock_if_free(instance_id: int) -> bool:
    """Lock the instance's row for this transaction unless another one holds it (PostgreSQL;
    SQLite has one writer anyway): False means someone is writing the instance right now, and a
    timer worker taking over an expired claim moves on rather than queue behind it."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return execute(_LOCK_IF_FREE, {"instance_id": instance_id}).first() is not None


_INSTANCE_UPDATE = Direct(
    update(_instance).where(_instance.c.id == bindparam("instance_id"), _instance.c.revision == bindparam("expected"))
)


def write_instance(instance, values: dict) -> bool:
    """Write the instance's state if its revision is still the one read, moving it on by one;
    False (nothing written) if another change won the race. `instance` (a Row or the session's
    ORM copy) is brought up to date."""
    revision = instance.revision
    values = dict(values, revision=revision + 1)
    if _INSTANCE_UPDATE.run(dict(values, instance_id=instance.id, expected=revision)) != 1:
        return False
    written(instance, ProcessInstance, instance.id, values)
    return True


_PROJECT_UPDATE = Direct(update(_project).where(_project.c.id == bindparam("project_id")))


def write_project(project, changes: dict) -> None:
    """Set these columns of the project's ledger row (nothing if none changed)."""
    if not changes:
        return
    _PROJECT_UPDATE.send(dict(changes, project_id=project.id))
    written(project, Project, project.id, changes)


_ATTACHMENT_LINK = (
    update(_attachment)
    .where(_attachment.c.id.in_(bindparam("ids", expanding=True)), _attachment.c.project_id.is_(None))
    .values(project_id=bindparam("project_id"))
)


def link_attachments(ids: list[str], project_id: int) -> None:
    """The form that carries these photos is saved with the step: from now on they are the project's."""
    execute(_ATTACHMENT_LINK, {"ids": list(ids), "project_id": project_id})
    for key in ids:
        held = db.session.identity_map.get(identity_key(Attachment, key))
        if held is not None:
            db.session.expire(held, ["project_id"])


# -- inbox, drafts, timer job, history and its audit rows -------------------------------------------
_INBOX_INSERT = Direct(insert(_inbox))
_INBOX_UPDATE = Direct(update(_inbox).where(_inbox.c.id == bindparam("task_id")))
_INBOX_DELETE = Direct(delete(_inbox).where(_inbox.c.id == bindparam("task_id")))
_DRAFT_DELETE = Direct(delete(_draft).where(_draft.c.task_id == bindparam("task_id")))
_TIMER_INSERT = Direct(insert(_timer))
_TIMER_UPDATE = Direct(update(_timer).where(_timer.c.instance_id == bindparam("job")))
_TIMER_DELETE = Direct(delete(_timer).where(_timer.c.instance_id == bindparam("job")))
_HISTORY_INSERT = Direct(insert(HistoryEvent.__table__))
_AUDIT_INSERT = Direct(insert(AuditEvent.__table__))


def remove_inbox(task_ids: list[str], drafts: bool = True) -> None:
    """Tasks done or cancelled leave the inbox, and nobody's draft of them is of use any more
    (`drafts` False: the step read that nobody keeps one)."""
    if not task_ids:
        return
    _INBOX_DELETE.send([{"task_id": task_id} for task_id in task_ids])
    forget(InboxTask, task_ids)
    if drafts:
        _DRAFT_DELETE.send([{"task_id": task_id} for task_id in task_ids])


def add_inbox(rows: list[dict]) -> None:
    if rows:
        _INBOX_INSERT.send(rows)


def update_inbox(row: InboxRow, changes: dict) -> None:
    """Set these columns of a task's inbox row (its title, due date or group changed)."""
    _INBOX_UPDATE.send(dict(changes, task_id=row.id))
    written(row, InboxTask, row.id, changes)


def write_timer(step: Step, values: dict | None) -> None:
    """The instance's timer job as these values (None: no timer waits). Only what changed is
    written, as the ORM did: a worker's claim made since the step's read is not undone by a step
    that leaves the timer as it was."""
    instance_id, job = step.instance.id, step.timer
    if values is None:
        if job is not None:
            _TIMER_DELETE.send({"job": instance_id})
            forget(TimerJob, [instance_id])
            step.timer = None
        return
    if job is None:
        _TIMER_INSERT.send(dict(values, instance_id=instance_id))
        step.timer = TimerRow(instance_id=instance_id, **values)
        return
    changed = {name: value for name, value in values.items() if getattr(job, name) != value}
    if changed:
        _TIMER_UPDATE.send(dict(changed, job=instance_id))
        written(job, TimerJob, instance_id, changed)


def add_history(rows: list[dict], audit_rows: list[dict]) -> None:
    """The step's history rows, in order, and the audit rows of those that are audited: one plain
    INSERT each (as added objects they went row by row on SQLite, to learn ids nobody reads)."""
    if rows:
        _HISTORY_INSERT.send(rows)
    if audit_rows:
        _AUDIT_INSERT.send(audit_rows)


def written(obj, model, key, values: dict) -> None:
    """After a plain INSERT or UPDATE of a row: `obj` (a typed row, an ORM object or None) takes
    the values without being marked changed, and any other ORM copy of the row in the session is
    expired."""
    plain = is_dataclass(obj)
    for name, value in values.items():
        if plain:
            setattr(obj, name, value)
        elif obj is not None:
            set_committed_value(obj, name, value)
    held = db.session.identity_map.get(identity_key(model, key))
    if held is not None and held is not obj:
        db.session.expire(held, list(values))


def forget(model, keys) -> None:
    """After a plain DELETE: the session's ORM copies of the rows, if any, are dropped."""
    for key in keys:
        held = db.session.identity_map.get(identity_key(model, key))
        if held is not None:
            db.session.expunge(held)


def commit() -> None:
    """Commit a step. Its rows were written with plain statements and their ORM copies updated
    or expired one by one (`written`, `forget`), so the rest of the session (the signed-in user,
    organisation units) is not expired: the caller goes on without reloading them."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
