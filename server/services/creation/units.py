"""Member units 成员单位: the office adds and renames them; liaisons and the office list them."""

from sqlalchemy import func, select

from ...domain import creation as rules
from ...extensions import db
from ...models import Area, Item, Unit, User
from ..actors import Actor
from ..changes import record_audit
from ..errors import InvalidInput, NotFound, Taken
from .access import current_standard, record_unit, require_creation_role


def unit_json(unit: Unit, liaisons: int = 0, items: int = 0, area_name: str | None = None) -> dict:
    return {"id": unit.id, "name": unit.name, "kind": unit.kind, "area_id": unit.area_id, "area_name": area_name,
            "position": unit.position, "liaisons": liaisons, "items": items, "version": unit.version}


def list_units(actor: Actor) -> dict:
    """Every unit in order, with how many active liaisons it has and how many current items it leads."""
    require_creation_role(actor)
    liaisons = dict(db.session.execute(
        select(User.unit_id, func.count()).where(User.role == rules.LIAISON, User.active.is_(True),
                                                 User.unit_id.is_not(None)).group_by(User.unit_id)).all())
    standard = current_standard()
    leads = dict(db.session.execute(
        select(Item.lead_unit_id, func.count()).where(Item.standard_id == standard.id)
        .group_by(Item.lead_unit_id)).all()) if standard else {}
    rows = db.session.execute(select(Unit, Area.name).outerjoin(Area, Area.id == Unit.area_id)
                              .order_by(Unit.position, Unit.id)).all()
    return {"items": [unit_json(u, liaisons.get(u.id, 0), leads.get(u.id, 0), area_name) for u, area_name in rows]}


def get_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("No such unit")
    return unit


def _check(name: str | None, area_id: int | None, unit_id: int | None = None) -> None:
    if name is not None:
        clash = db.session.execute(select(Unit.id).where(Unit.name == name)).scalar_one_or_none()
        if clash is not None and clash != unit_id:
            raise Taken("单位名称已存在 / this unit exists", {"name": ["already exists"]})
    if area_id is not None and db.session.get(Area, area_id) is None:
        raise InvalidInput("Unknown area", {"area_id": ["not found"]})


def create_unit(actor: Actor | None, name: str, kind: str, area_id: int | None = None,
                position: int | None = None, commit: bool = True) -> Unit:
    """Add a unit (the office, an import, the demo seed); phones of liaisons pull it."""
    _check(name, area_id)
    if position is None:
        position = (db.session.execute(select(func.max(Unit.position))).scalar_one() or 0) + 1
    unit = Unit(name=name, kind=kind, area_id=area_id, position=position, version=1)
    db.session.add(unit)
    db.session.flush()
    record_unit(unit.id)
    record_audit(actor, "unit.create", "unit", unit.id, {"name": name, "kind": kind})
    if commit:
        db.session.commit()
    return unit


def update_unit(actor: Actor, unit_id: int, changes: dict) -> dict:
    unit = get_unit(unit_id)
    _check(changes.get("name"), changes.get("area_id"), unit.id)
    before = {k: getattr(unit, k) for k in changes}
    for key, value in changes.items():
        setattr(unit, key, value)
    if before != {k: getattr(unit, k) for k in changes}:
        unit.version += 1
        record_unit(unit.id)
        record_audit(actor, "unit.update", "unit", unit.id, {k: [before[k], changes[k]] for k in changes})
    db.session.commit()
    return next(u for u in list_units(actor)["items"] if u["id"] == unit.id)


def units_by_name() -> dict[str, int]:
    """Unit name → id (for imports that name units)."""
    return dict(db.session.execute(select(Unit.name, Unit.id)).all())
