"""External tasks, inbound messages, and the scopes of integration clients and their tokens.

Revision ID: 0017_integration
Revises: 0016_district_variants
Create Date: 2026-12-05 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_integration'
down_revision = '0016_district_variants'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'external_task',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('element_id', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('topic', sa.String(length=100), nullable=False),
        sa.Column('district_code', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('worker_id', sa.String(length=64), nullable=True),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('retries', sa.Integer(), nullable=True),
        sa.Column('error_message', sa.String(length=2000), nullable=True),
        sa.Column('failed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name='fk_external_task_instance'),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name='fk_external_task_project'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_external_task_instance_id', 'external_task', ['instance_id'])
    op.create_index('ix_external_task_project_id', 'external_task', ['project_id'])
    op.create_index('ix_external_task_topic_status', 'external_task', ['topic', 'status', 'locked_until'])
    op.create_table(
        'inbound_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('correlation_key', sa.String(length=100), nullable=True),
        sa.Column('sender_id', sa.Integer(), nullable=True),
        sa.Column('project_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('data_json', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['sender_id'], ['user_account.id'], name='fk_inbound_message_sender'),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name='fk_inbound_message_project'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_inbound_message_project_id', 'inbound_message', ['project_id'])
    op.create_index('ix_inbound_message_name_key', 'inbound_message', ['name', 'correlation_key'])
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('scopes', sa.String(length=500), nullable=True))
    with op.batch_alter_table('api_token') as batch:
        batch.add_column(sa.Column('scopes', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('api_token') as batch:
        batch.drop_column('scopes')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('scopes')
    op.drop_index('ix_inbound_message_name_key', table_name='inbound_message')
    op.drop_index('ix_inbound_message_project_id', table_name='inbound_message')
    op.drop_table('inbound_message')
    op.drop_index('ix_external_task_topic_status', table_name='external_task')
    op.drop_index('ix_external_task_project_id', table_name='external_task')
    op.drop_index('ix_external_task_instance_id', table_name='external_task')
    op.drop_table('external_task')
