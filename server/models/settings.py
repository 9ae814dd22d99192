"""Settings every host shares through the database (the secret key, the VAPID key): `server/keys.py`."""

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class SharedSetting(db.Model):
    """One named value, written once by whichever host needs it first (or replaced by a rotation)."""

    __tablename__ = "shared_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
