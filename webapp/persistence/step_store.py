"""One step of a process instance, read and written as plain rows (Core statements, no ORM).

A step (a task completion, a timer firing, a migration) reads the instance, its project, its
version's identity and its inbox rows, and writes them back with the history, all in one
transaction. Loading and flushing these as ORM objects cost several times what the database takes
to run the statements, on the path every inspector's submission takes; so the rows are plain
values here, and a copy of a changed row that the session holds as an ORM object is kept up to
date (or expired) so nothing reads it stale.

The statements are built once: building a select (and its cache key) costs more than running it.
"""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from .models import Attachment, InboxTask, ProcessInstance, ProcessVersion, Project, db

_inbox = InboxTask.__table__
_instance = ProcessInstance.__table__
_version = ProcessVersion.__table__
_project = Project.__table__
_attachment = Attachment.__table__
_sibling = _inbox.alias("sibling")

INSTANCE_COLUMNS = ("id", "project_id", "version_id", "state", "revision", "completed")
_INSTANCE = [_instance.c[name] for name in INSTANCE_COLUMNS]
_VERSION = [_version.c.id, _version.c.process_id, _version.c.content_hash]


class Row(SimpleNamespace):
    """A row read with a plain statement: its columns as attributes."""


# The step's select returns these groups of columns side by side, in this order.
_GROUPS = (_INSTANCE, _VERSION, list(_project.c), list(_inbox.c))


def _parts(groups) -> list[tuple[slice, tuple[str, ...]]]:
    """Where each group's values sit in a result row, and their names."""
    parts, start = [], 0
    for group in groups:
        parts.append((slice(start, start + len(group)), tuple(column.name for column in group)))
        start += len(group)
    return parts


_INSTANCE_PART, _VERSION_PART, _PROJECT_PART, _INBOX_PART = _parts(_GROUPS)


def _part(row, part) -> Row:
    where, names = part
    return Row(**dict(zip(names, row[where])))


def _step_select(instance_id):
    """Every inbox row of the instance (the projection needs them all), with the instance, its
    project and its version's identity; the outer join keeps the instance when it has no row."""
    return (
        select(*(column for group in _GROUPS for column in group))
        .select_from(_instance)
        .join(_version, _version.c.id == _instance.c.version_id)
        .join(_project, _project.c.id == _instance.c.project_id)
        .outerjoin(_inbox, _inbox.c.instance_id == _instance.c.id)
        .where(_instance.c.id == instance_id)
    )


_BY_TASK = _step_select(select(_sibling.c.instance_id).where(_sibling.c.id == bindparam("task_id")).scalar_subquery())
_BY_INSTANCE = _step_select(bindparam("instance_id"))


def execute(statement, params=None):
    """A plain statement in the session's transaction, past the ORM's execute (its events and
    options are for ORM statements)."""
    return db.session.connection().execute(statement, params)


class Step(SimpleNamespace):
    """What a step starts from: `instance`, `project`, `version` (id, process_id, content_hash)
    and `inbox` (the instance's inbox rows), each a Row."""


def read_for_task(task_id: str) -> Step | None:
    """The step that completes this task: None if no ready task has this id."""
    return _step(execute(_BY_TASK, {"task_id": task_id}).all())


def read_instance(instance_id: int) -> Step | None:
    return _step(execute(_BY_INSTANCE, {"instance_id": instance_id}).all())


def _step(rows) -> Step | None:
    if not rows:
        return None
    first = rows[0]
    inbox_id = _INBOX_PART[0].start  # the inbox row's id; None when the instance has no inbox row
    return Step(
        instance=_part(first, _INSTANCE_PART),
        version=_part(first, _VERSION_PART),
        project=_part(first, _PROJECT_PART),
        inbox=[_part(row, _INBOX_PART) for row in rows if row[inbox_id] is not None],
    )


_LOCK_IF_FREE = select(_instance.c.id).where(_instance.c.id == bindparam("instance_id")).with_for_update(skip_locked=True)


def lock_if_free(instance_id: int) -> bool:
    """Lock the instance's row for this transaction unless another one holds it (PostgreSQL;
    SQLite has one writer anyway): False means someone is writing the instance right now, and a
    timer worker taking over an expired claim moves on rather than queue behind it."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return execute(_LOCK_IF_FREE, {"instance_id": instance_id}).first() is not None


_INSTANCE_UPDATE = (
    update(_instance)
    .where(_instance.c.id == bindparam("instance_id"), _instance.c.revision == bindparam("expected"))
)


def write_instance(instance, values: dict) -> bool:
    """Write the instance's state if its revision is still the one read, moving it on by one;
    False (nothing written) if another change won the race. `instance` (a Row or the session's
    ORM copy) is brought up to date."""
    revision = instance.revision
    values = dict(values, revision=revision + 1)
    result = execute(_INSTANCE_UPDATE, dict(values, instance_id=instance.id, expected=revision))
    if result.rowcount != 1:
        return False
    written(instance, ProcessInstance, instance.id, values)
    return True


_PROJECT_UPDATE = update(_project).where(_project.c.id == bindparam("project_id"))


def write_project(project, changes: dict) -> None:
    """Set these columns of the project's ledger row (nothing if none changed)."""
    if not changes:
        return
    execute(_PROJECT_UPDATE, dict(changes, project_id=project.id))
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


def written(obj, model, key, values: dict) -> None:
    """After a plain INSERT or UPDATE of a row: `obj` (a Row, an ORM object or None) takes the
    values without being marked changed, and any other ORM copy of the row in the session is
    expired."""
    for name, value in values.items():
        if isinstance(obj, Row):
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
