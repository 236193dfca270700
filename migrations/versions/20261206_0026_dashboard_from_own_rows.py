"""Dashboard figures from the rows they count: a write-off notice keeps its project's planned end as
issued (the write-off figures read the notices alone, no project per notice), and the indexes hold every
column those counts read: notices by kind/district/street and period with their project, district
and planned end; rectification steps by element and time with their project; overdue tasks by
street with their district.

Revision ID: 0026_dashboard_from_own_rows
Revises: 0025_hazard_history_deflated
Create Date: 2026-12-06 03:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0026_dashboard_from_own_rows'
down_revision = '0025_hazard_history_deflated'
branch_labels = None
depends_on = None

NOTICE = {
    'ix_notice_kind_issued': (['kind', 'issued_at', 'project_id', 'district_code', 'planned_end'],
                              ['kind', 'issued_at', 'project_id']),
    'ix_notice_district_kind_issued': (['district_code', 'kind', 'issued_at', 'project_id', 'planned_end'],
                                       ['district_code', 'kind', 'issued_at']),
    'ix_notice_street_kind_issued': (['street_code', 'kind', 'issued_at', 'project_id', 'district_code', 'planned_end'],
                                     ['street_code', 'kind', 'issued_at']),
}
HISTORY = (['element_id', 'at', 'project_id'], ['element_id', 'at'])
INBOX = (['street_code', 'due_at', 'project_id', 'claimed_by_id', 'district_code'],
         ['street_code', 'due_at', 'project_id', 'claimed_by_id'])


def _indexes(table, indexes, which):
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, columns in indexes.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns[which], unique=False)


def upgrade():
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_end', sa.String(length=10), nullable=True))
    op.execute(
        "UPDATE notice SET planned_end = (SELECT project.planned_end FROM project WHERE project.id = notice.project_id)"
        " WHERE kind = 'writeoff'"
    )
    _indexes('notice', NOTICE, 0)
    _indexes('history_event', {'ix_history_element_at': HISTORY}, 0)
    _indexes('inbox_task', {'ix_inbox_street_due': INBOX}, 0)


def downgrade():
    _indexes('inbox_task', {'ix_inbox_street_due': INBOX}, 1)
    _indexes('history_event', {'ix_history_element_at': HISTORY}, 1)
    _indexes('notice', NOTICE, 1)
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('planned_end')
