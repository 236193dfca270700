"""Notification keys are stored as a digest of the event's key and the user
(services.notifications.centre.stored_key): 22 characters instead of ~45, in each row and in the
unique index over them. Existing keys are turned into their digests, so a replay of an event
notified before still finds its row. The downgrade cannot give the keys back (a digest is one
way): it leaves them as digests, which stay unique.

Revision ID: 0024_notification_key_digest
Revises: 0023_sqlite_micros
Create Date: 2026-12-06 01:35:00
"""
import base64
import hashlib

from alembic import op
import sqlalchemy as sa


revision = '0024_notification_key_digest'
down_revision = '0023_sqlite_micros'
branch_labels = None
depends_on = None


def _digest(key: str) -> str:
    return base64.urlsafe_b64encode(hashlib.blake2b(key.encode(), digest_size=16).digest()).decode().rstrip("=")


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, key FROM notification")).all()
    # A plain key is "<kind>:<object>:<user id>"; a digest has no colon.
    changed = [{"id": row_id, "key": _digest(key)} for row_id, key in rows if ":" in key]
    for start in range(0, len(changed), 1000):
        bind.execute(sa.text("UPDATE notification SET key = :key WHERE id = :id"), changed[start:start + 1000])


def downgrade():
    pass
