"""History indexes: no index on project_id alone, a partial one on task_id.

A project's rows are found by ix_history_project_element_at, whose first column is project_id, so
ix_history_event_project_id only repeated it. ix_history_event_task_id held an entry for every
system step (task_id NULL) although only a task's rows are ever looked up by it.

Revision ID: 0020_history_indexes
Revises: 0019_state_compressed
Create Date: 2026-12-06 00:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0020_history_indexes'
down_revision = '0019_state_compressed'
branch_labels = None
depends_on = None

WITH_TASK = sa.text('task_id IS NOT NULL')


def upgrade():
    op.drop_index('ix_history_event_project_id', table_name='history_event')
    op.drop_index('ix_history_event_task_id', table_name='history_event')
    op.create_index('ix_history_event_task_id', 'history_event', ['task_id'], unique=False,
                    sqlite_where=WITH_TASK, postgresql_where=WITH_TASK)


def downgrade():
    op.drop_index('ix_history_event_task_id', table_name='history_event')
    op.create_index('ix_history_event_task_id', 'history_event', ['task_id'], unique=False)
    op.create_index('ix_history_event_project_id', 'history_event', ['project_id'], unique=False)
