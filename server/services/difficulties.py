"""The office's side of difficulties: the scoped board and office changes (assignee, unit, deadline, status)."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..domain import difficulties as rules
from ..domain.creation import LIAISON
from ..extensions import db
from ..models import Area, Difficulty, FollowUp, Recipient, User
from ..models.base import utcnow
from ..schemas.common import iso_date, iso_utc
from . import records
from .actors import Actor
from .changes import record_audit, record_change
from .errors import Conflict, InvalidInput, NotFound
from .notifications import notify_difficulty_assigned
from .scope import apply_scope, area_in_scope, scope_filter
from .timezone import local_today

Village = aliased(Area)
Assignee = aliased(User)


def follow_up_overdue_ids(filters: list, today, zone: str) -> list[str]:
    """The ids of the 跟进逾期 difficulties among `filters`: the database narrows to unresolved ones whose
    follow-up date is before today and that have no follow-up since that date; the domain rule then decides
    on the local day of the date (a follow-up made on that day, before the stated hour, still counts)."""
    later = select(FollowUp.id).where(FollowUp.difficulty_id == Difficulty.id, FollowUp.at >= Difficulty.follow_up_at)
    candidates = db.session.execute(
        select(Difficulty.id, Difficulty.status, Difficulty.follow_up_at)
        .where(*filters, Difficulty.status != rules.RESOLVED,
               Difficulty.follow_up_at < rules.follow_up_cutoff(today, zone), ~later.exists())
    ).all()
    if not candidates:
        return []
    last = dict(db.session.execute(
        select(FollowUp.difficulty_id, func.max(FollowUp.at))
        .where(FollowUp.difficulty_id.in_([c.id for c in candidates])).group_by(FollowUp.difficulty_id)).all())
    return [c.id for c in candidates
            if rules.is_follow_up_overdue(c.status, c.follow_up_at, last.get(c.id), today, zone)]


def list_difficulties(actor: Actor, *, zone: str, status=None, overdue=False, follow_up_overdue=False, area=None,
                      category=None, urgency=None, assignee_id=None, page=1, per_page=50) -> dict:
    """The board: difficulties in scope by deadline (earliest, i.e. most overdue, first), then those without
    a deadline, newest first; with the counts of the two late lists (办结超期 `overdue`, 跟进逾期
    `follow_up_overdue`) under the same area and category filters.

    The two parts are read separately so each walks an index in order; only the page's rows get names.
    """
    today = local_today(zone)
    filters = []
    clause = scope_filter(actor, Difficulty.area_id)
    if clause is not None:
        filters.append(clause)
    if area is not None:
        chosen = area_in_scope(actor, area)
        if chosen is None:
            raise NotFound("No such area in your scope")
        filters.append(Difficulty.area_id.in_(
            select(Area.id).where(Area.path.startswith(chosen.path, autoescape=True)).scalar_subquery()))
    for column, value in ((Difficulty.category, category), (Difficulty.urgency, urgency),
                          (Difficulty.assignee_id, assignee_id)):
        if value:
            filters.append(column == value)
    late = [Difficulty.status != rules.RESOLVED, Difficulty.due_date < today]
    count = select(func.count()).select_from(Difficulty)
    follow_up_late = follow_up_overdue_ids(filters, today, zone)
    counts = {"overdue": db.session.execute(count.where(*filters, *late)).scalar_one(),
              "follow_up_overdue": len(follow_up_late)}
    if overdue:
        filters += late
    if follow_up_overdue:
        filters.append(Difficulty.id.in_(follow_up_late))
    if status:
        filters.append(Difficulty.status == status)
    dated = db.session.execute(count.where(*filters, Difficulty.due_date.is_not(None))).scalar_one()
    total = db.session.execute(count.where(*filters)).scalar_one()
    offset, page_ids = (page - 1) * per_page, []
    if offset < dated:
        page_ids += db.session.execute(
            select(Difficulty.id).where(*filters, Difficulty.due_date.is_not(None))
            .order_by(Difficulty.due_date, Difficulty.created_at.desc()).limit(per_page).offset(offset)
        ).scalars()
    if len(page_ids) < per_page and total > dated:
        page_ids += db.session.execute(
            select(Difficulty.id).where(*filters, Difficulty.due_date.is_(None))
            .order_by(Difficulty.created_at.desc()).limit(per_page - len(page_ids))
            .offset(max(0, offset - dated))
        ).scalars()
    rows = db.session.execute(
        select(Difficulty, Recipient.name, Village.name, Assignee.display_name)
        .join(Recipient, Recipient.id == Difficulty.recipient_id)
        .join(Village, Village.id == Difficulty.area_id)
        .outerjoin(Assignee, Assignee.id == Difficulty.assignee_id)
        .where(Difficulty.id.in_(page_ids))
    ).all() if page_ids else []
    order = {difficulty_id: index for index, difficulty_id in enumerate(page_ids)}
    late_follow_ups = set(follow_up_late)
    items = []
    for difficulty, recipient_name, village_name, assignee_name in sorted(rows, key=lambda r: order[r[0].id]):
        item = records.difficulty_data(records.row_dict(difficulty))
        item.update(version=difficulty.version, recipient_name=recipient_name, village_name=village_name,
                    assignee_name=assignee_name, overdue=is_overdue(difficulty, today),
                    follow_up_overdue=difficulty.id in late_follow_ups)
        items.append(item)
    return {"items": items, "total": total, "page": page, "per_page": per_page, "counts": counts}


def is_overdue(difficulty: Difficulty, today: date) -> bool:
    return rules.is_deadline_overdue(difficulty.status, difficulty.due_date, today)


def get_difficulty(actor: Actor, difficulty_id: str) -> Difficulty:
    query = apply_scope(select(Difficulty).where(Difficulty.id == difficulty_id), actor, Difficulty.area_id)
    difficulty = db.session.execute(query).scalar_one_or_none()
    if difficulty is None:
        raise NotFound("No such difficulty in your scope")
    return difficulty


def difficulty_detail(actor: Actor, difficulty_id: str) -> dict:
    difficulty = get_difficulty(actor, difficulty_id)
    follow_ups = db.session.execute(
        select(FollowUp).where(FollowUp.difficulty_id == difficulty.id).order_by(FollowUp.at)).scalars()
    recipient_name, village_name, assignee_name = db.session.execute(
        select(Recipient.name, Village.name, Assignee.display_name)
        .select_from(Difficulty)
        .join(Recipient, Recipient.id == Difficulty.recipient_id)
        .join(Village, Village.id == Difficulty.area_id)
        .outerjoin(Assignee, Assignee.id == Difficulty.assignee_id)
        .where(Difficulty.id == difficulty.id)
    ).one()
    data = records.difficulty_data(records.row_dict(difficulty))
    data.update(version=difficulty.version, recipient_name=recipient_name, village_name=village_name,
                assignee_name=assignee_name,
                follow_ups=[records.followup_data(records.row_dict(f)) for f in follow_ups])
    return data


def _check_assignee(difficulty: Difficulty, assignee_id: int) -> None:
    """The assignee must be an active user who can see the difficulty's village (never a liaison: they see no
    recipient)."""
    user = db.session.get(User, assignee_id)
    if user is not None and user.role == LIAISON:
        user = None
    village_path = db.session.execute(select(Area.path).where(Area.id == difficulty.area_id)).scalar_one()
    user_path = db.session.execute(select(Area.path).where(Area.id == user.area_id)).scalar_one() if user else None
    if user is None or not user.active or not village_path.startswith(user_path):
        raise InvalidInput("该人员无法处理此村的诉求 / this user cannot see that village",
                           {"assignee_id": ["not a user covering this village"]})


def update_difficulty(actor: Actor, difficulty_id: str, changes: dict) -> dict:
    """Office changes; phones receive them on their next pull. `version`, when given, must be current."""
    difficulty = get_difficulty(actor, difficulty_id)
    expected = changes.pop("version", None)
    if expected is not None and expected != difficulty.version:
        raise Conflict("已被他人修改，请刷新 / changed meanwhile, reload",
                       {"version": [str(difficulty.version)]})
    if changes.get("assignee_id") is not None:
        _check_assignee(difficulty, changes["assignee_id"])
    before = {k: getattr(difficulty, k) for k in changes}
    for key, value in changes.items():
        setattr(difficulty, key, value)
    now = utcnow()
    if "status" in changes and changes["status"] != before.get("status"):
        for key, value in rules.status_effect(changes["status"], now).items():
            setattr(difficulty, key, value)
    if {k: getattr(difficulty, k) for k in changes} != before:
        assigned = [k for k in ASSIGNMENT_FIELDS if k in changes and changes[k] != before[k]]
        if assigned:
            _record_assignment(actor, difficulty, now, notify="assignee_id" in assigned)
        difficulty.version += 1
        difficulty.updated_at = now
        db.session.flush()
        record_change("difficulty", difficulty.id, difficulty.area_id)
        record_audit(actor, "difficulty.update", "difficulty", difficulty.id,
                     {k: str(v) if v is not None else None for k, v in changes.items()})
    db.session.commit()
    return difficulty_detail(actor, difficulty.id)


ASSIGNMENT_FIELDS = ("assignee_id", "responsible_unit", "due_date")


def _record_assignment(actor: Actor, difficulty: Difficulty, now, *, notify: bool) -> None:
    """Append the assignment as it now stands to the difficulty's history, and tell a newly assigned user.

    A responsible unit is only a name (no users belong to it): it is recorded, and nobody is notified for it.
    """
    assigner = db.session.get(User, actor.user_id)
    assignee = db.session.get(User, difficulty.assignee_id) if difficulty.assignee_id is not None else None
    entry = {"at": iso_utc(now), "by_id": actor.user_id, "by_name": assigner.display_name if assigner else "",
             "assignee_id": difficulty.assignee_id, "assignee_name": assignee.display_name if assignee else None,
             "responsible_unit": difficulty.responsible_unit, "due_date": iso_date(difficulty.due_date)}
    difficulty.assignments = [*(difficulty.assignments or []), entry]  # a new list: the JSON column sees it
    if notify and assignee is not None and assignee.id != actor.user_id:
        notify_difficulty_assigned(difficulty.id, assignee, now)
