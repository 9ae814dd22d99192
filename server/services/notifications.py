"""Notification rows, the single source of the inbox and of push: triggers and the inbox queries.

Titles and bodies never carry personal data (PIPL): counts and kinds only; the app shows details once opened.
"""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Area, Notification, User
from ..models.base import utcnow
from .actors import Actor
from .errors import NotFound


def _insert_ignoring_duplicates(rows: list[dict]) -> None:
    """Insert notification rows; a dedupe key seen before is skipped by the database, not by a check."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(Notification.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"])
    now = utcnow()
    db.session.execute(stmt, [{"due_at": now, "created_at": now, "attempts": 0, "url": None, **r} for r in rows])


def reviewers_over(area_id: int) -> list[int]:
    """Active reviewers whose scope contains this area (their area is it or one of its ancestors)."""
    path = db.session.execute(select(Area.path).where(Area.id == area_id)).scalar_one()
    ancestors = [int(p) for p in path.strip("/").split("/") if p]
    return list(db.session.execute(
        select(User.id).where(User.role == "reviewer", User.active.is_(True), User.area_id.in_(ancestors))
    ).scalars())


def notify_urgent_difficulty(difficulty: dict) -> None:
    """An urgent difficulty arrived: every reviewer over its village, at once."""
    rows = [{
        "user_id": reviewer_id, "kind": "urgent_difficulty", "title": "紧急困难诉求",
        "body": "1 条紧急困难诉求待处理", "url": f"/office/difficulties/{difficulty['id']}",
        "dedupe_key": f"urgent:{difficulty['id']}:{reviewer_id}",
    } for reviewer_id in reviewers_over(difficulty["area_id"])]
    _insert_ignoring_duplicates(rows)


def notify_visit_returned(visit: dict, review_round: int) -> None:
    """The office returned a visit: its author hears of it."""
    _insert_ignoring_duplicates([{
        "user_id": visit["author_id"], "kind": "visit_returned", "title": "走访记录被退回",
        "body": "1 条走访被退回，请修改后重新提交", "url": f"/visits/{visit['id']}",
        "dedupe_key": f"returned:{visit['id']}:{review_round}",
    }])


def notify_difficulty_assigned(difficulty_id: str, user: User, assigned_at: datetime) -> None:
    """The office assigned a difficulty to `user`: they hear of it (a count only; the app shows the details)."""
    office = user.role in ("reviewer", "admin")
    _insert_ignoring_duplicates([{
        "user_id": user.id, "kind": "difficulty_assigned", "title": "困难诉求分派",
        "body": "1 项困难诉求已分派给您",
        "url": f"/office/difficulties/{difficulty_id}" if office else f"/difficulties/{difficulty_id}",
        "dedupe_key": f"assigned:{difficulty_id}:{user.id}:{assigned_at.isoformat()}",
    }])


def list_inbox(actor: Actor, now: datetime | None = None, limit: int = 100) -> dict:
    """The inbox: every row due by now, newest first, and how many are unread."""
    now = now or utcnow()
    base = (Notification.user_id == actor.user_id) & (Notification.due_at <= now)
    rows = db.session.execute(
        select(Notification).where(base).order_by(Notification.due_at.desc(), Notification.id.desc())
        .limit(limit)
    ).scalars().all()
    unread = db.session.execute(
        select(func.count()).select_from(Notification).where(base, Notification.read_at.is_(None))
    ).scalar_one()
    return {"items": rows, "unread": unread}


def mark_read(actor: Actor, notification_id: int) -> Notification:
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound("No such notification")
    if row.read_at is None:
        db.session.execute(update(Notification).where(Notification.id == notification_id,
                                                      Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    return db.session.get(Notification, notification_id)
