"""DatabaseMeta: facts about the database itself, one row per key (its epoch, when a restore renewed it)."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class DatabaseMeta(db.Model):
    """`epoch`: a random id that a restore replaces, so cursors and phones from before it are told apart."""

    __tablename__ = "database_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
