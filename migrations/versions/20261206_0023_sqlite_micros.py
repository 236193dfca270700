"""SQLite keeps every moment as an integer of microseconds since 1970 UTC (persistence.models
UTCDateTime): 8 bytes instead of the 26 of '2026-12-01 01:00:00.000000', in each row and each index
entry over it. Every such column of every table is converted here; PostgreSQL keeps its timestamp
columns as they are.

Revision ID: 0023_sqlite_micros
Revises: 0022_outbox_reference
Create Date: 2026-12-06 01:30:00
"""
from alembic import op


revision = '0023_sqlite_micros'
down_revision = '0022_outbox_reference'
branch_labels = None
depends_on = None

# The UTCDateTime columns at this revision.
COLUMNS = {
    'advisory_log': ('at',),
    'api_token': ('created_at', 'expires_at', 'revoked_at'),
    'attachment': ('created_at',),
    'audit_event': ('at',),
    'comment': ('created_at',),
    'delivery_attempt': ('at',),
    'district_rule_version': ('effective_from', 'created_at'),
    'district_rule_withdrawal': ('created_at',),
    'external_task': ('created_at', 'locked_until', 'failed_at'),
    'hazard': ('found_at', 'deadline_at', 'closed_at'),
    'history_event': ('at',),
    'idempotent_request': ('created_at',),
    'inbound_message': ('at',),
    'inbox_task': ('due_at', 'created_at'),
    'login_failure': ('at',),
    'notice': ('issued_at', 'served_at'),
    'notification': ('created_at', 'read_at'),
    'outbox_message': ('not_before', 'locked_until', 'created_at', 'sent_at'),
    'patrol_team': ('updated_at',),
    'process_instance': ('updated_at',),
    'process_version': ('created_at',),
    'project': ('created_at', 'updated_at', 'closed_at', 'last_visit_at', 'next_patrol_at', 'claimed_at'),
    'property_company': ('updated_at',),
    'public_report': ('at',),
    'special_area': ('updated_at',),
    'stand_in': ('starts', 'ends', 'created_at', 'cancelled_at'),
    'task_draft': ('updated_at',),
    'task_reminder': ('at',),
    'timer_job': ('due_at', 'locked_until'),
}

# 'YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]' as SQLAlchemy and sqlite3 wrote them: seconds from
# strftime, the fraction from its six digits (none: 0).
TO_MICROS = ("CAST(strftime('%s', {c}) AS INTEGER) * 1000000 "
             "+ CASE WHEN substr({c}, 20, 1) = '.' THEN CAST(substr({c}, 21, 6) AS INTEGER) ELSE 0 END")
TO_TEXT = ("strftime('%Y-%m-%d %H:%M:%S', {c} / 1000000, 'unixepoch') || '.' || printf('%06d', {c} % 1000000)")


def _convert(expression: str, stored_as: str) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.execute(f"UPDATE {table} SET {column} = {expression.format(c=column)} "
                       f"WHERE typeof({column}) = '{stored_as}'")


def upgrade():
    _convert(TO_MICROS, 'text')


def downgrade():
    _convert(TO_TEXT, 'integer')
