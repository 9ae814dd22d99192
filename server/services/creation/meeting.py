"""The daily meeting 每日例会: what changed in the campaign since yesterday, read from the audit log (every
write of the office, of liaisons and of phones' pushes is there): status changes and other item changes,
new evidence and its reviews, rectifications ordered and closed."""

from datetime import datetime, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import AuditLog, Evidence, Item, Rectification, Unit, User
from ...models.base import utcnow
from ...schemas.common import iso_utc
from ..timezone import local_day_start_utc, local_today
from .records import EVIDENCE, ITEM, RECTIFICATION

LIMIT = 500  # entries of each kind


def meeting(zone: str, since: datetime | None = None, now: datetime | None = None) -> dict:
    """Changes since `since` (default: the start of yesterday, local), oldest first."""
    now = now or utcnow()
    since = since or local_day_start_utc(local_today(zone, now) - timedelta(days=1), zone)
    rows = db.session.execute(
        select(AuditLog, User.display_name).outerjoin(User, User.id == AuditLog.user_id)
        .where(AuditLog.at >= since, AuditLog.at <= now, AuditLog.entity_type.in_((ITEM, EVIDENCE, RECTIFICATION)))
        .order_by(AuditLog.at, AuditLog.id)
    ).all()
    evidence_ids = {log.entity_id for log, _ in rows if log.entity_type == EVIDENCE}
    rect_ids = {log.entity_id for log, _ in rows if log.entity_type == RECTIFICATION}
    evidence = {e.id: (e, number, unit) for e, number, unit in db.session.execute(
        select(Evidence, Item.number, Unit.name).join(Item, Item.id == Evidence.item_id)
        .join(Unit, Unit.id == Evidence.unit_id).where(Evidence.id.in_(evidence_ids)))} if evidence_ids else {}
    rects = {r.id: (r, number, unit) for r, number, unit in db.session.execute(
        select(Rectification, Item.number, Unit.name).join(Item, Item.id == Rectification.item_id)
        .join(Unit, Unit.id == Rectification.unit_id).where(Rectification.id.in_(rect_ids)))} if rect_ids else {}
    item_ids = {log.entity_id for log, _ in rows if log.entity_type == ITEM}
    item_ids |= {e.item_id for e, _, _ in evidence.values()}
    items = {i.id: i for i in db.session.execute(select(Item).where(Item.id.in_(item_ids))).scalars()} \
        if item_ids else {}
    out = {"item_changes": [], "new_evidence": [], "reviews": [], "new_rectifications": [],
           "closed_rectifications": []}
    for log, by in rows:
        base = {"at": iso_utc(log.at), "by": by}
        if log.action == "creation_item.update" and log.entity_id in items:
            item = items[log.entity_id]
            out["item_changes"].append({**base, "item_id": item.id, "number": item.number, "content": item.content,
                                        "changes": log.details or {}})
        elif log.action == "evidence.create" and log.entity_id in evidence:
            e, number, unit = evidence[log.entity_id]
            out["new_evidence"].append({**base, "evidence_id": e.id, "item_id": e.item_id, "number": number,
                                        "title": e.title, "unit_name": unit, "status": e.status})
        elif log.action == "evidence.review" and log.entity_id in evidence:
            e, number, unit = evidence[log.entity_id]
            out["reviews"].append({**base, "evidence_id": e.id, "item_id": e.item_id, "number": number,
                                   "title": e.title, "unit_name": unit,
                                   "decision": (log.details or {}).get("decision")})
        elif log.action in ("rectification.create", "rectification.close") and log.entity_id in rects:
            r, number, unit = rects[log.entity_id]
            key = "new_rectifications" if log.action.endswith("create") else "closed_rectifications"
            out[key].append({**base, "rectification_id": r.id, "item_id": r.item_id, "number": number,
                             "unit_name": unit, "description": r.description, "deadline": r.deadline.isoformat()})
    status_changes = [c for c in out["item_changes"] if "status" in c["changes"]]
    summary = {"status_changes": len(status_changes), "item_changes": len(out["item_changes"]),
               "new_evidence": len(out["new_evidence"]),
               "accepted": sum(1 for r in out["reviews"] if r["decision"] == "accept"),
               "returned": sum(1 for r in out["reviews"] if r["decision"] == "return"),
               "new_rectifications": len(out["new_rectifications"]),
               "closed_rectifications": len(out["closed_rectifications"])}
    return {"since": iso_utc(since), "until": iso_utc(now), "summary": summary,
            **{key: value[-LIMIT:] for key, value in out.items()}}
