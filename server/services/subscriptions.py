"""Web Push subscriptions of the logged-in user: saved by endpoint, removed on request and at logout."""

from sqlalchemy import delete, select

from ..extensions import db
from ..models import PushSubscription
from .actors import Actor


def save_subscription(actor: Actor, endpoint: str, p256dh: str, auth: str) -> tuple[PushSubscription, bool]:
    """Upsert by endpoint: a browser that subscribes again (new keys, or another user on a shared phone)
    replaces what was there, so a device never gets a previous user's reminders. Returns (row, created)."""
    row = db.session.execute(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint).with_for_update()
    ).scalar_one_or_none()
    created = row is None
    if created:
        row = PushSubscription(endpoint=endpoint, user_id=actor.user_id, p256dh=p256dh, auth=auth)
        db.session.add(row)
    else:
        row.user_id, row.p256dh, row.auth = actor.user_id, p256dh, auth
    db.session.commit()
    return row, created


def delete_subscription(actor: Actor, endpoint: str) -> bool:
    """Forget this browser's subscription (only the caller's own); idempotent."""
    result = db.session.execute(delete(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == actor.user_id))
    db.session.commit()
    return bool(result.rowcount)


def delete_user_subscriptions(user_id: int) -> int:
    """Drop every subscription of a user (logout, deactivation); the caller commits."""
    result = db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id))
    return result.rowcount or 0


def delete_all_subscriptions() -> int:
    """After a VAPID key rotation no old subscription can be pushed to; browsers subscribe again."""
    count = db.session.execute(delete(PushSubscription)).rowcount or 0
    db.session.commit()
    return count
