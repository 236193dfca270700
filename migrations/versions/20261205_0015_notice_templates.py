"""Notices stored as their data, number and template version, rendered on demand.

A new notice keeps no HTML (a registration receipt's was ~7.5 KB, mostly its QR code); notices
issued before keep theirs and are served from it, so nothing issued changes.

Revision ID: 0015_notice_templates
Revises: 0014_rule_withdrawal
Create Date: 2026-12-05 16:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_notice_templates'
down_revision = '0014_rule_withdrawal'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_version', sa.SmallInteger(), nullable=True))
        batch_op.alter_column('html', existing_type=sa.Text(), nullable=True)


def downgrade():
    # Notices rendered on demand have no stored HTML to go back to: render them before downgrading.
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.alter_column('html', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('template_version')
