"""Difficulty assignments kept on the row (the history phones pull); a visit's snapshot when returned

Revision ID: 0009_office_notices
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_office_notices"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("difficulties") as batch:
        batch.add_column(sa.Column("assignments", sa.JSON(), nullable=True))
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("returned_snapshot", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("returned_snapshot")
    with op.batch_alter_table("difficulties") as batch:
        batch.drop_column("assignments")
