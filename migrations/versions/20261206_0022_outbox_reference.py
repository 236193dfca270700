"""Outbound messages read their subject and body from their notification; no index on
outbox_message.notification_id alone (the unique (notification_id, channel) starts with it).

subject and body become nullable: a message written from now on leaves them empty, one written
before keeps its copy (services.notifications.centre.message_text reads both). A notification
of a task leaves its link empty: it is the task's page (centre.link_of).

Revision ID: 0022_outbox_reference
Revises: 0021_json_deflated
Create Date: 2026-12-06 01:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0022_outbox_reference'
down_revision = '0021_json_deflated'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_notification_id')
        batch_op.alter_column('subject', existing_type=sa.String(length=200), nullable=True)
        batch_op.alter_column('body', existing_type=sa.String(length=1000), nullable=True)


def downgrade():
    kinds = {"new_task": "新待办", "handover": "移交待接收", "due_soon": "即将到期", "overdue": "已逾期",
             "escalation": "督办", "notice": "文书送达", "mention": "有人提到你", "comment": "新留言"}
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT o.id, n.kind, n.title, n.body FROM outbox_message o JOIN notification n ON n.id = o.notification_id "
        "WHERE o.subject IS NULL")).all()
    if rows:
        bind.execute(sa.text("UPDATE outbox_message SET subject = :subject, body = :body WHERE id = :id"), [
            {"id": row_id, "subject": f"【{kinds.get(kind, kind)}】{title}"[:200], "body": (body or title)[:1000]}
            for row_id, kind, title, body in rows])
    bind.execute(sa.text("UPDATE notification SET link = '/tasks/' || task_id WHERE link IS NULL AND task_id IS NOT NULL"))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('body', existing_type=sa.String(length=1000), nullable=False)
        batch_op.alter_column('subject', existing_type=sa.String(length=200), nullable=False)
        batch_op.create_index('ix_outbox_message_notification_id', ['notification_id'], unique=False)
