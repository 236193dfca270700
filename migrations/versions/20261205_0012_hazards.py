"""Hazards as records, notices' service records, the issuer's legal name, next patrol and open
hazards on the ledger.

Revision ID: 0012_hazards
Revises: 0011_public_attempts
Create Date: 2026-12-05 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_hazards'
down_revision = '0011_public_attempts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'hazard',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('ref', sa.String(length=8), nullable=False),
        sa.Column('item_code', sa.String(length=8), nullable=True),
        sa.Column('item_text', sa.String(length=300), nullable=False),
        sa.Column('severity', sa.String(length=8), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('photos_json', sa.Text(), nullable=False),
        sa.Column('location', sa.String(length=200), nullable=True),
        sa.Column('found_by', sa.String(length=80), nullable=False),
        sa.Column('found_at', sa.DateTime(), nullable=False),
        sa.Column('found_in', sa.String(length=100), nullable=True),
        sa.Column('deadline_at', sa.DateTime(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('extensions', sa.Integer(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('history_json', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('project_id', 'ref', name='uq_hazard_project_ref'),
    )
    op.create_index('ix_hazard_project_status', 'hazard', ['project_id', 'status'], unique=False)
    op.create_index('ix_hazard_status_found', 'hazard', ['status', 'found_at'], unique=False)
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_hazards', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_patrol_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_name', sa.String(length=100), nullable=True))
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('served_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('service_method', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('served_to', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('service_photos_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('service_note', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('served_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_notice_served_by', 'user_account', ['served_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_constraint('fk_notice_served_by', type_='foreignkey')
        for column in ('served_by_id', 'service_note', 'service_photos_json', 'served_to', 'service_method',
                       'served_at'):
            batch_op.drop_column(column)
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.drop_column('legal_name')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('next_patrol_at')
        batch_op.drop_column('open_hazards')
    op.drop_index('ix_hazard_status_found', table_name='hazard')
    op.drop_index('ix_hazard_project_status', table_name='hazard')
    op.drop_table('hazard')
