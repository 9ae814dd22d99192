"""The in-app inbox: notifications due by now, newest first, and the unread count."""

from flask import Blueprint, g
from marshmallow import Schema, fields

from ..schemas.common import UtcDateTime
from ..services import notifications
from . import doc

bp = Blueprint("notifications", __name__, url_prefix="/api/notifications")


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


@bp.get("")
@doc("The inbox", response=InboxSchema)
def inbox():
    return InboxSchema().dump(notifications.list_inbox(g.actor))


@bp.post("/<int:notification_id>/read")
@doc("Mark a notification read", response=NotificationSchema)
def read(notification_id: int):
    return NotificationSchema().dump(notifications.mark_read(g.actor, notification_id))
