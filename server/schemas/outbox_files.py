"""Wire shapes of the phone's exported outbox file: the upload, what it holds and what applying it did."""

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, fields, validate

from .recipients import DryRunQuerySchema

STATUSES = ("applied", "duplicate", "conflict", "rejected")


class OutboxFileQuerySchema(DryRunQuerySchema):
    """?dry_run=1: verify and show what the file holds (and what applying it would answer), write nothing."""


class OutboxFileUploadSchema(Schema):
    error_message = "Send the exported file as multipart field `file`"  # the 422's message (server/errors.py)

    class Meta:
        unknown = EXCLUDE

    file = Upload(required=True, error_messages={"required": "必填 / required"},
                  metadata={"description": "the JSON file a phone's outbox exported (docs/outbox-file.md)"})


class OutboxFileUserSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)


class OutboxFileErrorSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)


class OutboxFileResultSchema(Schema):
    id = fields.String(required=True, metadata={"description": "the mutation id the phone made"})
    op = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    entity_type = fields.String()
    entity_id = fields.String()
    error = fields.Nested(OutboxFileErrorSchema)


class OutboxFileCountsSchema(Schema):
    applied = fields.Integer(required=True)
    duplicate = fields.Integer(required=True)
    conflict = fields.Integer(required=True)
    rejected = fields.Integer(required=True)


class OutboxFileAnswerSchema(Schema):
    dry_run = fields.Boolean(required=True)
    user = fields.Nested(OutboxFileUserSchema, required=True, metadata={"description": "who made the records"})
    device_id = fields.String(required=True)
    exported_at = fields.String(required=True, allow_none=True, metadata={"description": "the phone's clock"})
    mutations = fields.Integer(required=True)
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "mutations per record type (visit, difficulty, followup, recipient, evidence)"})
    attachments = fields.Integer(required=True, metadata={"description": "photos and signatures carried"})
    counts = fields.Nested(OutboxFileCountsSchema, required=True, metadata={
        "description": "the answers per status (a dry run: what applying would answer)"})
    results = fields.List(fields.Nested(OutboxFileResultSchema), required=True)
