"""Sync bookkeeping: applied mutation ids, the global change counter and the change log."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class AppliedMutation(db.Model):
    """A mutation id seen once: its primary key is what makes a retried push idempotent."""

    __tablename__ = "applied_mutations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(32))
    payload_hash: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(36))
    applied_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ChangeCounter(db.Model):
    """One row: the newest change number. Taking a number locks it until commit, which orders commits."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class ChangeLog(db.Model):
    """The newest change of each record in each village it has been in (old rows are overwritten)."""

    __tablename__ = "change_log"
    __table_args__ = (
        UniqueConstraint("entity_type", "entity_id", "area_id", name="uq_change_log_entity_area"),
        Index("ix_change_log_area_seq", "area_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(36))
    area_id: Mapped[int] = mapped_column(Integer)
