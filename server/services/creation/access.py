"""Who sees what of the creation campaign, and the change-log keys that carry it to liaisons' phones.

The office (reviewers, admins) sees the whole current standard; a liaison the items their unit leads or
cooperates on, with their evidence and rectifications (and a rectification ordered to their unit); field staff
see none of it. Nothing here reaches recipients: a liaison's area scope is empty (services/scope.py).
"""

from sqlalchemy import select

from ...domain import creation as rules
from ...extensions import db
from ...models import ChangeLog, Evidence, Item, Standard, User
from ..actors import Actor
from ..changes import record_change
from ..errors import Forbidden, NotFound
from .records import EVIDENCE, ITEM, RECTIFICATION, TYPES, UNIT

_ITEM_COLUMNS = (Item.id, Item.standard_id, Item.lead_unit_id, Item.cooperating_unit_ids)


def is_office(actor: Actor) -> bool:
    return actor.role in rules.OFFICE_ROLES


def current_standard() -> Standard | None:
    return db.session.execute(select(Standard).where(Standard.is_current.is_(True))).scalar_one_or_none()


def unit_of(actor: Actor) -> int | None:
    """A liaison's unit (None for other roles, or a liaison not yet given one)."""
    if actor.role != rules.LIAISON:
        return None
    return db.session.execute(select(User.unit_id).where(User.id == actor.user_id)).scalar_one_or_none()


def item_units(item) -> set[int]:
    """The units responsible for an item (a row mapping or an Item): its lead and its cooperating units."""
    lead, cooperating = _get(item, "lead_unit_id"), _get(item, "cooperating_unit_ids") or []
    return ({lead} if lead is not None else set()) | set(cooperating)


def _get(row, key):
    return row[key] if isinstance(row, dict) else getattr(row, key)


class Access:
    """One actor's view, with the rows it looked at kept for the request (a pull page, a push batch)."""

    def __init__(self, actor: Actor):
        self.actor = actor
        self.office = is_office(actor)
        self.unit_id = unit_of(actor)
        self._current: int | None | bool = False  # False: not loaded yet
        self._items: dict[str, dict | None] = {}

    @property
    def current_id(self) -> int | None:
        if self._current is False:
            self._current = db.session.execute(
                select(Standard.id).where(Standard.is_current.is_(True))).scalar_one_or_none()
        return self._current

    def preload(self, item_ids) -> None:
        missing = {i for i in item_ids if i is not None and i not in self._items}
        if missing:
            for row in db.session.execute(select(*_ITEM_COLUMNS).where(Item.id.in_(missing))).mappings():
                self._items[row["id"]] = dict(row)
            for item_id in missing:
                self._items.setdefault(item_id, None)

    def item(self, item_id: str | None) -> dict | None:
        self.preload([item_id])
        return self._items.get(item_id)

    def current_successor(self, item_id: str | None) -> dict | None:
        """The item, or, if an earlier version's, the current item that carries its work on (a phone that
        queued evidence offline before the standard was re-issued); None when neither exists."""
        item = self.item(item_id)
        for _ in range(100):  # versions are few; the bound only guards against a cycle
            if item is None or item["standard_id"] == self.current_id:
                return item
            nxt = db.session.execute(select(Item.id).where(Item.previous_item_id == item["id"])).scalar()
            item = self.item(nxt) if nxt is not None else None
        return None

    def responsibility(self, item) -> str | None:
        """'lead', 'cooperating' or None: what the actor's unit is to the item."""
        if self.unit_id is None or item is None:
            return None
        if _get(item, "lead_unit_id") == self.unit_id:
            return "lead"
        return "cooperating" if self.unit_id in (_get(item, "cooperating_unit_ids") or []) else None

    def sees_item(self, item) -> bool:
        if item is None or _get(item, "standard_id") != self.current_id:
            return False
        return self.office or self.responsibility(item) is not None

    def sees(self, entity_type: str, row) -> bool:
        """Whether the actor may see this creation record (as stored, or as a push plans it)."""
        if entity_type == UNIT:
            return self.office or self.actor.role == rules.LIAISON
        if entity_type == ITEM:
            return self.sees_item(row)
        item = self.item(_get(row, "item_id"))
        if entity_type == EVIDENCE:
            return self.sees_item(item)
        if entity_type == RECTIFICATION:
            own = self.unit_id is not None and _get(row, "unit_id") == self.unit_id
            return self.sees_item(item) or (own and item is not None and item["standard_id"] == self.current_id)
        return False

    def require_item(self, item_id: str) -> Item:
        """The current standard's item, if the actor sees it (404 otherwise: out of scope is missing)."""
        item = db.session.get(Item, item_id)
        if item is None or not self.sees_item(item):
            raise NotFound("No such item in your scope")
        return item


def require_creation_role(actor: Actor) -> None:
    if not (is_office(actor) or actor.role == rules.LIAISON):
        raise Forbidden("您没有权限 / not allowed for your role")


# -- the change log: a liaison's phone pulls what their unit's key carries -------------------------------


def record_unit(unit_id: int) -> None:
    record_change(UNIT, unit_id, rules.DIRECTORY_KEY)


def record_item(item, old_units=()) -> None:
    """Queue an item's change for its units' liaisons (and for units it left: they pull its tombstone)."""
    for unit_id in item_units(item) | set(old_units):
        record_change(ITEM, _get(item, "id"), rules.change_key(unit_id))


def record_evidence(evidence_id: str, item, old_units=()) -> None:
    for unit_id in item_units(item) | set(old_units):
        record_change(EVIDENCE, evidence_id, rules.change_key(unit_id))


def record_rectification(rectification, item, old_units=()) -> None:
    for unit_id in item_units(item) | {_get(rectification, "unit_id")} | set(old_units):
        record_change(RECTIFICATION, _get(rectification, "id"), rules.change_key(unit_id))


def evidence_keys(item) -> list[int]:
    return [rules.change_key(u) for u in sorted(item_units(item))]


def pull_clause(actor: Actor):
    """The change-log rows a liaison's pull reads: creation records under their unit's key, and units."""
    unit_id = unit_of(actor)
    keys = [rules.DIRECTORY_KEY] + ([rules.change_key(unit_id)] if unit_id is not None else [])
    return ChangeLog.entity_type.in_(TYPES) & ChangeLog.area_id.in_(keys)


def pull_visibility(actor: Actor, current: dict):
    """A (type, row) → visible test for one pull page of a liaison, with the page's items loaded at once."""
    access = Access(actor)
    access.preload(row.get("item_id") for (entity_type, _), row in current.items()
                   if entity_type in (EVIDENCE, RECTIFICATION))
    return access.sees


def attachment_readable(actor: Actor, sha256: str) -> bool:
    """Whether evidence the actor may see names this file."""
    if not (is_office(actor) or actor.role == rules.LIAISON):
        return False
    rows = db.session.execute(select(Evidence.item_id, Evidence.unit_id).where(Evidence.sha256 == sha256)).all()
    if is_office(actor):  # the office reads every version's evidence (an item a new version dropped: its history)
        return bool(rows)
    access = Access(actor)
    access.preload(r.item_id for r in rows)
    return any(access.sees(EVIDENCE, {"item_id": r.item_id, "unit_id": r.unit_id}) for r in rows)
