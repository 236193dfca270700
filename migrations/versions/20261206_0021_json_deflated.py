"""History and notice data are stored deflated against a preset dictionary (CompactJSON): bytea
on PostgreSQL (SQLite keeps its TEXT columns, which hold the BLOB as it is). Rows written before
stay plain JSON text, which CompactJSON reads as it is; the downgrade turns every row back into
plain text.

Revision ID: 0021_json_deflated
Revises: 0020_history_indexes
Create Date: 2026-12-06 01:00:00
"""
from alembic import op

from webapp.persistence.schema import deflate_json_columns, inflate_json_columns


revision = '0021_json_deflated'
down_revision = '0020_history_indexes'
branch_labels = None
depends_on = None

COLUMNS = (('history_event', 'data_json'), ('notice', 'data_json'))


def upgrade():
    deflate_json_columns(op, COLUMNS)


def downgrade():
    inflate_json_columns(op, COLUMNS)
