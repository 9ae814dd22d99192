"""Wire shapes of Web Push: the VAPID key and a browser's PushSubscription."""

import base64
import binascii

from flask import current_app, has_app_context
from marshmallow import Schema, ValidationError, fields, validate, validates

from ..domain.push import DEFAULT_PUSH_SERVICES, endpoint_allowed
from .common import ONE_LINE

NOT_A_PUSH_SERVICE = "不是受支持的推送服务 / not a known push service (https)"


def push_allowlist() -> tuple[str, ...]:
    """The app's PUSH_ENDPOINT_ALLOWLIST (config.py), the well-known push services outside an app."""
    if has_app_context():
        return tuple(current_app.config.get("PUSH_ENDPOINT_ALLOWLIST", DEFAULT_PUSH_SERVICES))
    return DEFAULT_PUSH_SERVICES


def _b64url_length(value: str) -> int | None:
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError):
        return None


class VapidKeySchema(Schema):
    public_key = fields.String(required=True, metadata={"description": "base64url applicationServerKey"})


class SubscriptionKeysSchema(Schema):
    p256dh = fields.String(required=True, validate=[validate.Length(max=255), ONE_LINE])
    auth = fields.String(required=True, validate=[validate.Length(max=255), ONE_LINE])

    @validates("p256dh")
    def _p256dh(self, value: str, **_):
        # An uncompressed P-256 point: 65 bytes starting 0x04.
        raw = _b64url_length(value)
        if raw != 65 or base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))[0] != 4:
            raise ValidationError("not a base64url uncompressed P-256 public key")

    @validates("auth")
    def _auth(self, value: str, **_):
        if _b64url_length(value) != 16:
            raise ValidationError("not a base64url 16-byte auth secret")


class SubscriptionSchema(Schema):
    """A browser's PushSubscription.toJSON(); expirationTime and other fields are ignored."""

    class Meta:
        unknown = "exclude"

    endpoint = fields.String(required=True, validate=[validate.Length(min=10, max=1024), ONE_LINE], metadata={
        "description": "an https:// URL on a known push service (FCM, Mozilla, Apple, Windows; the server's "
                       "PUSH_ENDPOINT_ALLOWLIST); any other answers 422 `push_service_not_allowed`"})
    keys = fields.Nested(SubscriptionKeysSchema, required=True)

    @validates("endpoint")
    def _endpoint(self, value: str, **_):
        # The dispatcher POSTs to it: only a push service's URL, never this machine or the intranet.
        if not endpoint_allowed(value, push_allowlist()):
            raise ValidationError(NOT_A_PUSH_SERVICE)


class EndpointSchema(Schema):
    class Meta:
        unknown = "exclude"

    endpoint = fields.String(required=True, validate=[validate.Length(min=1, max=1024), ONE_LINE])


class SavedSubscriptionSchema(Schema):
    endpoint = fields.String(required=True)
    created = fields.Boolean(required=True)
