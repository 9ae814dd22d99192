"""The synced record types: their tables, how each is turned into pull `data`, and where it lives."""

from ..models import Area, Campaign, Difficulty, FollowUp, Recipient, User, Visit
from ..schemas.common import iso_date, iso_utc, mask_id_number
from .creation import records as creation

MODELS = {
    "area": Area,
    "user": User,
    "recipient": Recipient,
    "visit": Visit,
    "difficulty": Difficulty,
    "followup": FollowUp,
    "campaign": Campaign,
    **creation.MODELS,
}
# The creation campaign's records: scoped by unit (services/creation/access.py), not by area.
UNIT_SCOPED = creation.TYPES
# How a pull loads a type's rows when its table alone is not enough (default: the table).
LOADERS = creation.LOADERS
# Types whose ids are integers (the change log keeps every id as text).
INTEGER_KEYS = ("area", "user", creation.UNIT)
# Directory types are visible in the subtree and to its ancestors' users; record types only in the subtree.
DIRECTORY_TYPES = ("area", "user", "campaign")


def area_data(r) -> dict:
    return {"id": r["id"], "code": r["code"], "name": r["name"], "level": r["level"],
            "parent_id": r["parent_id"]}


def user_data(r) -> dict:
    return {"id": r["id"], "display_name": r["display_name"]}


def recipient_data(r, reveal: bool = False) -> dict:
    return {
        "id": r["id"], "name": r["name"], "gender": r["gender"],
        "id_number": r["id_number"] if reveal else mask_id_number(r["id_number"]),
        "phone": r["phone"], "address": r["address"], "area_id": r["area_id"], "category": r["category"],
        "tags": r["tags"] or [], "notes": r["notes"],
    }


def visit_data(r) -> dict:
    return {
        "id": r["id"], "recipient_id": r["recipient_id"], "author_id": r["author_id"], "area_id": r["area_id"],
        "visited_at": iso_utc(r["visited_at"]), "kind": r["kind"], "occasion": r["occasion"],
        "participants": r["participants"], "gifts": r["gifts"], "cash_cents": r["cash_cents"],
        "notes": r["notes"], "location": r["location"], "photos": r["photos"] or [],
        "signature": r["signature"], "no_signature_reason": r["no_signature_reason"],
        "status": r["status"], "review_comment": r["review_comment"],
    }


def difficulty_data(r) -> dict:
    return {
        "id": r["id"], "recipient_id": r["recipient_id"], "visit_id": r["visit_id"],
        "author_id": r["author_id"], "area_id": r["area_id"], "category": r["category"],
        "description": r["description"], "urgency": r["urgency"], "status": r["status"],
        "assignee_id": r["assignee_id"], "responsible_unit": r["responsible_unit"],
        "assignments": r.get("assignments") or [],
        "due_date": iso_date(r["due_date"]), "follow_up_at": iso_utc(r["follow_up_at"]),
        "resolved_at": iso_utc(r["resolved_at"]), "created_at": iso_utc(r["created_at"]),
    }


def followup_data(r) -> dict:
    return {
        "id": r["id"], "difficulty_id": r["difficulty_id"], "author_id": r["author_id"], "at": iso_utc(r["at"]),
        "note": r["note"], "status": r["status"], "next_follow_up_at": iso_utc(r["next_follow_up_at"]),
    }


def campaign_data(r) -> dict:
    return {
        "id": r["id"], "name": r["name"], "starts_on": iso_date(r["starts_on"]),
        "ends_on": iso_date(r["ends_on"]), "categories": r["categories"] or [], "area_id": r["area_id"],
    }


SERIALIZERS = {
    "area": area_data,
    "user": user_data,
    "recipient": recipient_data,
    "visit": visit_data,
    "difficulty": difficulty_data,
    "followup": followup_data,
    "campaign": campaign_data,
    **creation.SERIALIZERS,
}


def row_dict(obj) -> dict:
    """An ORM object's columns as a dict (the shape the serializers and the sync planner use)."""
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def scope_area(entity_type: str, r) -> int | None:
    """The area that decides who sees this record (None for the creation records: units scope them)."""
    return r["id"] if entity_type == "area" else r.get("area_id")


def entity(entity_type: str, r) -> dict:
    """A record as a pull change / push result entity."""
    return {"type": entity_type, "id": str(r["id"]), "version": r["version"], "deleted": False,
            "data": SERIALIZERS[entity_type](r)}


def tombstone(entity_type: str, entity_id, version: int = 0) -> dict:
    return {"type": entity_type, "id": str(entity_id), "version": version, "deleted": True, "data": None}
