"""Evaluation standards 考评标准: a new version made from a category → item tree becomes the current one.

`create_standard` is what an import of the county's workbook calls once it has read the rows; it carries the
previous version's work over by item number (assignments, status, scores, evidence, rectifications: the rule is
`domain.creation.carried_work`) and records what changed. Earlier versions stay readable to the office
(`versions`, `version_tree`, `item_history`): an item a new version dropped keeps its records there.
"""

import uuid
from datetime import date

from sqlalchemy import func, select, update

from ...domain import creation as rules
from ...extensions import db
from ...models import Campaign, Category, Evidence, Item, Rectification, Unit
from ...models.base import utcnow
from ...models.creation import Standard
from ...schemas.common import iso_utc
from ..actors import Actor
from ..changes import record_audit
from ..errors import Forbidden, InvalidInput, NotFound
from .access import current_standard, is_office, item_units, record_evidence, record_item, record_rectification
from .evidence import evidence_of_item
from .rectifications import rectifications_of_item

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

    With `carry_over`, an item whose number (序号) the previous version had carries its work on (the county
    re-issues its 考评细则 mid-campaign and must not lose it): its units, deadline and milestones unless the
    new row names its own; its status, scores and loss notes by `rules.carried_work` (all of them when the
    item is unchanged; when its text or points changed, the notes stay, the scores go and a reviewed item is
    待审核 again); and its evidence and rectifications, which move to the new item (liaisons' phones hear).
    An item the new version drops keeps its records under the old version, read-only. `Standard.changes`
    records what was added, removed, changed and carried.
    """
    check_standard(categories)
    if target > rules.max_total(categories):
        raise InvalidInput("Invalid standard", {"target": ["more than the standard's points"]})
    previous = current_standard()
    old_items: dict[str, dict] = {}
    if previous is not None:
        for row in db.session.execute(select(Item.__table__).where(Item.standard_id == previous.id)).mappings():
            old_items[row["number"]] = dict(row)
            record_item(row)  # a tombstone for its liaisons: it is no longer current
        db.session.execute(update(Standard).where(Standard.id == previous.id).values(is_current=False))
        db.session.flush()
    evidence = _records(Evidence, old_items)
    rects = _records(Rectification, old_items)
    version = (db.session.execute(select(func.max(Standard.version))).scalar_one() or 0) + 1
    standard = Standard(name=name, version=version, is_current=True, target=target, period_start=period_start,
                        period_end=period_end, created_by=actor.user_id if actor else None, created_at=utcnow())
    db.session.add(standard)
    db.session.flush()
    now = utcnow()
    items, moves = [], []
    changes: dict = {"previous_version": previous.version if previous else None, "carry_over": carry_over,
                     "added": [], "removed": [], "changed": [], "carried": []}
    for c_index, category in enumerate(categories):
        row = Category(standard_id=standard.id, name=category["name"], max_points=category["max_points"],
                       position=c_index)
        db.session.add(row)
        db.session.flush()
        for i_index, item in enumerate(category["items"]):
            old = old_items.get(item["number"]) if carry_over else None
            values = {key: item.get(key) for key in CARRIED}
            work = {"status": "not_started", "self_score": None, "estimated_score": None, "loss_notes": None}
            new_id = item.get("id") or str(uuid.uuid4())
            if old is not None:
                values = {key: values[key] if values[key] not in (None, []) else old[key] for key in CARRIED}
                changed = rules.changed_fields(old, item)
                pieces = evidence.get(old["id"], [])
                work = rules.carried_work(old, changed, len(pieces))
                moves.append((old, new_id))
                entry = {"number": item["number"], "item_id": new_id, "previous_item_id": old["id"],
                         "content": item["content"], "status": work["status"],
                         "previous_status": old["status"], "evidence": len(pieces),
                         "rectifications": len(rects.get(old["id"], []))}
                if changed:
                    entry.update(fields=changed, before={f: old[f] for f in changed},
                                 after={f: item.get(f) for f in changed},
                                 previous_self_score=old["self_score"],
                                 previous_estimated_score=old["estimated_score"])
                    changes["changed"].append(entry)
                else:
                    changes["carried"].append(entry)
            else:
                changes["added"].append({"number": item["number"], "item_id": new_id, "content": item["content"],
                                         "points": item["points"]})
            lead = values["lead_unit_id"]
            items.append(Item(
                id=new_id, standard_id=standard.id, category_id=row.id,
                number=item["number"], position=i_index, content=item["content"], points=item["points"],
                rule=item.get("rule"), evidence_required=item.get("evidence_required"), metric=item.get("metric"),
                lead_unit_id=lead, cooperating_unit_ids=[u for u in dict.fromkeys(values["cooperating_unit_ids"] or [])
                                                         if u != lead],
                deadline=values["deadline"], milestones=values["milestones"] or [], created_at=now, updated_at=now,
                version=1, previous_item_id=old["id"] if old is not None else None, **work))
    kept = {old["id"] for old, _ in moves}
    for old in old_items.values():
        if old["id"] not in kept:
            changes["removed"].append({
                "number": old["number"], "item_id": old["id"], "content": old["content"], "points": old["points"],
                "status": old["status"], "estimated_score": old["estimated_score"],
                "evidence": len(evidence.get(old["id"], [])),
                "open_rectifications": sum(1 for r in rects.get(old["id"], []) if r["status"] == "open")})
            # Its records stay with it, under the old version: liaisons' phones drop them with the item.
            for piece in evidence.get(old["id"], []):
                record_evidence(piece["id"], old)
            for rect in rects.get(old["id"], []):
                record_rectification(rect, old)
    changes["removed"].sort(key=lambda e: _number_key(e["number"]))
    standard.changes = changes if previous is not None else None
    db.session.add_all(items)
    db.session.flush()
    by_id = {item.id: item for item in items}
    for old, new_id in moves:
        _move_records(old, by_id[new_id], evidence.get(old["id"], []), rects.get(old["id"], []), now)
    for item in items:
        record_item(item)
    record_audit(actor, "standard.create", "standard", standard.id,
                 {"version": version, "items": len(items), "carried_over": bool(previous and carry_over),
                  **{key: len(changes[key]) for key in ("added", "removed", "changed", "carried")}})
    if commit:
        db.session.commit()
    return standard


def preview_changes(categories: list[dict]) -> dict | None:
    """What making this tree the next version would do to the current one (a dry run's answer): how many items
    it adds, removes, changes and carries as they are; None without a current version."""
    previous = current_standard()
    if previous is None:
        return None
    columns = [Item.number, *(getattr(Item, f) for f in rules.VERSIONED_FIELDS)]
    old = {row["number"]: row for row in db.session.execute(
        select(*columns).where(Item.standard_id == previous.id)).mappings()}
    new = {item["number"]: item for category in categories for item in category["items"]}
    kept = [number for number in new if number in old]
    changed = sum(1 for number in kept if rules.changed_fields(old[number], new[number]))
    return {"added": len(new) - len(kept), "removed": len(old) - len(kept), "changed": changed,
            "carried": len(kept) - changed}


def _number_key(number: str) -> tuple:
    """序号 in reading order: 2.10 after 2.9."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in number.split("."))


def _records(model, old_items: dict[str, dict]) -> dict[str, list[dict]]:
    """Evidence or rectifications of the previous version's items: item id → [{id, status}]."""
    found: dict[str, list[dict]] = {}
    ids = [row["id"] for row in old_items.values()]
    if not ids:
        return found
    query = (select(model.id, model.item_id, model.unit_id, model.status).where(model.item_id.in_(ids))
             .order_by(model.created_at, model.id))
    for row in db.session.execute(query).mappings():
        found.setdefault(row["item_id"], []).append(dict(row))
    return found


def _move_records(old: dict, item: Item, evidence: list[dict], rects: list[dict], now) -> None:
    """The previous item's evidence and rectifications now belong to its successor (new version, same place
    in the change log), and the phones of every unit that had or has the item hear of it."""
    old_units = item_units(old)
    if evidence:
        db.session.execute(update(Evidence).where(Evidence.item_id == old["id"])
                           .values(item_id=item.id, updated_at=now, version=Evidence.version + 1))
        for piece in evidence:
            record_evidence(piece["id"], item, old_units)
    if rects:
        db.session.execute(update(Rectification).where(Rectification.item_id == old["id"])
                           .values(item_id=item.id, updated_at=now, version=Rectification.version + 1))
        for rect in rects:
            record_rectification(rect, item, old_units)


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
        "is_current": standard.is_current, "created_at": iso_utc(standard.created_at), "changes": standard.changes,
        "period_start": standard.period_start.isoformat() if standard.period_start else None,
        "period_end": standard.period_end.isoformat() if standard.period_end else None,
        "max_total": rules.max_total({"max_points": c.max_points} for c in categories),
        "categories": [{"id": c.id, "name": c.name, "max_points": c.max_points,
                        "items": by_category.get(c.id, [])} for c in categories],
    }


# -- earlier versions, read-only (the office) ------------------------------------------------------------


def _require_office(actor: Actor) -> None:
    if not is_office(actor):
        raise Forbidden("只有双拥办可以查看历史版本 / only the office reads earlier versions")


def versions(actor: Actor) -> dict:
    """Every version, newest first, with how many items it added, removed, changed and carried."""
    _require_office(actor)
    rows = db.session.execute(select(Standard).order_by(Standard.version.desc())).scalars().all()
    counts = dict(db.session.execute(select(Item.standard_id, func.count()).group_by(Item.standard_id)).all())
    return {"items": [{
        "id": s.id, "name": s.name, "version": s.version, "is_current": s.is_current, "target": s.target,
        "created_at": iso_utc(s.created_at), "items": counts.get(s.id, 0),
        "summary": {key: len((s.changes or {}).get(key) or []) for key in ("added", "removed", "changed", "carried")}
        if s.changes is not None else None,
    } for s in rows]}


def version_tree(actor: Actor, version: int) -> dict:
    _require_office(actor)
    standard = db.session.execute(select(Standard).where(Standard.version == version)).scalar_one_or_none()
    if standard is None:
        raise NotFound("No such version")
    return standard_tree(standard)


def item_history(actor: Actor, zone: str, item_id: str) -> dict:
    """An item of any version as it stands (an earlier version's: as it was left), with the evidence and
    rectifications still linked to it (an item a later version dropped keeps them here)."""
    _require_office(actor)
    row = db.session.execute(select(Item, Category.name, Standard.version, Standard.is_current)
                             .join(Category, Category.id == Item.category_id)
                             .join(Standard, Standard.id == Item.standard_id).where(Item.id == item_id)).one_or_none()
    if row is None:
        raise NotFound("No such item")
    item, category_name, version, is_current = row
    return {
        "id": item.id, "number": item.number, "content": item.content, "points": item.points, "rule": item.rule,
        "category_name": category_name, "standard_version": version, "is_current": is_current,
        "status": item.status, "self_score": item.self_score, "estimated_score": item.estimated_score,
        "loss_notes": item.loss_notes, "lead_unit_id": item.lead_unit_id,
        "deadline": item.deadline.isoformat() if item.deadline else None,
        "evidence_list": evidence_of_item(item.id), "rectifications": rectifications_of_item(item.id, zone),
    }
