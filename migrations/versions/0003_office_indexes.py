"""indexes for the office console at county scale (bench/office.py): newest-first lists by date, status, author

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_visits_author_id", table_name="visits")
    op.drop_index("ix_visits_status", table_name="visits")
    op.create_index("ix_visits_visited_recipient", "visits", ["visited_at", "recipient_id"])
    op.create_index("ix_visits_status_visited", "visits", ["status", "visited_at"])
    op.create_index("ix_visits_author_visited", "visits", ["author_id", "visited_at"])
    op.create_index("ix_difficulties_due_created", "difficulties", ["due_date", "created_at"])
    op.create_index("ix_difficulties_created", "difficulties", ["created_at"])
    op.create_index("ix_difficulties_resolved", "difficulties", ["resolved_at"])


def downgrade():
    op.drop_index("ix_difficulties_resolved", table_name="difficulties")
    op.drop_index("ix_difficulties_created", table_name="difficulties")
    op.drop_index("ix_difficulties_due_created", table_name="difficulties")
    op.drop_index("ix_visits_author_visited", table_name="visits")
    op.drop_index("ix_visits_status_visited", table_name="visits")
    op.drop_index("ix_visits_visited_recipient", table_name="visits")
    op.create_index("ix_visits_status", "visits", ["status"])
    op.create_index("ix_visits_author_id", "visits", ["author_id"])
