"""Areas: the county → township → village tree that scopes everything."""

from sqlalchemy import select

from ..extensions import db
from ..field_codes import field_codes
from ..models import Area
from .actors import Actor
from .changes import record_audit, record_change
from .errors import AreaCodeTaken, DomainError, InvalidInput

CHILD_LEVEL = {"province": "city", "city": "county", "county": "township", "township": "village"}


def create_area(code: str, name: str, level: str, parent_id: int | None = None,
                actor: Actor | None = None, commit: bool = True) -> Area:
    """Add an area under its parent (the path is the parent's plus this id)."""
    if db.session.execute(select(Area.id).where(Area.code == code)).first():
        raise AreaCodeTaken("This area code exists", {"code": ["already exists"]})
    parent = db.session.get(Area, parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        raise InvalidInput("Unknown parent", {"parent_id": ["not found"]})
    if parent is not None and CHILD_LEVEL.get(parent.level) != level:
        raise InvalidInput("Wrong level", {"level": [f"under a {parent.level}"]})
    area = Area(code=code, name=name, level=level, parent_id=parent_id, path="")
    db.session.add(area)
    db.session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    record_change("area", area.id, area.id)
    record_audit(actor, "area.create", "area", area.id, {"code": code})
    if commit:
        db.session.commit()
    return area


def area_tree(actor: Actor) -> list[dict]:
    """The areas the actor may see (their subtree and its ancestors), flat, ordered by path."""
    from .scope import directory_area_ids

    query = select(Area).order_by(Area.path)
    ids = directory_area_ids(actor)
    if ids is not None:
        query = query.where(Area.id.in_(ids))
    return [{"id": a.id, "code": a.code, "name": a.name, "level": a.level, "parent_id": a.parent_id}
            for a in db.session.execute(query).scalars()]


def import_areas(actor: Actor, rows: list[dict], dry_run: bool = False) -> dict:
    """Create areas from rows of (code, name, level, parent_code); known codes are left alone.

    Rows may come in any order: parents are created first. Unknown parents or levels are row errors. A dry
    run does all of it in the transaction and rolls it back: it answers exactly what the import would do.
    """
    by_code = {a.code: a for a in db.session.execute(select(Area)).scalars()}
    pending = {}
    errors = []
    for index, row in enumerate(rows, start=2):
        code, name = (row.get("code") or "").strip(), (row.get("name") or "").strip()
        level, parent_code = (row.get("level") or "").strip(), (row.get("parent_code") or "").strip() or None
        if not code or not name or level not in CHILD_LEVEL.values() and level not in CHILD_LEVEL:
            errors.append({"row": index, "errors": {"code": ["code, name and level are required"]}})
            continue
        if code in by_code or code in pending:
            continue
        pending[code] = (index, name, level, parent_code)
    created = 0
    progress = True
    while pending and progress:
        progress = False
        for code, (index, name, level, parent_code) in list(pending.items()):
            parent = by_code.get(parent_code) if parent_code else None
            if parent_code and parent is None:
                if parent_code in pending:
                    continue
                errors.append({"row": index, "errors": {"parent_code": ["unknown parent"]}})
                del pending[code]
                continue
            if parent is not None and not (actor.sees_all or parent.path.startswith(actor.area_path)):
                errors.append({"row": index, "errors": {"parent_code": ["outside your scope"]}})
                del pending[code]
                continue
            if parent is None and not actor.sees_all:
                errors.append({"row": index, "errors": {"parent_code": ["required"]}})
                del pending[code]
                continue
            try:
                by_code[code] = create_area(code, name, level, parent.id if parent else None, actor, commit=False)
                created += 1
            except DomainError as err:
                errors.append({"row": index, "errors": err.fields or {"code": [err.message]}})
            del pending[code]
            progress = True
    for index, *_rest in pending.values():
        errors.append({"row": index, "errors": {"parent_code": ["parent cycle or unknown"]}})
    for error in errors:
        error["error_codes"] = field_codes(error["errors"])
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return {"dry_run": dry_run, "created": created, "errors": sorted(errors, key=lambda e: e["row"])}
