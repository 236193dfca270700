"""The property company a project counts for, fixed when the project starts.

Revision ID: 0009_project_company
Revises: 0008_dashboard_indexes
Create Date: 2026-12-04 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_project_company'
down_revision = '0008_dashboard_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('property_company_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_project_property_company_id'), ['property_company_id'], unique=False)
        batch_op.create_foreign_key('fk_project_property_company', 'property_company', ['property_company_id'],
                                    ['id'])


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_constraint('fk_project_property_company', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_project_property_company_id'))
        batch_op.drop_column('property_company_id')
