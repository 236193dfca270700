"""Late registrations (补登记), owner claim codes, and tasks barred to the one who made the entry.

Revision ID: 0013_owner_side
Revises: 0012_hazards
Create Date: 2026-12-05 09:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_owner_side'
down_revision = '0012_hazards'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_registration', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('claim_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('inbox_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('barred_user_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('inbox_task', schema=None) as batch_op:
        batch_op.drop_column('barred_user_id')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claim_code')
        batch_op.drop_column('late_registration')
