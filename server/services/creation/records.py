"""The creation records as pulls answer them (`data`), and their tables: registered in services/records.py."""

from sqlalchemy import select

from ...models import Category, Evidence, Item, Rectification, Unit
from ...schemas.common import iso_date, iso_utc

# Entity types of the change log (≤ 16 characters); liaisons pull these and nothing else.
UNIT, ITEM, EVIDENCE, RECTIFICATION = "unit", "creation_item", "evidence", "rectification"
TYPES = (UNIT, ITEM, EVIDENCE, RECTIFICATION)
MODELS = {UNIT: Unit, ITEM: Item, EVIDENCE: Evidence, RECTIFICATION: Rectification}
# How a pull loads a type's current rows when it needs more than its own table (an item's category name).
LOADERS = {ITEM: lambda: select(Item.__table__, Category.name.label("category_name"))
           .join(Category, Category.id == Item.category_id)}


def unit_data(r) -> dict:
    return {"id": r["id"], "name": r["name"], "kind": r["kind"], "area_id": r["area_id"]}


def item_data(r) -> dict:
    return {
        "id": r["id"], "category_id": r["category_id"], "category_name": r.get("category_name"),
        "number": r["number"], "content": r["content"], "points": r["points"], "rule": r["rule"],
        "evidence_required": r["evidence_required"], "metric": r["metric"], "lead_unit_id": r["lead_unit_id"],
        "cooperating_unit_ids": r["cooperating_unit_ids"] or [], "deadline": iso_date(r["deadline"]),
        "milestones": r["milestones"] or [], "status": r["status"], "self_score": r["self_score"],
        "estimated_score": r["estimated_score"], "loss_notes": r["loss_notes"],
    }


def evidence_data(r) -> dict:
    return {
        "id": r["id"], "item_id": r["item_id"], "sha256": r["sha256"], "title": r["title"], "note": r["note"],
        "location": r["location"], "taken_at": iso_utc(r["taken_at"]), "unit_id": r["unit_id"],
        "status": r["status"], "review_comment": r["review_comment"], "uploaded_by": r["uploaded_by"],
        "created_at": iso_utc(r["created_at"]),
    }


def rectification_data(r) -> dict:
    return {
        "id": r["id"], "item_id": r["item_id"], "unit_id": r["unit_id"], "description": r["description"],
        "deadline": iso_date(r["deadline"]), "status": r["status"], "created_at": iso_utc(r["created_at"]),
        "closed_at": iso_utc(r["closed_at"]),
    }


SERIALIZERS = {UNIT: unit_data, ITEM: item_data, EVIDENCE: evidence_data, RECTIFICATION: rectification_data}
