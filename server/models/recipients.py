"""Recipient 优抚对象: an entitled person living in a village."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.recipients import CATEGORIES, GENDERS  # noqa: F401  (the domain's vocabulary)
from ..extensions import db
from .base import utcnow


class Recipient(db.Model):
    __tablename__ = "recipients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str | None] = mapped_column(String(8))
    # Unique when present; NULLs (not yet known, e.g. met during a visit) don't clash.
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(255))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
