"""The responsibility table 责任分解表: items of the current standard with their units, deadline, status and
scores; office changes (assignment, deadline, status, estimate, loss notes → 整改) and a lead unit's own."""

from sqlalchemy import select

from ...domain import creation as rules
from ...extensions import db
from ...models import Evidence, Item, Rectification, Unit
from ...models.base import utcnow
from ..actors import Actor
from ..changes import record_audit
from ..errors import Conflict, InvalidInput
from . import evidence as evidence_service
from . import rectifications as rectification_service
from .access import Access, item_units, record_evidence, record_item, record_rectification, require_creation_role
from .scoring import Table, load_table


def item_view(table: Table, item: dict, access: Access | None = None) -> dict:
    """An item as the table shows it: its fields, its units' names, its score and why, its deadline state,
    its evidence counts and open rectifications."""
    figure = table.figures.get(item["metric"]) if item["metric"] else None
    lead = table.units.get(item["lead_unit_id"])
    cooperating = item["cooperating_unit_ids"] or []
    counts = table.evidence.get(item["id"], {})
    category = next((c for c in table.categories if c.id == item["category_id"]), None)
    return {
        "id": item["id"], "category_id": item["category_id"], "category_name": category.name if category else None,
        "number": item["number"], "content": item["content"], "points": item["points"], "rule": item["rule"],
        "evidence_required": item["evidence_required"], "metric": item["metric"],
        "lead_unit_id": item["lead_unit_id"], "lead_unit_name": lead["name"] if lead else None,
        "cooperating_unit_ids": cooperating,
        "cooperating_unit_names": [table.units[u]["name"] for u in cooperating if u in table.units],
        "deadline": item["deadline"].isoformat() if item["deadline"] else None,
        "milestones": item["milestones"] or [], "status": item["status"], "self_score": item["self_score"],
        "estimated_score": item["estimated_score"], "loss_notes": item["loss_notes"],
        "score": table.score(item),
        "score_rule": rules.metric_rule(figure, item["points"]) if figure is not None else None,
        "metric_rate": figure.rate if figure is not None else None,
        "overdue": rules.is_overdue(item["status"], item["deadline"], table.today),
        "due_soon": rules.is_due_soon(item["status"], item["deadline"], table.today),
        "responsibility": access.responsibility(item) if access is not None and not access.office else None,
        "evidence": {s: counts.get(s, 0) for s in rules.EVIDENCE_STATUSES},
        "open_rectifications": len(table.open_rectifications(item["id"])),
        "version": item["version"],
        "updated_at": item["updated_at"].isoformat(timespec="milliseconds") + "Z",
    }


def list_items(actor: Actor, zone: str, *, category_id=None, unit_id=None, status=None, overdue=None) -> dict:
    """The current table: the office all of it, a liaison their unit's items (lead or cooperating)."""
    require_creation_role(actor)
    access = Access(actor)
    table = load_table(zone)
    items = []
    for item in table.items:
        if not access.sees_item(item):
            continue
        if category_id is not None and item["category_id"] != category_id:
            continue
        if unit_id is not None and unit_id not in item_units(item):
            continue
        if status is not None and item["status"] != status:
            continue
        view = item_view(table, item, access)
        if overdue is not None and view["overdue"] != overdue:
            continue
        items.append(view)
    return {"items": items}


def item_detail(actor: Actor, item_id: str, zone: str) -> dict:
    """An item with its evidence (newest first) and its rectifications."""
    require_creation_role(actor)
    access = Access(actor)
    access.require_item(item_id)
    table = load_table(zone)
    item = next(i for i in table.items if i["id"] == item_id)
    view = item_view(table, item, access)
    view["evidence_list"] = evidence_service.evidence_of_item(item_id)
    view["rectifications"] = rectification_service.rectifications_of_item(item_id, zone)
    return view


def _check_units(changes: dict) -> None:
    named = {changes.get("lead_unit_id"), changes.get("rectification_unit_id"),
             *(changes.get("cooperating_unit_ids") or [])} - {None}
    known = set(db.session.execute(select(Unit.id).where(Unit.id.in_(named))).scalars()) if named else set()
    errors = {key: ["unit not found"] for key in ("lead_unit_id", "rectification_unit_id")
              if changes.get(key) is not None and changes[key] not in known}
    if any(u not in known for u in changes.get("cooperating_unit_ids") or []):
        errors["cooperating_unit_ids"] = ["unit not found"]
    if errors:
        raise InvalidInput("Unknown unit", errors)


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def update_item(actor: Actor, item_id: str, changes: dict, zone: str) -> dict:
    """Office changes, or a lead unit's self-score and status; `version`, when given, must be current.

    A loss note sent with `rectification_deadline` orders a 整改 (owner: `rectification_unit_id`, else the
    lead unit) and, unless the status is set too, marks the item 需整改.
    """
    require_creation_role(actor)
    access = Access(actor)
    item = access.require_item(item_id)
    apply_item_change(actor, access, item, changes)
    db.session.commit()
    return item_detail(actor, item.id, zone)


def apply_item_change(actor: Actor, access: Access, item: Item, changes: dict) -> Rectification | None:
    """Check and apply one change of an item the actor sees, queue its change-log rows and audit, and order
    the 整改 it asks for (returned); the caller commits (an import applies many rows, then commits once)."""
    changes = dict(changes)
    expected = changes.pop("version", None)
    rules.check_item_change(actor.role, access.responsibility(item), changes)
    if expected is not None and expected != item.version:
        raise Conflict("已被他人修改，请刷新 / changed meanwhile, reload", {"version": [str(item.version)]})
    _check_units(changes)
    rules.check_scores(changes, item.points, item.metric)
    if "status" in changes:
        rules.check_status_move(actor.role, item.status, changes["status"])
    current = {c.key: getattr(item, c.key) for c in Item.__table__.columns}
    order = rules.rectification_order(changes, current)
    if order is not None and "status" not in changes:
        changes["status"] = rules.NEEDS_FIX
    fields = {k: v for k, v in changes.items() if not k.startswith("rectification_")}
    if "cooperating_unit_ids" in fields or "lead_unit_id" in fields:
        lead = fields.get("lead_unit_id", item.lead_unit_id)
        cooperating = fields.get("cooperating_unit_ids", item.cooperating_unit_ids) or []
        fields["cooperating_unit_ids"] = [u for u in dict.fromkeys(cooperating) if u != lead]
    if "loss_notes" in fields and fields["loss_notes"] is not None:
        fields["loss_notes"] = fields["loss_notes"].strip() or None
    old_units = item_units(item)
    before = {k: getattr(item, k) for k in fields}
    for key, value in fields.items():
        setattr(item, key, value)
    diff = {k: [_plain(before[k]), _plain(getattr(item, k))] for k in fields if before[k] != getattr(item, k)}
    if diff:
        item.version += 1
        item.updated_at = utcnow()
        db.session.flush()
        record_item(item, old_units)
        if item_units(item) != old_units:
            # Evidence and rectifications follow their item to its new units' phones (and leave the old ones').
            for evidence_id in db.session.execute(select(Evidence.id).where(Evidence.item_id == item.id)).scalars():
                record_evidence(evidence_id, item, old_units)
            for rect in db.session.execute(select(Rectification).where(Rectification.item_id == item.id)).scalars():
                record_rectification(rect, item, old_units)
        record_audit(actor, "creation_item.update", "creation_item", item.id, diff)
    if order is None:
        return None
    return rectification_service.open_rectification(actor, item, order["unit_id"], order["description"],
                                                    order["deadline"], commit=False)
