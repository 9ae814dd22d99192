"""Web Push: the VAPID public key browsers subscribe with, and the logged-in user's subscriptions."""

from flask import Response, current_app, g

from ..push import get_pusher
from ..schemas.push import EndpointSchema, SavedSubscriptionSchema, SubscriptionSchema, VapidKeySchema
from ..services import subscriptions
from . import Blueprint, public

bp = Blueprint("push", __name__, url_prefix="/api/push", description="Web Push subscriptions")


@bp.get("/vapid-public-key")
@public
@bp.response(200, VapidKeySchema)
def vapid_public_key():
    """The VAPID public key (applicationServerKey) to subscribe with"""
    return {"public_key": get_pusher(current_app).public_key}


@bp.post("/subscriptions")
@bp.arguments(SubscriptionSchema)
@bp.response(201, SavedSubscriptionSchema, description="Saved")
@bp.alt_response(200, schema=SavedSubscriptionSchema, description="Known already", success=True)
def save(data):
    """Save this browser's push subscription for the logged-in user"""
    row, created = subscriptions.save_subscription(g.actor, data["endpoint"], data["keys"]["p256dh"],
                                                   data["keys"]["auth"])
    return {"endpoint": row.endpoint, "created": created}, 201 if created else 200


@bp.delete("/subscriptions")
@bp.arguments(EndpointSchema)
@bp.response(204)
def remove(data):
    """Forget this browser's push subscription"""
    subscriptions.delete_subscription(g.actor, data["endpoint"])
    return Response(status=204)
