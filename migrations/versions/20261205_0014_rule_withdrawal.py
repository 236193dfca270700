"""Scheduled district rule versions withdrawn or replaced before they take effect.

Revision ID: 0014_rule_withdrawal
Revises: 0013_owner_side
Create Date: 2026-12-05 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_rule_withdrawal'
down_revision = '0013_owner_side'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'district_rule_withdrawal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('district_code', sa.String(length=32), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('replaced_by', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('author', sa.String(length=64), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name='fk_rule_withdrawal_author'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('district_code', 'version', name='uq_rule_withdrawal_version'),
    )


def downgrade():
    op.drop_table('district_rule_withdrawal')
