"""The office's side of difficulties: the scoped board and office changes (assignee, unit, deadline, status)."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..errors import ApiError
from ..extensions import db
from ..models import Area, Difficulty, FollowUp, Recipient, User
from ..models.base import utcnow
from . import records
from .actors import Actor
from .changes import record_audit, record_change
from .scope import apply_scope
from .timezone import local_today

Village = aliased(Area)
Assignee = aliased(User)


def list_difficulties(actor: Actor, *, zone: str, status=None, overdue=False, area=None, category=None,
                      urgency=None, assignee_id=None, page=1, per_page=50) -> dict:
    """The board: difficulties in scope, overdue and urgent first, then by deadline."""
    today = local_today(zone)
    query = (select(Difficulty, Recipient.name, Village.name, Assignee.display_name)
             .join(Recipient, Recipient.id == Difficulty.recipient_id)
             .join(Village, Village.id == Difficulty.area_id)
             .outerjoin(Assignee, Assignee.id == Difficulty.assignee_id))
    query = apply_scope(query, actor, Difficulty.area_id)
    if area is not None:
        chosen = db.session.get(Area, area)
        if chosen is None or not (actor.sees_all or chosen.path.startswith(actor.area_path)):
            raise ApiError(404, "not_found", "No such area in your scope")
        query = query.where(Village.path.startswith(chosen.path, autoescape=True))
    if status:
        query = query.where(Difficulty.status == status)
    if overdue:
        query = query.where(Difficulty.status != "resolved", Difficulty.due_date < today)
    if category:
        query = query.where(Difficulty.category == category)
    if urgency:
        query = query.where(Difficulty.urgency == urgency)
    if assignee_id:
        query = query.where(Difficulty.assignee_id == assignee_id)
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(Difficulty.due_date.is_(None), Difficulty.due_date, Difficulty.created_at.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    items = []
    for difficulty, recipient_name, village_name, assignee_name in rows:
        item = records.difficulty_data(records.row_dict(difficulty))
        item.update(version=difficulty.version, recipient_name=recipient_name, village_name=village_name,
                    assignee_name=assignee_name, overdue=is_overdue(difficulty, today))
        items.append(item)
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def is_overdue(difficulty: Difficulty, today: date) -> bool:
    return difficulty.status != "resolved" and difficulty.due_date is not None and difficulty.due_date < today


def get_difficulty(actor: Actor, difficulty_id: str) -> Difficulty:
    query = apply_scope(select(Difficulty).where(Difficulty.id == difficulty_id), actor, Difficulty.area_id)
    difficulty = db.session.execute(query).scalar_one_or_none()
    if difficulty is None:
        raise ApiError(404, "not_found", "No such difficulty in your scope")
    return difficulty


def difficulty_detail(actor: Actor, difficulty_id: str) -> dict:
    difficulty = get_difficulty(actor, difficulty_id)
    follow_ups = db.session.execute(
        select(FollowUp).where(FollowUp.difficulty_id == difficulty.id).order_by(FollowUp.at)).scalars()
    data = records.difficulty_data(records.row_dict(difficulty))
    data.update(version=difficulty.version,
                follow_ups=[records.followup_data(records.row_dict(f)) for f in follow_ups])
    return data


def _check_assignee(difficulty: Difficulty, assignee_id: int) -> None:
    """The assignee must be an active user who can see the difficulty's village."""
    user = db.session.get(User, assignee_id)
    village_path = db.session.execute(select(Area.path).where(Area.id == difficulty.area_id)).scalar_one()
    user_path = db.session.execute(select(Area.path).where(Area.id == user.area_id)).scalar_one() if user else None
    if user is None or not user.active or not village_path.startswith(user_path):
        raise ApiError(422, "validation_error", "该人员无法处理此村的诉求 / this user cannot see that village",
                       {"assignee_id": ["not a user covering this village"]})


def update_difficulty(actor: Actor, difficulty_id: str, changes: dict) -> dict:
    """Office changes; phones receive them on their next pull. `version`, when given, must be current."""
    difficulty = get_difficulty(actor, difficulty_id)
    expected = changes.pop("version", None)
    if expected is not None and expected != difficulty.version:
        raise ApiError(409, "conflict", "已被他人修改，请刷新 / changed meanwhile, reload",
                       {"version": [str(difficulty.version)]})
    if changes.get("assignee_id") is not None:
        _check_assignee(difficulty, changes["assignee_id"])
    before = {k: getattr(difficulty, k) for k in changes}
    for key, value in changes.items():
        setattr(difficulty, key, value)
    now = utcnow()
    if "status" in changes and changes["status"] != before.get("status"):
        difficulty.status_changed_at = now
        difficulty.resolved_at = now if changes["status"] == "resolved" else None
        if changes["status"] == "resolved":
            difficulty.follow_up_at = None
    if {k: getattr(difficulty, k) for k in changes} != before:
        difficulty.version += 1
        difficulty.updated_at = now
        db.session.flush()
        record_change("difficulty", difficulty.id, difficulty.area_id)
        record_audit(actor, "difficulty.update", "difficulty", difficulty.id,
                     {k: str(v) if v is not None else None for k, v in changes.items()})
    db.session.commit()
    return difficulty_detail(actor, difficulty.id)
