"""Wire shapes of areas: the visible tree, a new area, the CSV import of administrative codes."""

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from .common import ONE_LINE, bounded_int
from .sync import AreaDataSchema


class AreaCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z]{2,32}$"))
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), ONE_LINE])
    level = fields.String(required=True, validate=validate.OneOf(("province", "city", "county", "township",
                                                                  "village")))
    parent_id = bounded_int(load_default=None, allow_none=True, strict=True)


class AreaSchema(AreaDataSchema):
    """An area: the same fields as its pull `data`."""


class AreaListSchema(Schema):
    items = fields.List(fields.Nested(AreaSchema), required=True)


class AreaCsvSchema(Schema):
    error_message = "Send a CSV file"  # the 422's message (server/errors.py)

    class Meta:
        unknown = EXCLUDE

    file = Upload(required=True, error_messages={"required": "required"},
                  metadata={"description": "CSV (UTF-8 or GB18030), ≤ 2 MB: code,name,level,parent_code"})


class AreaImportErrorSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "the CSV's line number"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)
    error_codes = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True, metadata={
        "description": "`errors` with each message as its code"})


class AreaImportResultSchema(Schema):
    dry_run = fields.Boolean(required=True)
    created = fields.Integer(required=True, metadata={"description": "areas made (a dry run: would be made)"})
    errors = fields.List(fields.Nested(AreaImportErrorSchema), required=True)
