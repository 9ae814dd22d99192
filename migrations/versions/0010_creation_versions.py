"""A version of the evaluation standard keeps what it changed against the one before (its change record);
an item names the previous version's item whose work it carries on

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
    op.add_column("creation_items", sa.Column("previous_item_id", sa.String(length=36), nullable=True))
    op.create_index(op.f("ix_creation_items_previous_item_id"), "creation_items", ["previous_item_id"])


def downgrade():
    op.drop_index(op.f("ix_creation_items_previous_item_id"), table_name="creation_items")
    op.drop_column("creation_items", "previous_item_id")
    op.drop_column("creation_standards", "changes")
