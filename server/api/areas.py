"""Areas: the tree the caller may see (their subtree and its ancestors); admins add and import areas."""

import csv
import io

from flask import g

from ..errors import ApiError
from ..schemas.areas import AreaCreateSchema, AreaCsvSchema, AreaImportResultSchema, AreaListSchema, AreaSchema
from ..schemas.recipients import DryRunQuerySchema
from ..services import areas as area_service
from . import Blueprint, roles

bp = Blueprint("areas", __name__, url_prefix="/api", description="The area tree")
ADMIN = ("admin",)
CSV_LIMIT = 2 * 1024 * 1024


@bp.get("/areas")
@bp.response(200, AreaListSchema)
def list_areas():
    """The areas visible to the caller, ordered by path"""
    return {"items": area_service.area_tree(g.actor)}


@bp.post("/admin/areas")
@roles(*ADMIN)
@bp.arguments(AreaCreateSchema)
@bp.response(201, AreaSchema)
def create_area(body):
    """Add an area under its parent"""
    parent_id = body["parent_id"]
    if parent_id is None and not g.actor.sees_all:
        raise ApiError(422, "validation_error", "A parent is required", {"parent_id": ["required"]})
    area = area_service.create_area(body["code"], body["name"], body["level"], parent_id, g.actor)
    return {"id": area.id, "code": area.code, "name": area.name, "level": area.level,
            "parent_id": area.parent_id}


@bp.post("/admin/areas/import")
@roles(*ADMIN)
@bp.arguments(DryRunQuerySchema, location="query", error_status_code=400)
@bp.arguments(AreaCsvSchema, location="files")
@bp.response(200, AreaImportResultSchema)
def import_areas(query, files):
    """Import areas from a CSV of administrative codes: code,name,level,parent_code (UTF-8); ?dry_run=1 only
    checks every row and answers what the import would do"""
    upload = files["file"]
    raw = upload.read(CSV_LIMIT + 1)
    if len(raw) > CSV_LIMIT:
        raise ApiError(413, "payload_too_large", "The CSV is limited to 2 MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as err:
            raise ApiError(422, "validation_error", "Not a text CSV",
                           {"file": ["not UTF-8 or GB18030"]}) from err
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and not {"code", "name", "level"} <= set(rows[0]):
        raise ApiError(422, "validation_error", "Columns: code,name,level,parent_code",
                       {"file": ["missing columns"]})
    return area_service.import_areas(g.actor, rows, dry_run=query["dry_run"])
