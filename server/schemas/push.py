"""Wire shapes of Web Push: the VAPID key and a browser's PushSubscription."""

import base64
import binascii
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates

from .common import ONE_LINE

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


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

    endpoint = fields.String(required=True, validate=[validate.Length(min=10, max=1024), ONE_LINE])
    keys = fields.Nested(SubscriptionKeysSchema, required=True)

    @validates("endpoint")
    def _endpoint(self, value: str, **_):
        # Push services are HTTPS; plain HTTP only to this machine (the test push service).
        parts = urlsplit(value)
        if not parts.hostname or not (parts.scheme == "https" or
                                      (parts.scheme == "http" and parts.hostname in LOOPBACK)):
            raise ValidationError("must be an https:// push service URL")


class EndpointSchema(Schema):
    class Meta:
        unknown = "exclude"

    endpoint = fields.String(required=True, validate=[validate.Length(min=1, max=1024), ONE_LINE])


class SavedSubscriptionSchema(Schema):
    endpoint = fields.String(required=True)
    created = fields.Boolean(required=True)
