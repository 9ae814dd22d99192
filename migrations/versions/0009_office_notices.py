"""Difficulty assignments kept on the row (the history phones pull); a visit's snapshot when returned

Plain ALTER TABLE ADD/DROP COLUMN (SQLite ≥ 3.35 has both): a batch rebuild would drop `visits`, which other
tables reference.

Revision ID: 0009_office_notices
Revises: 0009_sec_phone2
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_office_notices"
down_revision = "0009_sec_phone2"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("difficulties", sa.Column("assignments", sa.JSON(), nullable=True))
    op.add_column("visits", sa.Column("returned_snapshot", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("visits", "returned_snapshot")
    op.drop_column("difficulties", "assignments")
