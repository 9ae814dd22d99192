"""Login throttling state kept in the database, so every gunicorn worker and host sees the same counts."""

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class LoginFailure(db.Model):
    """Consecutive failed logins of one user name from one source (an address, or a device that has logged in
    to that account before): five lock that source, not the account, so nobody can lock out its owner."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)  # as typed, trimmed and lower-cased
    source: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of "ip:…" or "device:…"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class RateLimitCounter(db.Model):
    """One Flask-Limiter fixed-window counter (server/ratelimit.py's storage when Redis is not configured)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # epoch seconds, as the limits library counts
