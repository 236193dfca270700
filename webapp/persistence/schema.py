"""The schema is owned by the Alembic revisions in migrations/ (Flask-Migrate), not by create_all.

`upgrade_to_head()` brings a fresh database and an existing one to the same head. A database
made before migrations existed (by create_all, at the first revision's schema) is stamped with
that first revision and then upgraded like any other.
"""
from __future__ import annotations

from flask_migrate import Migrate, stamp, upgrade
from sqlalchemy import inspect

from ..config import ROOT
from .models import db

MIGRATIONS_DIR = str(ROOT / "migrations")
BASELINE = "0001_initial"

migrate = Migrate()


def init_app(app) -> None:
    # Batch mode: SQLite cannot ALTER most things, so Alembic copies the table instead.
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)


def upgrade_to_head() -> None:
    tables = inspect(db.engine).get_table_names()
    if "alembic_version" not in tables and "project" in tables:
        stamp(MIGRATIONS_DIR, revision=BASELINE)
    upgrade(MIGRATIONS_DIR)
    db.session.remove()


def model_drift() -> list:
    """What autogenerate would write if run now: empty when models and the head revision agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, db.metadata)
