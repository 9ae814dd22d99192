"""A version of the evaluation standard keeps what it changed against the one before (its change record)

Plain ALTER TABLE ADD/DROP COLUMN, as 0009_office_notices.

Revision ID: 0010_creation_versions
Revises: 0009_office_notices
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_creation_versions"
down_revision = "0009_office_notices"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("creation_standards", sa.Column("changes", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("creation_standards", "changes")
