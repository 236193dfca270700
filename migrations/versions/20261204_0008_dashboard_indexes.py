"""Dashboard indexes: each aggregate of services.dashboard answered from one covering index.

Revision ID: 0008_dashboard_indexes
Revises: 0007_participation
Create Date: 2026-12-04 16:00:00
"""
from alembic import op


revision = '0008_dashboard_indexes'
down_revision = '0007_participation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inbox_task', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_due')
        batch_op.create_index('ix_inbox_due_project', ['due_at', 'project_id', 'claimed_by_id'], unique=False)

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_created')
        batch_op.drop_index('ix_project_district_status')
        batch_op.drop_index('ix_project_street_status')
        batch_op.create_index('ix_project_created_channel', ['created_at', 'channel', 'district_code', 'street_code'],
                              unique=False)
        batch_op.create_index('ix_project_status', ['status', 'stage', 'category'], unique=False)
        batch_op.create_index('ix_project_district_status_stage', ['district_code', 'status', 'stage', 'category'],
                              unique=False)
        batch_op.create_index('ix_project_street_status_stage', ['street_code', 'status', 'stage', 'category'],
                              unique=False)
        batch_op.create_index('ix_project_patrol', ['closed_at', 'stage', 'district_code', 'street_code', 'category',
                                                    'risk_level', 'last_visit_at', 'created_at'], unique=False)

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index('ix_notice_kind_issued', ['kind', 'issued_at', 'project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_kind_issued')

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_patrol')
        batch_op.drop_index('ix_project_street_status_stage')
        batch_op.drop_index('ix_project_district_status_stage')
        batch_op.drop_index('ix_project_status')
        batch_op.drop_index('ix_project_created_channel')
        batch_op.create_index('ix_project_street_status', ['street_code', 'status'], unique=False)
        batch_op.create_index('ix_project_district_status', ['district_code', 'status'], unique=False)
        batch_op.create_index('ix_project_created', ['created_at'], unique=False)

    with op.batch_alter_table('inbox_task', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_due_project')
        batch_op.create_index('ix_inbox_due', ['due_at'], unique=False)
