"""ID numbers unique per holder, not globally: flagged duplicates, the checks a user made; who sent an attachment

A number registered outside a writer's scope is accepted and flagged (a refusal would tell the writer the
number exists): `recipients.id_number_shared` marks such a holder, and the unique index now covers only
the unshared one. `duplicate_flags` lists them for the office, `id_number_checks` counts the full numbers
each user sent (the hourly limit), `attachment_uploaders` every user who sent an attachment's bytes.

Revision ID: 0007
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None

UNSHARED = sa.text("NOT id_number_shared")


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite rebuilds a table to drop a constraint: DROP TABLE of a table others reference fails while
    foreign keys are enforced, and the pragma only changes outside a transaction (SQLite's documented
    12-step ALTER TABLE procedure), so the migration's transaction is committed around it."""
    raw = op.get_bind().connection.dbapi_connection
    raw.execute("COMMIT")
    raw.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    raw.execute("BEGIN IMMEDIATE")


def _rebuild_recipients(upgrade: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(False)
    with op.batch_alter_table("recipients", recreate="always" if sqlite else "auto") as batch_op:
        if upgrade:
            batch_op.drop_constraint("uq_recipients_id_number", type_="unique")
            batch_op.add_column(sa.Column("id_number_shared", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
        else:
            batch_op.drop_column("id_number_shared")
            batch_op.create_unique_constraint("uq_recipients_id_number", ["id_number"])
    if sqlite:
        problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")
        _sqlite_foreign_keys(True)


def upgrade():
    _rebuild_recipients(upgrade=True)
    op.create_index("ix_recipients_id_number", "recipients", ["id_number"])
    op.create_index("uq_recipients_id_number_unshared", "recipients", ["id_number"], unique=True,
                    sqlite_where=UNSHARED, postgresql_where=UNSHARED)

    op.create_table(
        "duplicate_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.String(length=36), nullable=False),
        sa.Column("other_recipient_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"],
                                name=op.f("fk_duplicate_flags_recipient_id_recipients")),
        sa.ForeignKeyConstraint(["other_recipient_id"], ["recipients.id"],
                                name=op.f("fk_duplicate_flags_other_recipient_id_recipients")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_duplicate_flags_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_flags")),
        sa.UniqueConstraint("recipient_id", "other_recipient_id",
                            name="uq_duplicate_flags_recipient_id_other_recipient_id"),
    )
    op.create_index("ix_duplicate_flags_recipient_id", "duplicate_flags", ["recipient_id"])
    op.create_index("ix_duplicate_flags_other_recipient_id", "duplicate_flags", ["other_recipient_id"])
    op.create_index("ix_duplicate_flags_created_at", "duplicate_flags", ["created_at"])

    op.create_table(
        "id_number_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_id_number_checks")),
    )
    op.create_index("ix_id_number_checks_user_at", "id_number_checks", ["user_id", "at"])

    op.create_table(
        "attachment_uploaders",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["attachments.sha256"],
                                name=op.f("fk_attachment_uploaders_sha256_attachments")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_attachment_uploaders_user_id_users")),
        sa.PrimaryKeyConstraint("sha256", "user_id", name=op.f("pk_attachment_uploaders")),
    )
    op.create_index("ix_attachment_uploaders_user_id", "attachment_uploaders", ["user_id"])
    # Who uploaded each attachment so far may still name it.
    op.execute("INSERT INTO attachment_uploaders (sha256, user_id, created_at) "
               "SELECT sha256, uploader_id, created_at FROM attachments")


def downgrade():
    op.drop_index("ix_attachment_uploaders_user_id", table_name="attachment_uploaders")
    op.drop_table("attachment_uploaders")
    op.drop_index("ix_id_number_checks_user_at", table_name="id_number_checks")
    op.drop_table("id_number_checks")
    op.drop_index("ix_duplicate_flags_created_at", table_name="duplicate_flags")
    op.drop_index("ix_duplicate_flags_other_recipient_id", table_name="duplicate_flags")
    op.drop_index("ix_duplicate_flags_recipient_id", table_name="duplicate_flags")
    op.drop_table("duplicate_flags")
    shared = op.get_bind().execute(sa.text("SELECT count(*) FROM recipients WHERE id_number_shared")).scalar()
    if shared:
        # Going back would have to erase an ID number someone entered: resolve the duplicates first.
        raise RuntimeError(f"{shared} recipients share an ID number with another; merge or correct them first")
    op.drop_index("uq_recipients_id_number_unshared", table_name="recipients")
    op.drop_index("ix_recipients_id_number", table_name="recipients")
    _rebuild_recipients(upgrade=False)
