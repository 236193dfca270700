"""Public reports: every attempt is a row (refused ones too), with its form's nonce (sent once)
and the bytes of photos it stored (disk use per address and per day).

Revision ID: 0011_public_attempts
Revises: 0010_daily_loop
Create Date: 2026-12-05 10:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_public_attempts'
down_revision = '0010_daily_loop'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('public_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_nonce', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('stored_bytes', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_public_report_form_nonce'), ['form_nonce'])


def downgrade():
    with op.batch_alter_table('public_report', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_public_report_form_nonce'), type_='unique')
        batch_op.drop_column('stored_bytes')
        batch_op.drop_column('form_nonce')
