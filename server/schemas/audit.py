"""Wire shapes of the audit log: its filters and a page of entries."""

from marshmallow import Schema, fields, validate

from .paging import PageQuerySchema, PageSchema


class AuditQuerySchema(PageQuerySchema):
    user_id = fields.Integer()
    action = fields.String(validate=validate.Length(max=48), metadata={"description": "a prefix"})
    entity_type = fields.String(validate=validate.Length(max=16))
    entity_id = fields.String(validate=validate.Length(max=64))
    device_id = fields.String(validate=validate.Length(max=64))
    from_ = fields.Date(data_key="from")
    to = fields.Date()


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
