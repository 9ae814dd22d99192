"""Wire shapes of jobs: what the office queues, and the job it reads back while it runs."""

from marshmallow import EXCLUDE, Schema, fields, validate

from .common import UtcDateTime
from .recipients import ImportQuerySchema, RosterFileSchema
from .reports import WeeklyQuerySchema

# Kinds queued with a JSON body (the roster import sends its file to /api/jobs/roster-import).
JSON_KINDS = ("weekly_xlsx",)
KINDS = (*JSON_KINDS, "roster_import")
STATUSES = ("queued", "running", "done", "failed")


class JobCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(JSON_KINDS),
                         metadata={"description": "weekly_xlsx: the weekly report workbook"})
    params = fields.Nested(WeeklyQuerySchema, load_default=dict,
                           metadata={"description": "weekly_xlsx: {from, to}, as GET /api/reports/weekly.xlsx"})


class RosterImportJobQuerySchema(ImportQuerySchema):
    """?dry_run=1 checks every row and writes nothing, as POST /api/recipients/import."""


class RosterImportJobFileSchema(RosterFileSchema):
    class Meta:
        unknown = EXCLUDE


class JobErrorSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)


class JobSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    progress = fields.Integer(required=True, metadata={"description": "0–100"})
    result = fields.Dict(allow_none=True, metadata={
        "description": "roster_import: the import's answer (as POST /api/recipients/import)"})
    download_url = fields.String(allow_none=True, metadata={"description": "the result file, when there is one"})
    error = fields.Nested(JobErrorSchema, allow_none=True)
    created_at = UtcDateTime(required=True)
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
