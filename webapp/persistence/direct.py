"""The statements every step runs, executed on the driver's cursor of the session's connection.

A task completion runs a dozen small statements (the instance, its project, its inbox rows, its
timer job, its history and audit rows, the notifications of the step). Through SQLAlchemy's
execution (an execution context, a result object, events) each cost more than the database took
to run it: about 0.1 ms on SQLite and 0.25 ms on PostgreSQL, measured per statement. Here a Core
statement is compiled once per database and set of columns by SQLAlchemy itself, so the SQL and
the types' conversions (UTCDateTime, StateDocument, CompactJSON) stay SQLAlchemy's, and is then
run on the DBAPI cursor. An error of the driver is handled by SQLAlchemy as its own would be:
wrapped (an IntegrityError is still an IntegrityError), a lost connection invalidated. Listeners
of `before/after_cursor_execute` see each statement (with a bare context object: no result to
read) and echo logs it.

Only statements whose parameters are plain values go here: no expanding IN lists; a column the
caller leaves out takes its scalar or argument-less default (`onupdate` in an UPDATE), never one
that reads SQLAlchemy's execution context. Reads that want typed rows stay with SQLAlchemy; a
RETURNING statement gives back the driver's tuples.

On PostgreSQL with psycopg a write whose answer nobody reads (`send`) waits in the connection's
queue and goes with the others in one pipeline (one round trip) right before the next statement
of any kind on that connection, or the commit: every read still sees every write before it, and
a write's error (a duplicate inbox row) fails the next statement or the step's commit at the
latest. Inside a savepoint a write runs at once, so that its error belongs to the savepoint. A
rollback drops the queue. The listeners doing this are registered by the app factory (`register`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event

from .models import db

_QUEUE = "direct_writes"


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bind names in the order of the statement's placeholders
    keys: tuple[str, ...]  # the driver's parameter names (named paramstyles) or () (positional)
    processors: tuple[Any, ...]  # each bind's conversion, or None
    defaults: tuple[tuple[str, Any], ...]  # (column key, default) of columns the caller leaves out


class Direct:
    """A Core statement run on the driver's cursor: `run(params)` for one row, a list for many."""

    def __init__(self, statement):
        self.statement = statement
        self._compiled: dict[tuple, _Compiled] = {}

    def run(self, params: dict | list[dict]) -> int:
        """Execute; the number of rows the database says it touched."""
        return self._execute(params, fetch=False) if params else 0

    def send(self, params: dict | list[dict]) -> None:
        """Execute, or on PostgreSQL queue for the connection's next pipeline (see the module)."""
        if not params:
            return
        connection = db.session.connection()
        if not _queues(connection):
            self._execute(params, fetch=False)
            return
        rows = params if isinstance(params, list) else [params]
        compiled = self._compile(connection.dialect, rows[0])
        queue = connection.connection.info.setdefault(_QUEUE, [])
        queue.append((compiled.sql, [_bind(compiled, row) for row in rows]))

    def rows(self, params: dict) -> list[tuple]:
        """Execute a statement with RETURNING; the rows as the driver gives them."""
        return self._execute(params, fetch=True)

    def _execute(self, params, fetch: bool):
        connection = db.session.connection()
        _flush(connection)
        rows = params if isinstance(params, list) else [params]
        compiled = self._compile(connection.dialect, rows[0])
        values = [_bind(compiled, row) for row in rows]
        many = len(values) > 1
        sent = values if many else values[0]
        cursor = _driver_connection(connection).cursor()
        try:
            context = _before(connection, cursor, compiled.sql, sent, many)
            if many:
                cursor.executemany(compiled.sql, sent)
            else:
                cursor.execute(compiled.sql, sent)
            _after(connection, cursor, compiled.sql, sent, many, context)
            return cursor.fetchall() if fetch else cursor.rowcount
        except BaseException as exc:
            # As SQLAlchemy's own execution: wrapped, and a lost connection invalidated.
            connection._handle_dbapi_exception(exc, compiled.sql, sent, cursor, None)
            raise
        finally:
            cursor.close()

    def _compile(self, dialect, row: dict) -> _Compiled:
        key = (dialect.name, tuple(row))
        found = self._compiled.get(key)
        if found is not None:
            return found
        compiled = self.statement.compile(dialect=dialect, column_keys=list(row), for_executemany=True)
        names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
        processors = compiled._bind_processors
        escaped = compiled.escaped_bind_names
        defaults = [(column, column.default) for column in compiled.insert_prefetch]
        defaults += [(column, column.onupdate) for column in compiled.update_prefetch]
        found = _Compiled(
            sql=compiled.string,
            names=names,
            keys=() if compiled.positional else tuple(escaped.get(name, name) for name in names),
            processors=tuple(processors.get(name) for name in names),
            defaults=tuple((column.key, default) for column, default in defaults if column.key not in row),
        )
        self._compiled[key] = found
        return found


