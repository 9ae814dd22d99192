"""Recipients (office): the roster import and its template."""

from flask import Blueprint, g, request, send_file
from marshmallow import Schema, fields

from ..errors import ApiError
from ..services import imports
from . import doc, roles

bp = Blueprint("recipients", __name__, url_prefix="/api/recipients")


class ImportQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "1: check only, write nothing"})


class ImportRowSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "the sheet's row number"})
    ok = fields.Boolean(required=True)
    action = fields.String(metadata={"description": "created / updated / unchanged (ok rows)"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ImportResultSchema(Schema):
    dry_run = fields.Boolean(required=True)
    valid = fields.Integer(required=True)
    invalid = fields.Integer(required=True)
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    rows = fields.List(fields.Nested(ImportRowSchema), required=True)


def _dry_run() -> bool:
    value = request.args.get("dry_run", "0").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ApiError(400, "bad_request", "dry_run must be 1 or 0", {"dry_run": ["must be 1 or 0"]})


@bp.post("/import")
@roles("reviewer", "admin")
@doc("Import recipients from a multipart `file` (.xlsx or .csv); ?dry_run=1 only checks every row",
     query=ImportQuerySchema, response=ImportResultSchema, roles=("reviewer", "admin"),
     content_type="multipart/form-data")
def import_recipients():
    dry_run = _dry_run()
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(422, "validation_error", "Send the roster as multipart field `file`",
                       {"file": ["必填 / required"]})
    try:
        content = upload.read()
    finally:
        upload.close()  # a large upload is spooled to a temporary file: let it go now
    if not content:
        raise ApiError(422, "validation_error", "The file is empty", {"file": ["文件为空 / empty"]})
    return imports.import_recipients(g.actor, upload.filename or "", content, dry_run)


@bp.get("/import-template.xlsx")
@roles("reviewer", "admin")
@doc("The import template: header row, code sheet (categories, villages in scope), instructions",
     roles=("reviewer", "admin"), produces=imports.XLSX_MIMETYPE)
def import_template():
    return send_file(imports.build_template(g.actor), mimetype=imports.XLSX_MIMETYPE, as_attachment=True,
                     download_name="优抚对象导入模板.xlsx", max_age=0)
