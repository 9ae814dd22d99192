"""Rectifications 整改: a loss point the office orders a unit to fix by a deadline (from an item's loss note,
or directly); the office closes it once fixed. The owner unit's liaisons hear of it at once."""

import uuid
from datetime import date

from sqlalchemy import select

from ...domain import creation as rules
from ...extensions import db
from ...models import Item, Rectification, Unit
from ...models.base import utcnow
from ...schemas.common import iso_utc
from ..actors import Actor
from ..changes import record_audit
from ..errors import Forbidden, InvalidInput, NotFound
from ..timezone import local_today
from .access import Access, record_rectification, require_creation_role
from .records import RECTIFICATION
from .reminders import notify_rectification_ordered


def _json(rect: Rectification, number: str, unit_name: str, today: date) -> dict:
    return {"id": rect.id, "item_id": rect.item_id, "item_number": number, "unit_id": rect.unit_id,
            "unit_name": unit_name, "description": rect.description, "deadline": rect.deadline.isoformat(),
            "status": rect.status, "overdue": rules.is_overdue(rect.status, rect.deadline, today),
            "created_at": iso_utc(rect.created_at), "closed_at": iso_utc(rect.closed_at), "version": rect.version}


def _query():
    return (select(Rectification, Item.number, Unit.name).join(Item, Item.id == Rectification.item_id)
            .join(Unit, Unit.id == Rectification.unit_id))


def list_rectifications(actor: Actor, zone: str, *, status=None, unit_id=None, item_id=None) -> dict:
    """The current standard's rectifications the actor sees, open ones by deadline first."""
    require_creation_role(actor)
    access = Access(actor)
    query = _query().where(Item.standard_id == access.current_id)
    for column, value in ((Rectification.status, status), (Rectification.unit_id, unit_id),
                          (Rectification.item_id, item_id)):
        if value is not None:
            query = query.where(column == value)
    rows = db.session.execute(query.order_by(Rectification.status.desc(), Rectification.deadline,
                                             Rectification.created_at)).all()
    access.preload(r[0].item_id for r in rows)
    today = local_today(zone)
    return {"items": [_json(rect, number, unit_name, today) for rect, number, unit_name in rows
                      if access.sees(RECTIFICATION, rect)]}


def rectifications_of_item(item_id: str, zone: str) -> list[dict]:
    today = local_today(zone)
    rows = db.session.execute(_query().where(Rectification.item_id == item_id)
                              .order_by(Rectification.created_at)).all()
    return [_json(rect, number, unit_name, today) for rect, number, unit_name in rows]


def _require_office(access: Access) -> None:
    if not access.office:
        raise Forbidden("只有双拥办可以下达整改 / only the office orders and closes rectifications")


def open_rectification(actor: Actor | None, item: Item, unit_id: int, description: str, deadline: date,
                       commit: bool = True, rectification_id: str | None = None) -> Rectification:
    """Order a 整改 for an item (the caller checked the actor may); the owner unit's liaisons are told."""
    if db.session.get(Unit, unit_id) is None:
        raise InvalidInput("Unknown unit", {"unit_id": ["unit not found"]})
    now = utcnow()
    rect = Rectification(id=rectification_id or str(uuid.uuid4()), item_id=item.id, unit_id=unit_id,
                         description=description, deadline=deadline, status="open",
                         created_by=actor.user_id if actor else None, created_at=now, updated_at=now, version=1)
    db.session.add(rect)
    db.session.flush()
    record_rectification(rect, item)
    record_audit(actor, "rectification.create", "rectification", rect.id,
                 {"item_id": item.id, "unit_id": unit_id, "deadline": deadline.isoformat()})
    notify_rectification_ordered(rect.id, item.number, unit_id, deadline)
    if commit:
        db.session.commit()
    return rect


def create_rectification(actor: Actor, zone: str, item_id: str, description: str, deadline: date,
                         unit_id: int | None = None) -> dict:
    access = Access(actor)
    _require_office(access)
    item = access.require_item(item_id)
    unit_id = unit_id or item.lead_unit_id
    if unit_id is None:
        raise InvalidInput("Invalid rectification", {"unit_id": ["required when the item has no lead unit"]})
    rect = open_rectification(actor, item, unit_id, description.strip(), deadline)
    return rectification_detail(rect.id, zone)


def close_rectification(actor: Actor, zone: str, rectification_id: str) -> dict:
    """The office confirms a 整改 was done."""
    access = Access(actor)
    _require_office(access)
    rect = db.session.get(Rectification, rectification_id)
    if rect is None or not access.sees(RECTIFICATION, rect):
        raise NotFound("No such rectification")
    rect.status = rules.close_rectification(rect.status)
    now = utcnow()
    rect.closed_at, rect.closed_by, rect.updated_at = now, actor.user_id, now
    rect.version += 1
    db.session.flush()
    record_rectification(rect, access.item(rect.item_id))
    record_audit(actor, "rectification.close", "rectification", rect.id, {"item_id": rect.item_id})
    db.session.commit()
    return rectification_detail(rect.id, zone)


def rectification_detail(rectification_id: str, zone: str) -> dict:
    row = db.session.execute(_query().where(Rectification.id == rectification_id)).one_or_none()
    if row is None:
        raise NotFound("No such rectification")
    return _json(*row, local_today(zone))
