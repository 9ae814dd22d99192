"""User 工作人员 and the server-side session rows behind the cookie."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

# A liaison (联络员) belongs to a member unit of the creation campaign and sees only its tasks, never recipients.
ROLES = ("staff", "reviewer", "admin", "liaison")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Set by an admin's reset (a temporary password): the user must choose their own at next login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The change number at which this user's area last changed: older cursors must pull again from 0.
    scope_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # A liaison's member unit (creation campaign); None for every other role.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("creation_units.id"), index=True)


class UserSession(db.Model):
    """One login: the cookie carries a random token, the row keeps only its SHA-256."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Why it ended (services/auth.py ENDED_*): the 401 its phone gets next tells it whether to wipe its copy.
    ended_reason: Mapped[str | None] = mapped_column(String(16))
    user_agent: Mapped[str | None] = mapped_column(String(255))
