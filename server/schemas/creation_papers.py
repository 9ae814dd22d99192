"""Wire shapes of the creation campaign's papers: the standard's import from a workbook, the briefing's week."""

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, fields

from .creation import ChangeCountsSchema
from .recipients import OneOrZero


class StandardImportQuerySchema(Schema):
    error_message = "dry_run must be 1 or 0"  # the 400's message (server/errors.py)

    class Meta:
        unknown = EXCLUDE

    dry_run = OneOrZero(load_default=False, metadata={"description": "1: check only, write nothing"})


class StandardFileSchema(Schema):
    error_message = "Send the standard as multipart field `file`"  # the 422's message (server/errors.py)

    class Meta:
        unknown = EXCLUDE

    file = Upload(required=True, error_messages={"required": "必填 / required"},
                  metadata={"description": ".xlsx: 考评项目 · 序号 · 考评内容 · 分值 · 评分标准 (· 佐证材料要求)"})


class StandardImportRowSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "the sheet's row number"})
    ok = fields.Boolean(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    error_codes = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "`errors` with each message as its code (the error envelope's `field_codes`)"})


class ImportedStandardSchema(Schema):
    id = fields.Integer(required=True)
    version = fields.Integer(required=True)


class StandardImportResultSchema(Schema):
    dry_run = fields.Boolean(required=True)
    valid = fields.Integer(required=True)
    invalid = fields.Integer(required=True)
    standard = fields.Nested(ImportedStandardSchema, required=True, allow_none=True, metadata={
        "description": "the new current version (null on a dry run or when a row is invalid: nothing written)"})
    rows = fields.List(fields.Nested(StandardImportRowSchema), required=True)
    changes = fields.Nested(ChangeCountsSchema, required=True, allow_none=True, metadata={
        "description": "against the current version, by item number: items added, removed, changed in text or "
                       "points (scores cleared) and carried as they are (null: a row is invalid, or no version yet)"})


class BriefingQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    week = fields.String(metadata={"description": "ISO week YYYY-Www (default: this week); else 400 invalid_input"})


class ResponsibilityImportResultSchema(Schema):
    dry_run = fields.Boolean(required=True)
    valid = fields.Integer(required=True)
    invalid = fields.Integer(required=True)
    applied = fields.Boolean(required=True, metadata={"description": "written (not a dry run, every row valid)"})
    rows = fields.List(fields.Nested(StandardImportRowSchema), required=True)
