"""Wire shapes of /api/auth: login, the session answer, the own password change."""

from marshmallow import Schema, fields, validate

from ..models.users import ROLES
from .common import ONE_LINE


class LoginSchema(Schema):
    username = fields.String(required=True, validate=[validate.Length(min=1, max=64), ONE_LINE])
    password = fields.String(required=True, validate=[validate.Length(min=1, max=256), ONE_LINE])
    device_id = fields.String(load_default=None, validate=[validate.Length(max=64), ONE_LINE])


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=[validate.Length(min=1, max=256), ONE_LINE])
    new_password = fields.String(required=True, validate=[validate.Length(min=1, max=256), ONE_LINE])


class SessionUserSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    area_id = fields.Integer(required=True)
    unit_id = fields.Integer(allow_none=True, metadata={"description": "a liaison's member unit (null for "
                                                                       "every other role)"})
    must_change_password = fields.Boolean(required=True, metadata={
        "description": "after an admin's reset or when the password expired: change it first"})


class ExportKeySchema(Schema):
    key_id = fields.String(required=True)
    key = fields.String(required=True, metadata={"description": "base64url, 32 bytes: the HMAC-SHA256 key"})


class SessionSchema(Schema):
    user = fields.Nested(SessionUserSchema, required=True)
    csrf_token = fields.String(required=True, metadata={"description": "send it as X-CSRF-Token"})
    export_key = fields.Nested(ExportKeySchema, required=True, metadata={
        "description": "seals the phone's exported outbox file (docs/outbox-file.md); the phone keeps it per "
                       "user, never sends it back"})
