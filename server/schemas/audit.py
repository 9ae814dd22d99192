"""Wire shapes of the audit log: its filters and a page of entries."""

from marshmallow import Schema, fields

from .common import bounded_date, bounded_int, text
from .paging import PageQuerySchema, PageSchema


class AuditQuerySchema(PageQuerySchema):
    user_id = bounded_int()
    action = text(48, metadata={"description": "a prefix"})
    entity_type = text(16)
    entity_id = text(64)
    device_id = text(64)
    from_ = bounded_date(data_key="from")
    to = bounded_date()


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    at = fields.String(required=True, metadata={"format": "date-time"})
    user_id = fields.Integer(required=True, allow_none=True)
    username = fields.String(required=True, allow_none=True)
    display_name = fields.String(required=True, allow_none=True)
    action = fields.String(required=True)
    entity_type = fields.String(required=True, allow_none=True)
    entity_id = fields.String(required=True, allow_none=True)
    device_id = fields.String(required=True, allow_none=True)
    ip = fields.String(required=True, allow_none=True)
    details = fields.Raw(required=True, allow_none=True, metadata={"type": "object", "additionalProperties": True})


class AuditPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
