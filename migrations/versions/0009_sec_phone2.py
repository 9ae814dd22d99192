"""user_sessions.ended_reason: why a session ended, so its phone knows whether to wipe its copy

`revoked` (an admin's revoke or reset, a deactivation, a move): the phone wipes its replica and drafts;
`password_changed` (the user changed their password elsewhere): it asks for a login, wiping nothing;
`logout`. Sessions ended before this revision have none and answer as revoked, as they did.

Revision ID: 0009_sec_phone2
Revises: 0009_ops_faults
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_sec_phone2"
down_revision = "0009_ops_faults"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_reason", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("ended_reason")
