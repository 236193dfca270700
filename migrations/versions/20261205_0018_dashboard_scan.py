"""Dashboard: the project scan indexes hold every column the scan counts; waiting registrations by form.

The status/stage indexes gain channel and late_registration, so the registration-coverage figures
are counted in the same pass over the index instead of reading every project row; overdue projects
are counted from the inbox alone, with covering indexes for the city, a district and a street; the
inbox gets an index on (form_key, project_id) for the sites waiting for their registration.

Revision ID: 0018_dashboard_scan
Revises: 0017_integration
Create Date: 2026-12-05 16:45:00
"""
from alembic import op


revision = '0018_dashboard_scan'
down_revision = '0017_integration'
branch_labels = None
depends_on = None

SCAN = ['status', 'stage', 'category', 'channel', 'late_registration']
OLD = ['status', 'stage', 'category']


def _project_indexes(columns):
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_status')
        batch_op.drop_index('ix_project_district_status_stage')
        batch_op.drop_index('ix_project_street_status_stage')
        batch_op.create_index('ix_project_status', columns, unique=False)
        batch_op.create_index('ix_project_district_status_stage', ['district_code', *columns], unique=False)
        batch_op.create_index('ix_project_street_status_stage', ['street_code', *columns], unique=False)


def _inbox_due(columns):
    with op.batch_alter_table('inbox_task', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_due_project')
        batch_op.create_index('ix_inbox_due_project', columns, unique=False)


def upgrade():
    _project_indexes(SCAN)
    _inbox_due(['due_at', 'project_id', 'claimed_by_id', 'district_code', 'street_code'])
    with op.batch_alter_table('inbox_task', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_form_project', ['form_key', 'project_id'], unique=False)
        batch_op.create_index('ix_inbox_district_due',
                              ['district_code', 'due_at', 'street_code', 'project_id', 'claimed_by_id'], unique=False)
        batch_op.create_index('ix_inbox_street_due', ['street_code', 'due_at', 'project_id', 'claimed_by_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('inbox_task', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_street_due')
        batch_op.drop_index('ix_inbox_district_due')
        batch_op.drop_index('ix_inbox_form_project')
    _inbox_due(['due_at', 'project_id', 'claimed_by_id'])
    _project_indexes(OLD)
