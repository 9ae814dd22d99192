"""Recipient 优抚对象: an entitled person living in a village; duplicate ID-number flags; ID-number checks."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.recipients import CATEGORIES, GENDERS  # noqa: F401  (the domain's vocabulary)
from ..extensions import db
from .base import utcnow

# One recipient holds a number "unshared"; others may hold it too only as flagged possible duplicates, made
# by someone who could not see the first (their answer must not tell them it exists). The database keeps
# the one: two pushes that both saw a number as fresh cannot both write it unflagged.
UNSHARED = text("NOT id_number_shared")


class Recipient(db.Model):
    __tablename__ = "recipients"
    __table_args__ = (
        Index("ix_recipients_id_number", "id_number"),
        Index("uq_recipients_id_number_unshared", "id_number", unique=True,
              sqlite_where=UNSHARED, postgresql_where=UNSHARED),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str | None] = mapped_column(String(8))
    # NULLs (not yet known, e.g. met during a visit) never clash.
    id_number: Mapped[str | None] = mapped_column(String(18))
    # True when the number was already held, outside the writer's scope, as it was written (a DuplicateFlag
    # says by whom); never sent to phones.
    id_number_shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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


class DuplicateFlag(db.Model):
    """A recipient written with an ID number another recipient, outside the writer's scope, already held:
    accepted (refusing would tell the writer the number exists) and listed for the office to check."""

    __tablename__ = "duplicate_flags"
    __table_args__ = (UniqueConstraint("recipient_id", "other_recipient_id",
                                       name="uq_duplicate_flags_recipient_id_other_recipient_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    other_recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")


class IdNumberCheck(db.Model):
    """One full ID number a user sent through sync (whatever the answer): what the hourly limit counts."""

    __tablename__ = "id_number_checks"
    __table_args__ = (Index("ix_id_number_checks_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
