"""Organisation master data: patrol teams and their members, special areas, property companies, estates.

Revision ID: 0006_organisation
Revises: 0005_security
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_organisation'
down_revision = '0005_security'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('patrol_team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=False),
    sa.Column('street_code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('vendor', sa.String(length=200), nullable=True),
    sa.Column('contract_start', sa.Date(), nullable=True),
    sa.Column('contract_end', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('patrol_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrol_team_district_code'), ['district_code'], unique=False)

    op.create_table('patrol_team_member',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['patrol_team.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('team_id', 'user_id')
    )
    op.create_table('special_area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=False),
    sa.Column('street_code', sa.String(length=32), nullable=False),
    sa.Column('community_code', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('liaison_name', sa.String(length=100), nullable=False),
    sa.Column('liaison_phone', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('special_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_special_area_district_code'), ['district_code'], unique=False)

    op.create_table('property_company',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('property_company', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_property_company_district_code'), ['district_code'], unique=False)

    op.create_table('estate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=False),
    sa.Column('street_code', sa.String(length=32), nullable=False),
    sa.Column('community_code', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['property_company.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('estate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_estate_community_code'), ['community_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_estate_company_id'), ['company_id'], unique=False)


def downgrade():
    with op.batch_alter_table('estate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_estate_company_id'))
        batch_op.drop_index(batch_op.f('ix_estate_community_code'))

    op.drop_table('estate')
    with op.batch_alter_table('property_company', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_property_company_district_code'))

    op.drop_table('property_company')
    with op.batch_alter_table('special_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_special_area_district_code'))

    op.drop_table('special_area')
    op.drop_table('patrol_team_member')
    with op.batch_alter_table('patrol_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrol_team_district_code'))

    op.drop_table('patrol_team')
