"""Areas: the county → township → village tree that scopes everything."""

from sqlalchemy import select

from ..errors import ApiError
from ..extensions import db
from ..models import Area
from .actors import Actor
from .changes import record_audit, record_change

CHILD_LEVEL = {"province": "city", "city": "county", "county": "township", "township": "village"}


def create_area(code: str, name: str, level: str, parent_id: int | None = None,
                actor: Actor | None = None, commit: bool = True) -> Area:
    """Add an area under its parent (the path is the parent's plus this id)."""
    if db.session.execute(select(Area.id).where(Area.code == code)).first():
        raise ApiError(409, "code_taken", "This area code exists", {"code": ["already exists"]})
    parent = db.session.get(Area, parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        raise ApiError(422, "validation_error", "Unknown parent", {"parent_id": ["not found"]})
    if parent is not None and CHILD_LEVEL.get(parent.level) != level:
        raise ApiError(422, "validation_error", "Wrong level", {"level": [f"under a {parent.level}"]})
    area = Area(code=code, name=name, level=level, parent_id=parent_id, path="")
    db.session.add(area)
    db.session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    record_change("area", area.id, area.id)
    record_audit(actor, "area.create", "area", area.id, {"code": code})
    if commit:
        db.session.commit()
    return area
