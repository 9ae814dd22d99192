"""Evaluation standards 考评标准: a new version made from a category → item tree becomes the current one.

`create_standard` is what an import of the county's workbook calls once it has read the rows; carrying the
previous version's assignments over by item number keeps the responsibility table when only wording changed.
"""

import uuid
from datetime import date

from sqlalchemy import func, select, update

from ...domain import creation as rules
from ...extensions import db
from ...models import Campaign, Category, Item, Unit
from ...models.base import utcnow
from ...models.creation import Standard
from ..actors import Actor
from ..changes import record_audit
from ..errors import InvalidInput
from .access import current_standard, record_item

CARRIED = ("lead_unit_id", "cooperating_unit_ids", "deadline", "milestones")


def _check_references(categories: list[dict]) -> None:
    """Units and campaigns an item names exist."""
    units = set(db.session.execute(select(Unit.id)).scalars())
    campaigns = {rules.metric_campaign(i["metric"]) for c in categories for i in c["items"] if i.get("metric")}
    campaigns.discard(None)
    known = set(db.session.execute(select(Campaign.id).where(Campaign.id.in_(campaigns))).scalars()) \
        if campaigns else set()
    errors: dict = {}
    for c_index, category in enumerate(categories):
        for i_index, item in enumerate(category["items"]):
            found = {}
            named = [item.get("lead_unit_id"), *(item.get("cooperating_unit_ids") or [])]
            if any(u is not None and u not in units for u in named):
                found["lead_unit_id" if item.get("lead_unit_id") not in units else "cooperating_unit_ids"] = \
                    ["unit not found"]
            campaign = rules.metric_campaign(item["metric"]) if item.get("metric") else None
            if campaign is not None and campaign not in known:
                found["metric"] = ["campaign not found"]
            if found:
                errors.setdefault(c_index, {}).setdefault("items", {})[i_index] = found
    if errors:
        raise InvalidInput("Invalid standard", {"categories": errors})


def check_standard(categories: list[dict]) -> None:
    """The tree's rules (domain) and its references; InvalidInput naming the rows at fault."""
    errors = rules.standard_errors(categories)
    if errors:
        raise InvalidInput("Invalid standard", errors)
    _check_references(categories)


def create_standard(actor: Actor | None, name: str, target: float, categories: list[dict],
                    period_start: date | None = None, period_end: date | None = None, carry_over: bool = True,
                    commit: bool = True) -> Standard:
    """Make the next version current: categories [{name, max_points, items: [{number, content, points, rule,
    evidence_required, metric, lead_unit_id?, cooperating_unit_ids?, deadline?, milestones?}]}].

    Items of the previous version leave liaisons' phones; with `carry_over`, an item whose number the previous
    version had keeps its units, deadline and milestones unless the new row names its own.
    """
    check_standard(categories)
    if target > rules.max_total(categories):
        raise InvalidInput("Invalid standard", {"target": ["more than the standard's points"]})
    previous = current_standard()
    carried: dict[str, dict] = {}
    if previous is not None:
        for row in db.session.execute(select(Item.__table__).where(Item.standard_id == previous.id)).mappings():
            carried[row["number"]] = dict(row)
            record_item(row)  # a tombstone for its liaisons: it is no longer current
        db.session.execute(update(Standard).where(Standard.id == previous.id).values(is_current=False))
        db.session.flush()
    version = (db.session.execute(select(func.max(Standard.version))).scalar_one() or 0) + 1
    standard = Standard(name=name, version=version, is_current=True, target=target, period_start=period_start,
                        period_end=period_end, created_by=actor.user_id if actor else None, created_at=utcnow())
    db.session.add(standard)
    db.session.flush()
    now = utcnow()
    items = []
    for c_index, category in enumerate(categories):
        row = Category(standard_id=standard.id, name=category["name"], max_points=category["max_points"],
                       position=c_index)
        db.session.add(row)
        db.session.flush()
        for i_index, item in enumerate(category["items"]):
            old = carried.get(item["number"]) if carry_over else None
            values = {key: item.get(key) for key in CARRIED}
            if old is not None:
                values = {key: values[key] if values[key] not in (None, []) else old[key] for key in CARRIED}
            lead = values["lead_unit_id"]
            items.append(Item(
                id=item.get("id") or str(uuid.uuid4()), standard_id=standard.id, category_id=row.id,
                number=item["number"], position=i_index, content=item["content"], points=item["points"],
                rule=item.get("rule"), evidence_required=item.get("evidence_required"), metric=item.get("metric"),
                lead_unit_id=lead, cooperating_unit_ids=[u for u in dict.fromkeys(values["cooperating_unit_ids"] or [])
                                                         if u != lead],
                deadline=values["deadline"], milestones=values["milestones"] or [], status="not_started",
                created_at=now, updated_at=now, version=1))
    db.session.add_all(items)
    db.session.flush()
    for item in items:
        record_item(item)
    record_audit(actor, "standard.create", "standard", standard.id,
                 {"version": version, "items": len(items), "carried_over": bool(previous and carry_over)})
    if commit:
        db.session.commit()
    return standard


def standard_tree(standard: Standard | None = None) -> dict | None:
    """The current standard (or the one given) as a tree: categories with their items, in order."""
    standard = standard or current_standard()
    if standard is None:
        return None
    categories = db.session.execute(select(Category).where(Category.standard_id == standard.id)
                                    .order_by(Category.position, Category.id)).scalars().all()
    items = db.session.execute(select(Item).where(Item.standard_id == standard.id)
                               .order_by(Item.position, Item.number)).scalars().all()
    by_category: dict[int, list] = {}
    for item in items:
        by_category.setdefault(item.category_id, []).append({
            "id": item.id, "number": item.number, "content": item.content, "points": item.points,
            "rule": item.rule, "evidence_required": item.evidence_required, "metric": item.metric})
    return {
        "id": standard.id, "name": standard.name, "version": standard.version, "target": standard.target,
        "period_start": standard.period_start.isoformat() if standard.period_start else None,
        "period_end": standard.period_end.isoformat() if standard.period_end else None,
        "max_total": rules.max_total({"max_points": c.max_points} for c in categories),
        "categories": [{"id": c.id, "name": c.name, "max_points": c.max_points,
                        "items": by_category.get(c.id, [])} for c in categories],
    }
