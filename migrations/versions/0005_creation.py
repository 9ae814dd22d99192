"""creation campaign 创建攻坚: units, liaisons' unit, standards, categories, items, evidence, rectifications,
score history; attachments hold Office types (longer content types)

Revision ID: 0005
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "creation_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_creation_units_area_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creation_units")),
        sa.UniqueConstraint("name", name=op.f("uq_creation_units_name")),
    )
    op.create_table(
        "creation_standards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_creation_standards_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creation_standards")),
        sa.UniqueConstraint("version", name=op.f("uq_creation_standards_version")),
    )
    # One current standard: a partial unique index over the rows that are current.
    op.create_index("uq_creation_standards_current", "creation_standards", ["is_current"], unique=True,
                    sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current"))
    op.create_table(
        "creation_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["standard_id"], ["creation_standards.id"],
                                name=op.f("fk_creation_categories_standard_id_creation_standards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creation_categories")),
    )
    op.create_index(op.f("ix_creation_categories_standard_id"), "creation_categories", ["standard_id"])
    op.create_table(
        "creation_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("standard_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("evidence_required", sa.Text(), nullable=True),
        sa.Column("metric", sa.String(length=64), nullable=True),
        sa.Column("lead_unit_id", sa.Integer(), nullable=True),
        sa.Column("cooperating_unit_ids", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("milestones", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("self_score", sa.Float(), nullable=True),
        sa.Column("estimated_score", sa.Float(), nullable=True),
        sa.Column("loss_notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["creation_categories.id"],
                                name=op.f("fk_creation_items_category_id_creation_categories")),
        sa.ForeignKeyConstraint(["lead_unit_id"], ["creation_units.id"],
                                name=op.f("fk_creation_items_lead_unit_id_creation_units")),
        sa.ForeignKeyConstraint(["standard_id"], ["creation_standards.id"],
                                name=op.f("fk_creation_items_standard_id_creation_standards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creation_items")),
        sa.UniqueConstraint("standard_id", "number", name="uq_creation_items_standard_number"),
    )
    op.create_index(op.f("ix_creation_items_category_id"), "creation_items", ["category_id"])
    op.create_index(op.f("ix_creation_items_lead_unit_id"), "creation_items", ["lead_unit_id"])
    op.create_index("ix_creation_items_standard_position", "creation_items", ["standard_id", "position"])
    op.create_table(
        "creation_evidence",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("location", sa.JSON(), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["creation_items.id"],
                                name=op.f("fk_creation_evidence_item_id_creation_items")),
        sa.ForeignKeyConstraint(["reviewed_by"], ["users.id"], name=op.f("fk_creation_evidence_reviewed_by_users")),
        sa.ForeignKeyConstraint(["sha256"], ["attachments.sha256"],
                                name=op.f("fk_creation_evidence_sha256_attachments")),
        sa.ForeignKeyConstraint(["unit_id"], ["creation_units.id"],
                                name=op.f("fk_creation_evidence_unit_id_creation_units")),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"], name=op.f("fk_creation_evidence_uploaded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creation_evidence")),
    )
    op.create_index("ix_creation_evidence_item_status", "creation_evidence", ["item_id", "status"])
    op.create_index("ix_creation_evidence_created", "creation_evidence", ["created_at"])
    op.create_index(op.f("ix_creation_evidence_unit_id"), "creation_evidence", ["unit_id"])
    op.create_index(op.f("ix_creation_evidence_sha256"), "creation_evidence", ["sha256"])
    op.create_table(
        "creation_rectifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["closed_by"], ["users.id"], name=op.f("fk_creation_rectifications_closed_by_users")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"],
                                name=op.f("fk_creation_rectifications_created_by_users")),
        sa.ForeignKeyConstraint(["item_id"], ["creation_items.id"],
                                name=op.f("fk_creation_rectifications_item_id_creation_items")),
        sa.ForeignKeyConstraint(["unit_id"], ["creation_units.id"],
                                name=op.f("fk_creation_rectifications_unit_id_creation_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creation_rectifications")),
    )
    op.create_index(op.f("ix_creation_rectifications_item_id"), "creation_rectifications", ["item_id"])
    op.create_index(op.f("ix_creation_rectifications_unit_id"), "creation_rectifications", ["unit_id"])
    op.create_index("ix_creation_rectifications_status_deadline", "creation_rectifications",
                    ["status", "deadline"])
    op.create_table(
        "creation_score_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("estimated_total", sa.Float(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["standard_id"], ["creation_standards.id"],
                                name=op.f("fk_creation_score_history_standard_id_creation_standards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creation_score_history")),
        sa.UniqueConstraint("standard_id", "week", name="uq_creation_score_history_week"),
    )
    # A liaison's unit. SQLite adds a nullable column with its REFERENCES clause in place (no table rebuild,
    # so nothing referencing users is touched); PostgreSQL adds the constraint by name.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users ADD COLUMN unit_id INTEGER "
                   "CONSTRAINT fk_users_unit_id_creation_units REFERENCES creation_units (id)")
    else:
        op.add_column("users", sa.Column("unit_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_users_unit_id_creation_units", "users", "creation_units", ["unit_id"], ["id"])
        # An Office document's type is longer than an image's (SQLite does not enforce VARCHAR lengths).
        op.alter_column("attachments", "content_type", type_=sa.String(length=128),
                        existing_type=sa.String(length=32), existing_nullable=False)
    op.create_index(op.f("ix_users_unit_id"), "users", ["unit_id"])


def _sqlite_foreign_keys(on: bool) -> None:
    """Rebuilding `users` (to drop a column with a foreign key) drops a table others reference: SQLite allows
    it only with foreign keys off, and the pragma changes only outside a transaction (as in 0007)."""
    raw = op.get_bind().connection.dbapi_connection
    raw.execute("COMMIT")
    raw.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    raw.execute("BEGIN IMMEDIATE")


def downgrade():
    op.drop_index(op.f("ix_users_unit_id"), table_name="users")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_foreign_keys(False)
        with op.batch_alter_table("users") as batch:
            batch.drop_column("unit_id")
        problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")
        _sqlite_foreign_keys(True)
    else:
        op.drop_constraint("fk_users_unit_id_creation_units", "users", type_="foreignkey")
        op.drop_column("users", "unit_id")
        op.alter_column("attachments", "content_type", type_=sa.String(length=32),
                        existing_type=sa.String(length=128), existing_nullable=False)
    op.drop_table("creation_score_history")
    op.drop_index("ix_creation_rectifications_status_deadline", table_name="creation_rectifications")
    op.drop_index(op.f("ix_creation_rectifications_unit_id"), table_name="creation_rectifications")
    op.drop_index(op.f("ix_creation_rectifications_item_id"), table_name="creation_rectifications")
    op.drop_table("creation_rectifications")
    op.drop_index(op.f("ix_creation_evidence_sha256"), table_name="creation_evidence")
    op.drop_index(op.f("ix_creation_evidence_unit_id"), table_name="creation_evidence")
    op.drop_index("ix_creation_evidence_created", table_name="creation_evidence")
    op.drop_index("ix_creation_evidence_item_status", table_name="creation_evidence")
    op.drop_table("creation_evidence")
    op.drop_index("ix_creation_items_standard_position", table_name="creation_items")
    op.drop_index(op.f("ix_creation_items_lead_unit_id"), table_name="creation_items")
    op.drop_index(op.f("ix_creation_items_category_id"), table_name="creation_items")
    op.drop_table("creation_items")
    op.drop_index(op.f("ix_creation_categories_standard_id"), table_name="creation_categories")
    op.drop_table("creation_categories")
    op.drop_index("uq_creation_standards_current", table_name="creation_standards")
    op.drop_table("creation_standards")
    op.drop_table("creation_units")
