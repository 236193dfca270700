"""District variants of a process and rollbacks: a version's line, and content deployed again.

Revision ID: 0016_district_variants
Revises: 0015_notice_templates
Create Date: 2026-12-05 16:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016_district_variants'
down_revision = '0015_notice_templates'
branch_labels = None
depends_on = None

# The initial revision left the content hash's unique constraint unnamed: SQLite reflects it
# nameless (batch mode names it by this convention), PostgreSQL named it <table>_<column>_key.
_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_name() -> str:
    if op.get_bind().dialect.name == "postgresql":
        return "process_version_content_hash_key"
    return "uq_process_version_content_hash"


def upgrade():
    with op.batch_alter_table('process_version', schema=None, naming_convention=_CONVENTION) as batch_op:
        batch_op.drop_constraint(_unique_name(), type_='unique')
        batch_op.add_column(sa.Column('district_code', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_process_version_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_version_district_code'), ['district_code'], unique=False)


def downgrade():
    with op.batch_alter_table('process_version', schema=None, naming_convention=_CONVENTION) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_version_district_code'))
        batch_op.drop_index(batch_op.f('ix_process_version_content_hash'))
        batch_op.drop_column('district_code')
        batch_op.create_unique_constraint(_unique_name(), ['content_hash'])
