"""Visit 走访记录 and the attachments it names (for download permission checks)."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.visits import KINDS, STATUSES  # noqa: F401  (the domain's vocabulary)
from ..extensions import db
from .base import utcnow


class Visit(db.Model):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_area_visited", "area_id", "visited_at"),
        Index("ix_visits_recipient_visited", "recipient_id", "visited_at"),
        Index("ix_visits_visited_recipient", "visited_at", "recipient_id"),
        Index("ix_visits_status_visited", "status", "visited_at"),
        Index("ix_visits_author_visited", "author_id", "visited_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The recipient's village, copied so scope filters need no join; moves with the recipient.
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    visited_at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(16))
    occasion: Mapped[str | None] = mapped_column(String(100))
    participants: Mapped[str | None] = mapped_column(String(255))
    gifts: Mapped[str | None] = mapped_column(String(255))
    cash_cents: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    location: Mapped[dict | None] = mapped_column(JSON)
    photos: Mapped[list] = mapped_column(JSON, default=list)
    signature: Mapped[str | None] = mapped_column(String(64))
    no_signature_reason: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The visit as it stood when last returned (fields, photos, its difficulties): the reviewer of the
    # resubmission sees what changed since.
    returned_snapshot: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class VisitAttachment(db.Model):
    """Which visit names which attachment: who may download a photo follows from who may see the visit."""

    __tablename__ = "visit_attachments"

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
