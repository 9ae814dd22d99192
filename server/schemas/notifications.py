"""Wire shapes of the in-app inbox."""

from marshmallow import Schema, fields

from .common import UtcDateTime


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    url = fields.String(allow_none=True)
    due_at = UtcDateTime()
    sent_at = UtcDateTime(allow_none=True)
    read_at = UtcDateTime(allow_none=True)


class InboxSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    unread = fields.Integer()
