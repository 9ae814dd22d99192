"""Creation campaign 创建攻坚: member units, the evaluation standard (categories, items), evidence, rectifications
and the weekly score history."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.creation import EVIDENCE_STATUSES, ITEM_STATUSES, RECTIFICATION_STATUSES, UNIT_KINDS  # noqa: F401
from ..extensions import db
from .base import utcnow


class Unit(db.Model):
    """成员单位: a county department, a township, the armed-forces department, a garrison; liaisons belong to one."""

    __tablename__ = "creation_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # A township unit's area (optional): what it answers for on the ground.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Standard(db.Model):
    """考评标准: one version of the evaluation standard; exactly one is current."""

    __tablename__ = "creation_standards"
    __table_args__ = (
        Index("uq_creation_standards_current", "is_current", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, unique=True)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    target: Mapped[float] = mapped_column(Float)
    # The evaluation period: bound difficulty figures count what was raised in it (open ends: all).
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # What this version changed against the one before (services/creation/standards.py): items added,
    # removed, changed and carried over by number; None for the first version.
    changes: Mapped[dict | None] = mapped_column(JSON)


class Category(db.Model):
    """考评项目: a category of the standard with its maximum points."""

    __tablename__ = "creation_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("creation_standards.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    max_points: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Item(db.Model):
    """考评内容: an item of the standard and its line in the responsibility table (责任分解表)."""

    __tablename__ = "creation_items"
    __table_args__ = (
        UniqueConstraint("standard_id", "number", name="uq_creation_items_standard_number"),
        Index("ix_creation_items_standard_position", "standard_id", "position"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("creation_standards.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("creation_categories.id"), index=True)
    number: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[str] = mapped_column(Text)
    points: Mapped[float] = mapped_column(Float)
    rule: Mapped[str | None] = mapped_column(Text)
    evidence_required: Mapped[str | None] = mapped_column(Text)
    metric: Mapped[str | None] = mapped_column(String(64))
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("creation_units.id"), index=True)
    cooperating_unit_ids: Mapped[list] = mapped_column(JSON, default=list)
    deadline: Mapped[date | None] = mapped_column(Date)
    milestones: Mapped[list] = mapped_column(JSON, default=list)
    # The previous version's item with this number whose work this one carries on (None: new, or not carried).
    previous_item_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    self_score: Mapped[float | None] = mapped_column(Float)
    estimated_score: Mapped[float | None] = mapped_column(Float)
    loss_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Evidence(db.Model):
    """档案资料: an uploaded file (a content-addressed attachment) offered for an item by a unit."""

    __tablename__ = "creation_evidence"
    __table_args__ = (
        Index("ix_creation_evidence_item_status", "item_id", "status"),
        Index("ix_creation_evidence_created", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("creation_items.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("creation_units.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("attachments.sha256"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # A phone inspection (示范点位 visited with photos): where and when it was taken.
    location: Mapped[dict | None] = mapped_column(JSON)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Rectification(db.Model):
    """整改: a loss point (失分点) an owner unit must fix by a deadline."""

    __tablename__ = "creation_rectifications"
    __table_args__ = (Index("ix_creation_rectifications_status_deadline", "status", "deadline"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("creation_items.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("creation_units.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ScoreSnapshot(db.Model):
    """The estimated total of a standard in one week (its Monday, local): the trend the dashboard draws."""

    __tablename__ = "creation_score_history"
    __table_args__ = (UniqueConstraint("standard_id", "week", name="uq_creation_score_history_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("creation_standards.id"))
    week: Mapped[date] = mapped_column(Date)
    estimated_total: Mapped[float] = mapped_column(Float)
    categories: Mapped[dict] = mapped_column(JSON, default=dict)  # category id (as text) → estimated
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
