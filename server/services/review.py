"""The office's side of visits: the scoped list, the detail, and review (approve / return)."""

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import aliased

from ..domain import visits as visit_rules
from ..extensions import db
from ..models import Area, Difficulty, Recipient, User, Visit
from ..models.base import utcnow
from ..schemas.common import iso_utc
from . import records
from .actors import Actor
from .changes import record_audit, record_change
from .errors import NotFound
from .notifications import notify_visit_returned
from .scope import apply_scope, area_in_scope, scope_filter
from .timezone import local_range_utc

Village = aliased(Area)
Township = aliased(Area)


def _area_within(actor: Actor, area_id: int) -> Area:
    area = area_in_scope(actor, area_id)
    if area is None:
        raise NotFound("No such area in your scope")
    return area


def list_visits(actor: Actor, *, zone: str, area=None, date_from=None, date_to=None, kind=None, status=None,
                q=None, author_id=None, recipient_id=None, page=1, per_page=20) -> dict:
    """Visits in scope, newest first, with the names the office list shows.

    Filters touch only the visits table (names become id subqueries), so the count and the page's ids come
    from indexes; only the page's rows are then joined with names.
    """
    filters = []
    clause = scope_filter(actor, Visit.area_id)
    if clause is not None:
        filters.append(clause)
    if area is not None:
        chosen = _area_within(actor, area)
        filters.append(Visit.area_id.in_(
            select(Area.id).where(Area.path.startswith(chosen.path, autoescape=True)).scalar_subquery()))
    lower, upper = local_range_utc(date_from, date_to, zone)
    if lower is not None:
        filters.append(Visit.visited_at >= lower)
    if upper is not None:
        filters.append(Visit.visited_at < upper)
    for column, value in ((Visit.kind, kind), (Visit.status, status), (Visit.author_id, author_id),
                          (Visit.recipient_id, recipient_id)):
        if value:
            filters.append(column == value)
    if q:
        # Resolve names first: two short id lists let the database use the recipient and author indexes.
        pattern = f"%{q}%"
        recipients = select(Recipient.id).where(Recipient.name.like(pattern))
        recipient_clause = scope_filter(actor, Recipient.area_id)
        if recipient_clause is not None:
            recipients = recipients.where(recipient_clause)
        recipient_ids = list(db.session.execute(recipients.limit(1000)).scalars())
        author_ids = list(db.session.execute(
            select(User.id).where(User.display_name.like(pattern)).limit(1000)).scalars())
        matches = ([Visit.recipient_id.in_(recipient_ids)] if recipient_ids else []) + (
            [Visit.author_id.in_(author_ids)] if author_ids else [])
        filters.append(or_(*matches) if matches else false())
    total = db.session.execute(select(func.count()).select_from(Visit).where(*filters)).scalar_one()
    page_ids = list(db.session.execute(
        select(Visit.id).where(*filters).order_by(Visit.visited_at.desc(), Visit.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).scalars())
    rows = db.session.execute(
        select(Visit, Recipient.name, User.display_name, Village.name, Township.name)
        .join(Recipient, Recipient.id == Visit.recipient_id)
        .join(User, User.id == Visit.author_id)
        .join(Village, Village.id == Visit.area_id)
        .outerjoin(Township, Township.id == Village.parent_id)
        .where(Visit.id.in_(page_ids))
    ).all() if page_ids else []
    order = {visit_id: index for index, visit_id in enumerate(page_ids)}
    items = []
    for visit, recipient_name, author_name, village_name, township_name in sorted(
            rows, key=lambda row: order[row[0].id]):
        item = records.visit_data(records.row_dict(visit))
        item.update(version=visit.version, recipient_name=recipient_name, author_name=author_name,
                    village_name=village_name, township_name=township_name)
        items.append(item)
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def get_visit(actor: Actor, visit_id: str) -> Visit:
    query = apply_scope(select(Visit).where(Visit.id == visit_id), actor, Visit.area_id)
    visit = db.session.execute(query).scalar_one_or_none()
    if visit is None:
        raise NotFound("No such visit in your scope")
    return visit


def visit_detail(actor: Actor, visit_id: str) -> dict:
    """A visit with its recipient (ID number masked), author, area names and the difficulties found."""
    visit = get_visit(actor, visit_id)
    recipient = db.session.get(Recipient, visit.recipient_id)
    author = db.session.get(User, visit.author_id)
    village = db.session.get(Area, visit.area_id)
    township = db.session.get(Area, village.parent_id) if village and village.parent_id else None
    difficulties = db.session.execute(
        select(Difficulty).where(Difficulty.visit_id == visit.id).order_by(Difficulty.created_at)
    ).scalars()
    difficulties = [records.difficulty_data(records.row_dict(d)) for d in difficulties]
    data = records.visit_data(records.row_dict(visit))
    # Once the author resubmits, the reviewer sees what changed since the return.
    changes = (visit_rules.changes_since_return(visit.returned_snapshot, data, difficulties)
               if visit.returned_snapshot and visit.status != "returned" else None)
    data.update(
        version=visit.version,
        reviewed_at=visit.reviewed_at.isoformat(timespec="milliseconds") + "Z" if visit.reviewed_at else None,
        recipient=records.recipient_data(records.row_dict(recipient)),
        author_name=author.display_name if author else None,
        village_name=village.name if village else None,
        township_name=township.name if township else None,
        difficulties=difficulties,
        changes_since_return=changes,
    )
    return data


def review_visit(actor: Actor, visit_id: str, decision: str, comment: str | None) -> dict:
    """Approve (locks the visit) or return it with a comment (its author is notified and edits it)."""
    visit = get_visit(actor, visit_id)
    visit.status, visit.review_comment = visit_rules.review(visit.status, decision, comment)
    visit.reviewed_by = actor.user_id
    visit.reviewed_at = utcnow()
    if decision == "return":
        found = db.session.execute(select(Difficulty).where(Difficulty.visit_id == visit.id)).scalars()
        visit.returned_snapshot = visit_rules.review_snapshot(
            records.visit_data(records.row_dict(visit)),
            [records.difficulty_data(records.row_dict(d)) for d in found],
            iso_utc(visit.reviewed_at), visit.review_comment)
    visit.version += 1
    visit.updated_at = utcnow()
    db.session.flush()
    record_change("visit", visit.id, visit.area_id)
    record_audit(actor, f"visit.{decision}", "visit", visit.id, {"comment": comment})
    if decision == "return":
        notify_visit_returned(records.row_dict(visit), visit.version)
    db.session.commit()
    return records.entity("visit", records.row_dict(visit))


__all__ = ["list_visits", "visit_detail", "review_visit"]
