"""Wire shapes of accounts (admin) and of colleagues in scope (the office's assignee picker)."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..models.users import ROLES
from .auth import SessionUserSchema
from .common import ONE_LINE, bounded_int, text
from .paging import PageQuerySchema, PageSchema


class UserQuerySchema(PageQuerySchema):
    q = text(50)
    role = fields.String(validate=validate.OneOf(ROLES))
    area = bounded_int()
    active = fields.Boolean()


class UserCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.@-]{3,64}$"))
    display_name = fields.String(required=True, validate=[validate.Length(min=1, max=100), ONE_LINE])
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    area_id = bounded_int(required=True, strict=True)
    unit_id = bounded_int(allow_none=True, strict=True, metadata={
        "description": "a liaison's member unit (required for role liaison, refused for any other)"})
    password = fields.String(required=True, validate=[validate.Length(max=256), ONE_LINE])


class UserUpdateSchema(Schema):
    class Meta:
        unknown = RAISE

    display_name = fields.String(validate=[validate.Length(min=1, max=100), ONE_LINE])
    role = fields.String(validate=validate.OneOf(ROLES))
    area_id = bounded_int(strict=True)
    unit_id = bounded_int(allow_none=True, strict=True)
    active = fields.Boolean()

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Nothing to change.", "_schema")


class PasswordResetSchema(Schema):
    class Meta:
        unknown = RAISE

    password = fields.String(required=True, validate=[validate.Length(max=256), ONE_LINE])


class UserSchema(SessionUserSchema):
    """An account as the admin pages show it: the session's user, its area's name and its state."""

    area_name = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    locked = fields.Boolean(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class UserPageSchema(PageSchema):
    items = fields.List(fields.Nested(UserSchema), required=True)


class RevokedSchema(Schema):
    revoked = fields.Integer(required=True, metadata={"description": "sessions ended"})


class ColleagueQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    q = text(50)
    role = fields.String(validate=validate.OneOf(ROLES))
    area = bounded_int()


class ColleagueSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    area_id = fields.Integer(required=True)
    area_name = fields.String(required=True, allow_none=True)


class ColleagueListSchema(Schema):
    items = fields.List(fields.Nested(ColleagueSchema), required=True)
