"""database_meta with the database's epoch: a random id a restore replaces, carried by every sync cursor

Revision ID: 0006
Revises: 0003
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    meta = op.create_table(
        "database_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_database_meta")),
    )
    # Made here, once per database: every cursor a phone holds from now on carries it (services/sync/cursors.py).
    op.bulk_insert(meta, [{"key": "epoch", "value": uuid.uuid4().hex}])


def downgrade():
    op.drop_table("database_meta")
