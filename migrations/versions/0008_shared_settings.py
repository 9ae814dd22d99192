"""shared_settings: the secret key and the VAPID key every host shares, in the database

Before, each host made them in its own instance folder; a second web host or a dispatcher on another machine
then signed with other keys. The first host that starts after this migration moves its instance files in
(server/keys.py), so an existing install keeps its keys and its browsers' push subscriptions.

Revision ID: 0008
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "shared_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_shared_settings")),
    )


def downgrade():
    op.drop_table("shared_settings")
