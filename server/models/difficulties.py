"""Difficulty 困难诉求 and its append-only FollowUp 跟进记录."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.difficulties import CATEGORIES, STATUSES, URGENCIES  # noqa: F401  (the domain's vocabulary)
from ..extensions import db
from .base import utcnow


class Difficulty(db.Model):
    __tablename__ = "difficulties"
    __table_args__ = (
        Index("ix_difficulties_area_status", "area_id", "status"),
        Index("ix_difficulties_status_due", "status", "due_date"),
        Index("ix_difficulties_due_created", "due_date", "created_at"),
        Index("ix_difficulties_created", "created_at"),
        Index("ix_difficulties_resolved", "resolved_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    status: Mapped[str] = mapped_column(String(16), default="open")
    # When the status last changed: a follow-up older than an office change does not undo it.
    status_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    responsible_unit: Mapped[str | None] = mapped_column(String(100))
    # Every office assignment, oldest first: who assigned, to whom (a user, a unit's name), which deadline.
    # Kept on the row so phones get the history with the difficulty (no new synced type).
    assignments: Mapped[list | None] = mapped_column(JSON, default=list)
    due_date: Mapped[date | None] = mapped_column(Date)
    follow_up_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class FollowUp(db.Model):
    __tablename__ = "follow_ups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    difficulty_id: Mapped[str] = mapped_column(ForeignKey("difficulties.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(16))
    next_follow_up_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
