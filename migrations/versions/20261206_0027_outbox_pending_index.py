"""Outbox: index only the messages still to send.

The worker looks for pending messages by their not-before time; a sent or failed message was never
looked up by status again, yet kept an entry in ix_outbox_status_not_before for ever (a tenth of
the bytes a project's notifications leave behind). The partial index holds the pending ones.

Revision ID: 0027_outbox_pending_index
Revises: 0026_dashboard_from_own_rows
Create Date: 2026-12-06 04:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0027_outbox_pending_index'
down_revision = '0026_dashboard_from_own_rows'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    op.drop_index('ix_outbox_status_not_before', table_name='outbox_message')
    op.create_index('ix_outbox_pending_not_before', 'outbox_message', ['not_before'], unique=False,
                    sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade():
    op.drop_index('ix_outbox_pending_not_before', table_name='outbox_message')
    op.create_index('ix_outbox_status_not_before', 'outbox_message', ['status', 'not_before'], unique=False)
