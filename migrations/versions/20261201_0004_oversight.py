"""Oversight: notices issued per district, public reports (rate limit), indexes for the dashboard KPIs.

Revision ID: 0004_oversight
Revises: 0003_attachments_drafts
Create Date: 2026-12-01 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_oversight'
down_revision = '0003_attachments_drafts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('number', sa.String(length=48), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=False),
    sa.Column('street_code', sa.String(length=32), nullable=False),
    sa.Column('element_id', sa.String(length=100), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('data_json', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index('ix_notice_district_kind_issued', ['district_code', 'kind', 'issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_notice_street_kind_issued', ['street_code', 'kind', 'issued_at'], unique=False)

    op.create_table('public_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ip_hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('site_reg_no', sa.String(length=40), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('public_report', schema=None) as batch_op:
        batch_op.create_index('ix_public_report_ip_at', ['ip_hash', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_public_report_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('history_event', schema=None) as batch_op:
        batch_op.create_index('ix_history_project_element_at', ['project_id', 'element_id', 'at'], unique=False)
        batch_op.create_index('ix_history_element_at', ['element_id', 'at'], unique=False)

    with op.batch_alter_table('inbox_task', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_due', ['due_at'], unique=False)

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_visit_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_project_created', ['created_at'], unique=False)
        batch_op.create_index('ix_project_district_status', ['district_code', 'status'], unique=False)
        batch_op.create_index('ix_project_street_status', ['street_code', 'status'], unique=False)
    # Projects visited before this revision: their last visit from the history.
    op.execute("UPDATE project SET last_visit_at = (SELECT max(h.at) FROM history_event h WHERE h.project_id = project.id"
               " AND h.element_id IN ('first_visit', 'patrol', 'reinspect', 'resume_check'))")



def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_street_status')
        batch_op.drop_index('ix_project_district_status')
        batch_op.drop_index('ix_project_created')
        batch_op.drop_column('last_visit_at')

    with op.batch_alter_table('inbox_task', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_due')

    with op.batch_alter_table('history_event', schema=None) as batch_op:
        batch_op.drop_index('ix_history_element_at')
        batch_op.drop_index('ix_history_project_element_at')

    with op.batch_alter_table('public_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_report_project_id'))
        batch_op.drop_index('ix_public_report_ip_at')

    op.drop_table('public_report')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_street_kind_issued')
        batch_op.drop_index(batch_op.f('ix_notice_project_id'))
        batch_op.drop_index('ix_notice_district_kind_issued')

    op.drop_table('notice')
