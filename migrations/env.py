"""Alembic environment: the app's engine and models; batch mode so ALTERs work on SQLite too.

No logging.fileConfig here: `prepare()` runs migrations inside the app and the test suite,
and reconfiguring logging there would silence every logger already set up.
"""

from __future__ import annotations

import logging

from alembic import context
from flask import current_app

from webapp.persistence.models import UTCDateTime

log = logging.getLogger("alembic.env")
config = context.config


def render_item(type_, obj, autogen_context):
    # Revisions must not import the app: our UTCDateTime is a plain DateTime in the schema.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def skip_empty(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def run_migrations_online() -> None:
    migrate = current_app.extensions["migrate"]
    options = dict(migrate.configure_args)
    options.setdefault("process_revision_directives", skip_empty)
    with migrate.db.engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=migrate.db.metadata, render_item=render_item, **options
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run them against a database")
run_migrations_online()
