"""Property-company accounts, estates and entrusted supervisors on projects, advisory logs.

Revision ID: 0007_participation
Revises: 0006_organisation
Create Date: 2026-12-04 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_participation'
down_revision = '0006_organisation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('property_company_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_account_property_company_id'), ['property_company_id'], unique=False)
        batch_op.create_foreign_key('fk_user_property_company', 'property_company', ['property_company_id'], ['id'])

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('estate_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('entrusted_supervisor_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_project_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_entrusted_supervisor_id'), ['entrusted_supervisor_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_project_estate', 'estate', ['estate_id'], ['id'])
        batch_op.create_foreign_key('fk_project_entrusted', 'user_account', ['entrusted_supervisor_id'], ['id'])

    op.create_table('advisory_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('visited_on', sa.String(length=10), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('concern', sa.String(length=16), nullable=False),
    sa.Column('lead_project_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['lead_project_id'], ['project.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('advisory_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advisory_log_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_advisory_log_project_id'), ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('advisory_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advisory_log_project_id'))
        batch_op.drop_index(batch_op.f('ix_advisory_log_author_id'))
    op.drop_table('advisory_log')

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_constraint('fk_project_entrusted', type_='foreignkey')
        batch_op.drop_constraint('fk_project_estate', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_project_entrusted_supervisor_id'))
        batch_op.drop_index(batch_op.f('ix_project_estate_id'))
        batch_op.drop_column('entrusted_supervisor_id')
        batch_op.drop_column('estate_id')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint('fk_user_property_company', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_user_account_property_company_id'))
        batch_op.drop_column('property_company_id')
