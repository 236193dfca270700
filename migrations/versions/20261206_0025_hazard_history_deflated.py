"""A hazard's own history (its list of {at, actor, status, note}) is stored deflated against the
preset dictionary like history and notice data (CompactJSON, 0021_json_deflated): bytea on
PostgreSQL, rows kept as their UTF-8 text; SQLite keeps its TEXT column. The downgrade turns every
row back into text.

Revision ID: 0025_hazard_history_deflated
Revises: 0024_notification_key_digest
Create Date: 2026-12-06 01:40:00
"""
from alembic import op

from webapp.persistence.schema import deflate_json_columns, inflate_json_columns


revision = '0025_hazard_history_deflated'
down_revision = '0024_notification_key_digest'
branch_labels = None
depends_on = None

COLUMNS = (('hazard', 'history_json'),)


def upgrade():
    deflate_json_columns(op, COLUMNS)


def downgrade():
    inflate_json_columns(op, COLUMNS)
