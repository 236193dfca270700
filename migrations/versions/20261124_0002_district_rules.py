"""District implementation rules: one immutable row per saved version.

Revision ID: 0002_district_rules
Revises: 0001_initial
Create Date: 2026-11-24 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_district_rules'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('district_rule_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('values_json', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('district_code', 'version')
    )
    with op.batch_alter_table('district_rule_version', schema=None) as batch_op:
        batch_op.create_index('ix_district_rule_effective', ['district_code', 'effective_from'], unique=False)


def downgrade():
    with op.batch_alter_table('district_rule_version', schema=None) as batch_op:
        batch_op.drop_index('ix_district_rule_effective')

    op.drop_table('district_rule_version')
