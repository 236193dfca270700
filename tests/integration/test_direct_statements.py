"""persistence.direct: the step's statements on the driver's cursor write what SQLAlchemy would,
fail as SQLAlchemy would, stay visible to listeners, and on PostgreSQL their pipelined queue is
sent before any other statement or the commit and dropped on rollback."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from tests.conftest import BOTH_BACKENDS, registration_data


def _history_row(project_id: int, kind: str, **extra) -> dict:
    row = {
        "project_id": project_id,
        "actor_id": None,
        "actor_name": "测试",
        "kind": kind,
        "task_id": None,
        "element_id": None,
        "title": "直接写入",
        "data_json": json.dumps({"说明": "中文", "n": 3}, ensure_ascii=False),
        "ip": None,
    }
    return dict(row, **extra)


def _project_id() -> int:
    """A registered project (its inbox holds the first visit)."""
    from webapp.persistence.models import User, db
    from webapp.services.lifecycle import instances

    owner = db.session.scalar(select(User).where(User.username == "owner1"))
    return instances.register_project(owner, registration_data()).id


def _project_update():
    from webapp.persistence.direct import Direct
    from webapp.persistence.models import Project

    project = Project.__table__
    return Direct(update(project).where(project.c.id == bindparam("project_id")))


def _title(project_id: int) -> str:
    """The project's title as the database has it now (a statement: it sends what is queued)."""
    from webapp.persistence.models import Project, db

    return db.session.execute(select(Project.__table__.c.title).where(Project.id == project_id)).scalar_one()


@BOTH_BACKENDS
def test_rows_written_directly_read_back_as_sqlalchemy_wrote_them(app):
    """Typed columns keep SQLAlchemy's conversions: an aware moment (stored as UTC), JSON data,
    a default the caller left out (the history row's `at`)."""
    from webapp.persistence.direct import Direct
    from webapp.persistence.models import HistoryEvent, db

    moment = datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    statement = Direct(insert(HistoryEvent.__table__))
    with app.app_context():
        pid = _project_id()
        before = datetime.now(timezone.utc)
        statement.run([_history_row(pid, "direct_a", at=moment), _history_row(pid, "direct_b", at=moment)])
        statement.send({k: v for k, v in _history_row(pid, "direct_default").items()})
        db.session.commit()
        rows = {
            row.kind: row for row in db.session.scalars(select(HistoryEvent).where(HistoryEvent.kind.like("direct_%")))
        }
    assert sorted(rows) == ["direct_a", "direct_b", "direct_default"]
    assert rows["direct_a"].at == moment.astimezone(timezone.utc)
    assert json.loads(rows["direct_a"].data_json) == {"说明": "中文", "n": 3}
    assert rows["direct_default"].at >= before - timedelta(seconds=1)


@BOTH_BACKENDS
def test_a_duplicate_fails_as_an_integrity_error_and_the_rollback_keeps_nothing(app):
    from webapp.persistence.direct import Direct
    from webapp.persistence.models import InboxTask, db

    inbox = InboxTask.__table__
    statement = Direct(insert(inbox))
    with app.app_context():
        _project_id()
        existing = db.session.scalars(select(InboxTask)).first()
        row = {c.name: getattr(existing, c.name) for c in inbox.c}
        copy = dict(row, id="direct-copy")
        statement.send(copy)
        # The same id again: SQLite refuses it at once, PostgreSQL when the queue goes (the commit).
        with pytest.raises(IntegrityError):
            statement.send(row)
            db.session.commit()
        db.session.rollback()
        assert db.session.get(InboxTask, "direct-copy") is None
        # The next transaction does not send what the failed one queued.
        db.session.execute(select(InboxTask.id).limit(1)).all()
        db.session.commit()
        assert db.session.get(InboxTask, "direct-copy") is None


@BOTH_BACKENDS
def test_a_queued_write_is_seen_by_the_next_read_and_a_rollback_drops_it(app):
    from webapp.persistence.models import db

    statement = _project_update()
    with app.app_context():
        pid = _project_id()
        title = _title(pid)
        statement.send({"title": "直接改名", "project_id": pid})
        assert _title(pid) == "直接改名"
        db.session.rollback()
        statement.send({"title": "回滚丢弃", "project_id": pid})
        db.session.rollback()
        assert _title(pid) == title
        statement.send({"title": "提交生效", "project_id": pid})
        db.session.commit()
        assert _title(pid) == "提交生效"


@BOTH_BACKENDS
def test_listeners_see_the_direct_statements(app):
    from webapp.persistence.models import db

    statement = _project_update()
    seen: list[str] = []
    timed: list[float] = []

    # As Flask-SQLAlchemy's query recording does: a mark on the context before, read after.
    def before(conn, cursor, sql, params, context, many):
        seen.append(sql)
        context.started = 1.0

    def after(conn, cursor, sql, params, context, many):
        timed.append(context.started)

    with app.app_context():
        pid = _project_id()
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        try:
            assert statement.run({"title": "看得见", "project_id": pid}) == 1
            statement.send({"title": "也看得见", "project_id": pid})
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
            event.remove(db.engine, "after_cursor_execute", after)
    assert len([sql for sql in seen if sql.startswith("UPDATE project SET title")]) == 2
    assert len(timed) == len(seen)


@BOTH_BACKENDS
def test_a_write_in_a_savepoint_fails_there_and_the_step_goes_on(app):
    """Inside a savepoint a write's error belongs to the savepoint (numbering retries this way):
    the outer transaction keeps what it wrote before and can still read and commit."""
    from webapp.persistence.direct import Direct
    from webapp.persistence.models import InboxTask, db

    inbox = InboxTask.__table__
    statement = Direct(insert(inbox))
    with app.app_context():
        pid = _project_id()
        existing = db.session.scalars(select(InboxTask)).first()
        row = {c.name: getattr(existing, c.name) for c in inbox.c}
        _project_update().send({"title": "保存点之前", "project_id": pid})
        with pytest.raises(IntegrityError):
            with db.session.begin_nested():
                statement.send(row)  # the same id again
        assert _title(pid) == "保存点之前"
        db.session.commit()
        assert _title(pid) == "保存点之前"


@BOTH_BACKENDS
def test_a_lost_connection_with_queued_writes_rolls_back_and_the_next_step_goes_on(app):
    """The database went away mid-step (the connection invalidated): the rollback still works, the
    queued write is gone with the connection, and the next transaction runs on a fresh one."""
    from webapp.persistence.models import db

    statement = _project_update()
    with app.app_context():
        pid = _project_id()
        title = _title(pid)
        statement.send({"title": "连接已断", "project_id": pid})
        db.session.connection().invalidate()
        db.session.rollback()
        assert _title(pid) == title
