"""Area 行政区划: county → township → village, with a materialised path for subtree scopes."""

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

LEVELS = ("province", "city", "county", "township", "village")


class Area(db.Model):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # "/1/4/17/": the ids from the root down; a subtree is every path starting with this one.
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
