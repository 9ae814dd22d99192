"""Evidence 档案资料: a file uploaded first through /api/attachments, offered for an item by a unit (from the
PC here, from the phone through the sync op `evidence.create`, which plans the same row), then reviewed by
the office: accepted, or returned with what is missing."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ...domain import creation as rules
from ...extensions import db
from ...models import Attachment, Evidence, Item, Unit, User
from ...models.base import utcnow
from ...schemas.common import iso_utc
from ..actors import Actor
from ..attachments import namable_attachments
from ..changes import record_audit
from ..errors import Forbidden, IdTaken, InvalidInput, MissingAttachment, NotFound
from .access import Access, evidence_keys, item_units, record_evidence, require_creation_role
from .records import EVIDENCE
from .reminders import notify_evidence_returned

Uploader = aliased(User)


def evidence_row(access: Access, data: dict, attachments, now) -> tuple[dict, list[int]]:
    """The row a new piece of evidence is stored as, and its change-log keys; the checks both paths share.

    `data` is a loaded EvidenceSchema record (id, item_id, sha256, title, note, location, taken_at, and, from
    the office, perhaps unit_id); `attachments` tells whether the server holds a file (a set of hashes, or a
    function). A liaison offers evidence for their own unit, on an item it leads or cooperates on; the office
    on behalf of the unit it names, else the item's lead unit.
    """
    # Queued offline for an item the standard has since been re-issued with: the item that carries it on.
    item = access.current_successor(data["item_id"])
    if not access.sees_item(item):
        raise NotFound("The item is unknown or not your unit's", {"item_id": ["not found"]})
    if access.office:
        unit_id = data.get("unit_id") or item["lead_unit_id"]
        if unit_id is None:
            raise InvalidInput("Invalid evidence", {"unit_id": ["required when the item has no lead unit"]})
        if unit_id not in item_units(item):
            raise InvalidInput("Invalid evidence", {"unit_id": ["not a unit responsible for this item"]})
    else:
        unit_id = access.unit_id
        if data.get("unit_id") not in (None, unit_id):
            raise InvalidInput("Invalid evidence", {"unit_id": ["cannot change"]})
    if not data["title"].strip():
        raise InvalidInput("Invalid evidence", {"title": ["Shorter than minimum length 1."]})
    held = attachments(data["sha256"]) if callable(attachments) else data["sha256"] in attachments
    if not held:
        raise MissingAttachment("Upload the attachments first", {"attachments": [data["sha256"]]})
    row = {"id": data["id"], "item_id": item["id"], "unit_id": unit_id, "sha256": data["sha256"],
           "title": data["title"].strip(), "note": data.get("note"), "status": "submitted", "review_comment": None,
           "reviewed_by": None, "reviewed_at": None, "uploaded_by": access.actor.user_id,
           "location": data.get("location"), "taken_at": data.get("taken_at"), "created_at": now,
           "updated_at": now, "version": 1}
    return row, evidence_keys(item)


def _namable(actor: Actor):
    """The attachment check of every record: the caller sent the bytes or sees a record naming them (else the
    file answers as missing, so nobody learns another township's file exists)."""
    return lambda sha256: sha256 in namable_attachments(actor, {sha256})


def add_evidence(actor: Actor, item_id: str, data: dict) -> dict:
    """Attach an uploaded file to an item (a liaison of a responsible unit, or the office)."""
    require_creation_role(actor)
    access = Access(actor)
    access.require_item(item_id)
    evidence = create_evidence(access, {**data, "item_id": item_id})
    db.session.commit()
    return evidence_detail(evidence.id)


def create_evidence(access: Access, data: dict, now=None) -> Evidence:
    """Store a piece of evidence (checked by `evidence_row`), queue its change-log rows and audit; the caller
    commits."""
    data = {**data, "id": data.get("id") or str(uuid.uuid4())}
    if db.session.get(Evidence, data["id"]) is not None:
        raise IdTaken("This id belongs to another record", {"id": ["already used"]})
    row, _ = evidence_row(access, data, _namable(access.actor), now or utcnow())
    evidence = Evidence(**row)
    db.session.add(evidence)
    db.session.flush()
    record_evidence(evidence.id, access.item(row["item_id"]))
    record_audit(access.actor, "evidence.create", "evidence", evidence.id,
                 {"item_id": row["item_id"], "unit_id": row["unit_id"]})
    return evidence


def review_evidence(actor: Actor, evidence_id: str, decision: str, comment: str | None) -> dict:
    """The office accepts a submitted piece, or returns it saying what is missing (its uploader hears)."""
    access = Access(actor)
    if not access.office:
        raise Forbidden("只有双拥办可以审核 / only the office reviews evidence")
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None or not access.sees(EVIDENCE, evidence):
        raise NotFound("No such evidence")
    apply_review(access, evidence, decision, comment)
    db.session.commit()
    return evidence_detail(evidence.id)


def apply_review(access: Access, evidence: Evidence, decision: str, comment: str | None, now=None) -> None:
    """Review a piece (domain transition), queue its change, audit and notification; the caller commits."""
    actor = access.actor
    status, comment = rules.review_evidence(evidence.status, decision, comment)
    now = now or utcnow()
    evidence.status, evidence.review_comment = status, comment
    evidence.reviewed_by, evidence.reviewed_at, evidence.updated_at = actor.user_id, now, now
    evidence.version += 1
    db.session.flush()
    record_evidence(evidence.id, access.item(evidence.item_id))
    record_audit(actor, "evidence.review", "evidence", evidence.id, {"decision": decision, "status": status})
    if status == "returned":
        notify_evidence_returned(evidence.id, evidence.item_id, evidence.uploaded_by, evidence.version)


def _query():
    return (select(Evidence, Item.number, Unit.name, Uploader.display_name, Attachment.content_type,
                   Attachment.size)
            .join(Item, Item.id == Evidence.item_id).join(Unit, Unit.id == Evidence.unit_id)
            .join(Uploader, Uploader.id == Evidence.uploaded_by)
            .join(Attachment, Attachment.sha256 == Evidence.sha256))


def _json(row) -> dict:
    evidence, number, unit_name, uploader_name, content_type, size = row
    return {
        "id": evidence.id, "item_id": evidence.item_id, "item_number": number, "sha256": evidence.sha256,
        "title": evidence.title, "note": evidence.note, "location": evidence.location,
        "taken_at": iso_utc(evidence.taken_at), "unit_id": evidence.unit_id, "unit_name": unit_name,
        "status": evidence.status, "review_comment": evidence.review_comment,
        "reviewed_at": iso_utc(evidence.reviewed_at), "uploaded_by": evidence.uploaded_by,
        "uploader_name": uploader_name, "content_type": content_type, "size": size,
        "created_at": iso_utc(evidence.created_at), "version": evidence.version,
    }


def evidence_detail(evidence_id: str) -> dict:
    return _json(db.session.execute(_query().where(Evidence.id == evidence_id)).one())


def evidence_of_item(item_id: str) -> list[dict]:
    rows = db.session.execute(_query().where(Evidence.item_id == item_id)
                              .order_by(Evidence.created_at.desc(), Evidence.id)).all()
    return [_json(r) for r in rows]


def list_evidence(actor: Actor, *, item_id=None, unit_id=None, status=None, page=1, per_page=50) -> dict:
    """Evidence of the current standard the actor sees; the review queue is `status=submitted`, oldest first."""
    require_creation_role(actor)
    access = Access(actor)
    filters = [Item.standard_id == access.current_id]
    if not access.office:
        visible = [i for i, in db.session.execute(select(Item.id).where(Item.standard_id == access.current_id,
                                                                         Item.lead_unit_id == access.unit_id))]
        visible += [i for i, units in db.session.execute(
            select(Item.id, Item.cooperating_unit_ids).where(Item.standard_id == access.current_id))
            if access.unit_id in (units or [])]
        filters.append(Evidence.item_id.in_(visible))
    for column, value in ((Evidence.item_id, item_id), (Evidence.unit_id, unit_id), (Evidence.status, status)):
        if value is not None:
            filters.append(column == value)
    total = db.session.execute(select(func.count()).select_from(Evidence).join(Item, Item.id == Evidence.item_id)
                               .where(*filters)).scalar_one()
    order = (Evidence.created_at, Evidence.id) if status == "submitted" else (Evidence.created_at.desc(), Evidence.id)
    rows = db.session.execute(_query().where(*filters).order_by(*order)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [_json(r) for r in rows], "total": total, "page": page, "per_page": per_page}
