"""History and notice data are stored deflated against a preset dictionary (CompactJSON): bytea
on PostgreSQL (SQLite keeps its TEXT columns, which hold the BLOB as it is). Rows written before
stay plain JSON text, which CompactJSON reads as it is; the downgrade turns every row back into
plain text.

Revision ID: 0021_json_deflated
Revises: 0020_history_indexes
Create Date: 2026-12-06 01:00:00
"""
import zlib

from alembic import op
import sqlalchemy as sa


revision = '0021_json_deflated'
down_revision = '0020_history_indexes'
branch_labels = None
depends_on = None

COLUMNS = (('history_event', 'data_json'), ('notice', 'data_json'))


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table, column in COLUMNS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bytea USING convert_to({column}, 'UTF8')")


def downgrade():
    bind = op.get_bind()
    for table, column in COLUMNS:
        rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
        plain = [{"id": row_id, "value": _plain(value)} for row_id, value in rows if not isinstance(value, str)]
        if bind.dialect.name == 'postgresql':
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE text "
                       f"USING CASE WHEN {column} IS NULL THEN NULL ELSE '' END")
        if plain:
            bind.execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"), plain)


def _plain(stored) -> str:
    from webapp.persistence.json_dictionary import V1  # frozen: the rows name it by their first byte

    stored = bytes(stored)
    if stored[:1] != b'\x01':
        return stored.decode()
    inflate = zlib.decompressobj(-15, zdict="\n".join(V1).encode())
    return (inflate.decompress(stored[1:]) + inflate.flush()).decode()
