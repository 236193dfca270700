"""Instance states are stored compressed: bytea on PostgreSQL (SQLite keeps its TEXT column,
which holds the compressed BLOB as it is). Existing states stay plain JSON until their next step
rewrites them; persistence.models.StateDocument reads both.

Revision ID: 0019_state_compressed
Revises: 0018_dashboard_scan
Create Date: 2026-12-05 17:20:00
"""
import zlib

from alembic import op
import sqlalchemy as sa


revision = '0019_state_compressed'
down_revision = '0018_dashboard_scan'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE process_instance ALTER COLUMN state TYPE bytea USING convert_to(state, 'UTF8')")


def downgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, state FROM process_instance")).all()
    plain = [{"id": row_id, "state": _plain(state)} for row_id, state in rows if not isinstance(state, str)]
    if bind.dialect.name == 'postgresql':
        op.execute("ALTER TABLE process_instance ALTER COLUMN state TYPE text USING ''")
    if plain:
        bind.execute(sa.text("UPDATE process_instance SET state = :state WHERE id = :id"), plain)


def _plain(stored) -> str:
    stored = bytes(stored)
    return (stored if stored[:1] == b"{" else zlib.decompress(stored)).decode()
