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


def deflate_json_columns(op, columns) -> None:
    """Migration step: these (table, column) pairs become CompactJSON (models.CompactJSON), bytea on
    PostgreSQL with each row kept as its UTF-8 text; SQLite keeps its TEXT columns as they are."""
    if op.get_bind().dialect.name == "postgresql":
        for table, column in columns:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bytea USING convert_to({column}, 'UTF8')")


def inflate_json_columns(op, columns) -> None:
    """The downgrade of deflate_json_columns: every row plain JSON text again (PostgreSQL: text)."""
    from sqlalchemy import text

    from .models import unpack_json

    bind = op.get_bind()
    for table, column in columns:
        rows = bind.execute(text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
        plain = [{"id": row_id, "value": unpack_json(value)} for row_id, value in rows if not isinstance(value, str)]
        if bind.dialect.name == "postgresql":
            op.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} TYPE text "
                f"USING CASE WHEN {column} IS NULL THEN NULL ELSE '' END"
            )
        if plain:
            bind.execute(text(f"UPDATE {table} SET {column} = :value WHERE id = :id"), plain)
