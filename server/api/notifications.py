"""The in-app inbox: notifications due by now, newest first, and the unread count."""

from flask import g

from ..schemas.notifications import InboxSchema, NotificationSchema
from ..services import notifications
from . import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/api/notifications", description="The in-app inbox")


@bp.get("")
@bp.response(200, InboxSchema)
def inbox():
    """The inbox"""
    return notifications.list_inbox(g.actor)


@bp.post("/<int:notification_id>/read")
@bp.response(200, NotificationSchema)
def read(notification_id: int):
    """Mark a notification read"""
    return notifications.mark_read(g.actor, notification_id)
