"""Attachment: a content-addressed photo, signature or evidence document (the bytes live in the attachment
store), and who sent it."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class Attachment(db.Model):
    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(128))  # an Office type is long
    size: Mapped[int] = mapped_column(Integer)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AttachmentUploader(db.Model):
    """A user who sent these bytes (the first uploader, or anyone who sent them again): who may name the
    attachment in a record without it being attached to one they can see already."""

    __tablename__ = "attachment_uploaders"

    sha256: Mapped[str] = mapped_column(ForeignKey("attachments.sha256"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
