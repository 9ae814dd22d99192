"""The push API: the VAPID public key, saving and deleting subscriptions, and the `vapid` command."""

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from server.extensions import db
from server.models import PushSubscription, SharedSetting


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def browser_subscription(endpoint: str = "https://fcm.googleapis.com/fcm/send/abc123") -> dict:
    """What PushSubscription.toJSON() gives: a real P-256 point and a 16-byte auth secret."""
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(Encoding.X962,
                                                                             PublicFormat.UncompressedPoint)
    return {"endpoint": endpoint, "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}}


def stored(endpoint: str) -> PushSubscription | None:
    db.session.expire_all()
    query = select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    return db.session.execute(query).scalar_one_or_none()


def test_vapid_public_key_is_public_an_uncompressed_p256_point_and_stable(app, client):
    first = client.get("/api/push/vapid-public-key")
    assert first.status_code == 200
    raw = base64.urlsafe_b64decode(first.json["public_key"] + "==")
    assert len(raw) == 65 and raw[0] == 4
    assert client.get("/api/push/vapid-public-key").json == first.json
    # Kept in the database for every host, not in this host's instance folder.
    assert db.session.get(SharedSetting, "vapid_private_key").value.startswith("-----BEGIN PRIVATE KEY-----")
    assert not (Path(app.config["INSTANCE_DIR"]) / "vapid_private.pem").exists()


def test_vapid_command_shows_the_served_key_and_rotate_replaces_it_and_drops_subscriptions(
        client, staff, runner):
    served = client.get("/api/push/vapid-public-key").json["public_key"]
    shown = runner.invoke(args=["vapid"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.strip() == served
    sub = browser_subscription()
    assert staff.post("/api/push/subscriptions", json=sub).status_code == 201

    rotated = runner.invoke(args=["vapid", "--rotate"])

    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.stdout.strip()
    assert new_key != served
    assert client.get("/api/push/vapid-public-key").json["public_key"] == new_key
    assert stored(sub["endpoint"]) is None


def test_save_subscription_stores_it_for_the_logged_in_user(staff):
    sub = browser_subscription()
    response = staff.post("/api/push/subscriptions", json=sub)
    assert response.status_code == 201, response.json
    assert response.json == {"endpoint": sub["endpoint"], "created": True}
    row = stored(sub["endpoint"])
    assert (row.user_id, row.p256dh, row.auth) == (staff.user["id"], sub["keys"]["p256dh"],
                                                   sub["keys"]["auth"])


def test_saving_the_same_endpoint_again_updates_it_and_another_user_takes_it_over(staff, reviewer):
    sub = browser_subscription()
    staff.post("/api/push/subscriptions", json=sub)
    renewed = browser_subscription(sub["endpoint"])

    again = staff.post("/api/push/subscriptions", json=renewed)
    assert again.status_code == 200 and again.json["created"] is False
    assert stored(sub["endpoint"]).p256dh == renewed["keys"]["p256dh"]

    # The same phone, now logged in as someone else: the reminders follow the new user only.
    assert reviewer.post("/api/push/subscriptions", json=renewed).status_code == 200
    assert stored(sub["endpoint"]).user_id == reviewer.user["id"]
    assert db.session.execute(select(PushSubscription)).scalars().all().__len__() == 1


def test_invalid_subscriptions_answer_422_with_the_fields(staff):
    good = browser_subscription()
    cases = {
        "endpoint": {**good, "endpoint": "http://push.example.com/x"},  # not a known push service
        "keys": {"endpoint": good["endpoint"]},
    }
    for field, body in cases.items():
        response = staff.post("/api/push/subscriptions", json=body)
        assert response.status_code == 422, (field, response.json)
        assert field in response.json["error"]["fields"]
    bad_keys = staff.post("/api/push/subscriptions", json={**good, "keys": {"p256dh": b64url(b"\x04" * 10),
                                                                           "auth": "short"}})
    assert bad_keys.status_code == 422
    assert set(bad_keys.json["error"]["fields"]["keys"]) == {"p256dh", "auth"}
    assert db.session.execute(select(PushSubscription)).first() is None


def test_subscriptions_need_a_session_and_the_csrf_token(app, client, staff):
    sub = browser_subscription()
    assert client.post("/api/push/subscriptions", json=sub).status_code == 401
    no_csrf = staff.client.post("/api/push/subscriptions", json=sub)
    assert no_csrf.status_code == 403
    assert stored(sub["endpoint"]) is None


def test_delete_removes_only_the_callers_own_subscription(staff, reviewer):
    mine, theirs = browser_subscription("https://fcm.googleapis.com/fcm/send/mine"), browser_subscription(
        "https://fcm.googleapis.com/fcm/send/theirs")
    staff.post("/api/push/subscriptions", json=mine)
    reviewer.post("/api/push/subscriptions", json=theirs)

    assert staff.delete("/api/push/subscriptions", json={"endpoint": theirs["endpoint"]}).status_code == 204
    assert stored(theirs["endpoint"]) is not None
    assert staff.delete("/api/push/subscriptions", json={"endpoint": mine["endpoint"]}).status_code == 204
    assert stored(mine["endpoint"]) is None
    # Idempotent: deleting again is not an error.
    assert staff.delete("/api/push/subscriptions", json={"endpoint": mine["endpoint"]}).status_code == 204


def test_logout_drops_the_users_subscriptions_and_nobody_elses(staff, reviewer):
    mine, theirs = browser_subscription("https://fcm.googleapis.com/fcm/send/a"), browser_subscription(
        "https://fcm.googleapis.com/fcm/send/b")
    staff.post("/api/push/subscriptions", json=mine)
    reviewer.post("/api/push/subscriptions", json=theirs)

    assert staff.post("/api/auth/logout").status_code == 204

    assert stored(mine["endpoint"]) is None
    assert stored(theirs["endpoint"]) is not None


def test_openapi_describes_the_push_endpoints(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert set(paths["/api/push/subscriptions"]) == {"post", "delete"}
    assert "get" in paths["/api/push/vapid-public-key"]
