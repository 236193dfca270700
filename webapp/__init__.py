"""create_app(config): configuration, extensions, blueprints, commands; nothing else."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, jsonify
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from .config import Config
from .persistence import direct
from .persistence.models import db


def create_app(config: Config | None = None, **overrides) -> Flask:
    app = Flask(__name__, instance_path=(config or Config()).INSTANCE_DIR)
    app.config.from_object(config or Config(**overrides))
    from . import converters

    proxies = app.config["TRUSTED_PROXIES"]
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    from .domain import sandbox_pool

    sandbox_pool.configure(app.config["SANDBOX_PROCESSES"], app.config["SANDBOX_MEMORY_MB"])

    converters.init_app(app)
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    from .persistence import schema

    schema.init_app(app)
    with app.app_context():
        _tune_sqlite(db.engine)
        direct.register(db.engine)

    from . import api, json_limits

    json_limits.init_app(app)
    api.init_app(app)

    from . import web

    web.init_app(app)

    from . import access
    from .persistence import models, security
    from .services.security import audit

    # Every listener the app has, here: the append-only guards, and the audit of rule versions and
    # of history rows added through the session (a step writes its own audit rows).
    models.register_guards()
    security.register_guards()
    audit.register_listeners()

    access.init_app(app)  # after web: a form without its CSRF token is refused before anything else

    @app.get("/healthz")
    def healthz():
        db.session.execute(text("SELECT 1"))
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        """For orchestrators: 200 when this instance can serve (its database answers), else 503."""
        try:
            db.session.execute(text("SELECT 1"))
        except DBAPIError:
            _discard_session()
            return jsonify(status="unavailable", message="数据库暂时不可用 (the database is unavailable)"), 503
        return jsonify(status="ready")

    @app.teardown_appcontext
    def _close_session(_exc):
        # Runs before Flask-SQLAlchemy's own close (teardowns run last-registered first): a
        # connection that died under the request (a database restart) is dropped, not a 500.
        try:
            db.session.remove()
        except DBAPIError:
            db.session.invalidate()
            db.session.remove()

    @app.errorhandler(OperationalError)
    def database_unavailable(exc):
        # The database went away under this request (a restart, a failover): say so, and when to
        # come back, rather than an unexplained 500; pool_pre_ping reconnects the next request.
        _discard_session()
        body = {
            "code": 503,
            "status": "Service Unavailable",
            "message": "数据库暂时不可用，请稍后重试 (the database is briefly unavailable; try again)",
        }
        return jsonify(body), 503, {"Retry-After": "1"}

    from .cli import register_commands

    register_commands(app)
    return app


def _discard_session() -> None:
    """Give up the request's session after a database error; its connection may be dead too."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.invalidate()


def _sqlite_synchronous() -> str:
    import os

    value = os.environ.get("SQLITE_SYNCHRONOUS", "FULL").upper()
    if value not in ("FULL", "NORMAL", "EXTRA"):
        raise RuntimeError("SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA")
    return value


def _tune_sqlite(engine) -> None:
    """WAL lets readers run beside the single writer; busy_timeout makes writers queue, not fail.

    synchronous=FULL by default: a registration or task completion, once answered, must survive a
    power cut. SQLITE_SYNCHRONOUS=NORMAL trades that for ~1 fsync less per write (WAL stays
    consistent; only the last commits before an OS crash or power loss can be lost).
    """
    synchronous = _sqlite_synchronous()
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