def _bind(compiled: _Compiled, row: dict):
    if compiled.defaults:
        row = dict(row)
        for name, default in compiled.defaults:
            # SQLAlchemy wraps an argument-less callable to take the context: no context here.
            row[name] = default.arg(None) if default.is_callable else default.arg
    values = [
        row[name] if process is None else process(row[name])
        for name, process in zip(compiled.names, compiled.processors)
    ]
    return dict(zip(compiled.keys, values)) if compiled.keys else tuple(values)


def _queues(connection) -> bool:
    """Whether `send` queues its write on this connection (see the module)."""
    return connection.dialect.driver == "psycopg" and not connection.in_nested_transaction()


def _driver_connection(connection) -> Any:
    """The DBAPI connection under the session's (a connection in use always has one)."""
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is None:
        raise RuntimeError("the session's connection has no DBAPI connection")
    return dbapi_connection


def _before(connection, cursor, sql: str, sent, many: bool):
    """What SQLAlchemy does before a statement for echo and listeners; the listeners' context."""
    if connection._echo:
        connection._log_info(sql)
        connection._log_info("[direct] %r", sent)
    if not (connection._has_events or connection.engine._has_events):
        return None
    context = SimpleNamespace(direct=True)
    connection.dispatch.before_cursor_execute(connection, cursor, sql, sent, context, many)
    return context


def _after(connection, cursor, sql: str, sent, many: bool, context) -> None:
    if context is not None:
        connection.dispatch.after_cursor_execute(connection, cursor, sql, sent, context, many)


def register(engine) -> None:
    """Send each connection's queued writes before any other statement and before its commit;
    forget them on rollback (psycopg on PostgreSQL only: elsewhere `send` executes at once)."""
    if engine.dialect.driver != "psycopg":
        return
    event.listen(engine, "before_cursor_execute", _before_statement)
    event.listen(engine, "commit", _flush)
    event.listen(engine, "rollback", _forget)
    event.listen(engine, "reset", _forget_on_reset)  # a connection back in the pool


def _before_statement(connection, cursor, _statement, _parameters, context, _many) -> None:
    if context is not None and getattr(context, "direct", False):
        return  # one of ours: the queue went before it
    try:
        _flush(connection)
    except BaseException:
        cursor.close()  # SQLAlchemy opened it for the statement that will not run now
        raise


def _forget(connection) -> None:
    # An invalidated connection (the database went away) has no queue left to forget: its info is
    # cleared when it is replaced, and asking for it now would refuse the rollback itself.
    if not connection.invalidated and not connection.closed:
        connection.connection.info.pop(_QUEUE, None)


def _forget_on_reset(_dbapi_connection, record, _state) -> None:
    record.info.pop(_QUEUE, None)


def _flush(connection) -> None:
    queue = connection.connection.info.pop(_QUEUE, None)
    if not queue:
        return
    dbapi_connection = _driver_connection(connection)
    try:
        with dbapi_connection.pipeline(), dbapi_connection.cursor() as cursor:
            for sql, values in queue:
                many = len(values) > 1
                sent = values if many else values[0]
                context = _before(connection, cursor, sql, sent, many)
                if many:
                    cursor.executemany(sql, sent)
                else:
                    cursor.execute(sql, sent)
                _after(connection, cursor, sql, sent, many, context)
    except BaseException as exc:
        # The pipeline answers at its end: the error may be any queued statement's.
        statements = ";\n".join(sql for sql, _ in queue)
        connection._handle_dbapi_exception(exc, f"pipeline of {len(queue)}:\n{statements}", None, None, None)
        raise
