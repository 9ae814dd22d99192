"""Admin: accounts (create, role, area, reset password, deactivate, revoke sessions), areas, the audit log."""

import csv
import io

from flask import Blueprint, current_app, g, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..errors import ApiError
from ..models.users import ROLES
from ..services import areas as area_service
from ..services import audit as audit_service
from ..services import auth as auth_service
from ..services import users as user_service
from . import doc, load_json, load_query, roles

bp = Blueprint("admin", __name__, url_prefix="/api/admin")
ADMIN = ("admin",)


def policy() -> dict:
    return {k: current_app.config[k] for k in ("PASSWORD_MIN_LENGTH", "PASSWORD_MIN_CLASSES",
                                               "PASSWORD_MAX_AGE_DAYS")}


class UserQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    q = fields.String(validate=validate.Length(max=50))
    role = fields.String(validate=validate.OneOf(ROLES))
    area = fields.Integer()
    active = fields.Boolean()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class UserCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.@-]{3,64}$"))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    area_id = fields.Integer(required=True, strict=True)
    password = fields.String(required=True, validate=validate.Length(max=256))


class UserUpdateSchema(Schema):
    class Meta:
        unknown = RAISE

    display_name = fields.String(validate=validate.Length(min=1, max=100))
    role = fields.String(validate=validate.OneOf(ROLES))
    area_id = fields.Integer(strict=True)
    active = fields.Boolean()

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Nothing to change.", "_schema")


class PasswordResetSchema(Schema):
    class Meta:
        unknown = RAISE

    password = fields.String(required=True, validate=validate.Length(max=256))


class AreaCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z]{2,32}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    level = fields.String(required=True, validate=validate.OneOf(("province", "city", "county", "township",
                                                                  "village")))
    parent_id = fields.Integer(load_default=None, allow_none=True, strict=True)


class AuditQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    user_id = fields.Integer()
    action = fields.String(validate=validate.Length(max=48))
    entity_type = fields.String(validate=validate.Length(max=16))
    entity_id = fields.String(validate=validate.Length(max=64))
    device_id = fields.String(validate=validate.Length(max=64))
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


@bp.get("/users")
@roles(*ADMIN)
@doc("Accounts in scope", query=UserQuerySchema, roles=ADMIN)
def list_users():
    query = load_query(UserQuerySchema())
    return user_service.list_users(g.actor, **query)


@bp.post("/users")
@roles(*ADMIN)
@doc("Create an account with a temporary password (changed at first login)", body=UserCreateSchema,
     status=201, roles=ADMIN)
def create_user():
    body = load_json(UserCreateSchema())
    user = user_service.create_user(**body, actor=g.actor, policy=policy(), temporary_password=True)
    return user_service.user_json(user), 201


@bp.patch("/users/<int:user_id>")
@roles(*ADMIN)
@doc("Change display name, role, area or active (deactivating or moving ends the user's sessions)",
     body=UserUpdateSchema, roles=ADMIN)
def update_user(user_id: int):
    body = load_json(UserUpdateSchema())
    return user_service.user_json(user_service.update_user(g.actor, user_id, body))


@bp.post("/users/<int:user_id>/reset-password")
@roles(*ADMIN)
@doc("Set a temporary password; the user's sessions end and they choose a new one", body=PasswordResetSchema,
     roles=ADMIN)
def reset_password(user_id: int):
    body = load_json(PasswordResetSchema())
    return user_service.user_json(user_service.reset_password(g.actor, policy(), user_id, body["password"]))


@bp.post("/users/<int:user_id>/revoke-sessions")
@roles(*ADMIN)
@doc("End every session of a user (a lost phone)", roles=ADMIN)
def revoke_sessions(user_id: int):
    user = auth_service.get_user_in_scope(g.actor, user_id)
    count = auth_service.revoke_sessions(user.id, g.actor)
    return {"revoked": count}


@bp.post("/areas")
@roles(*ADMIN)
@doc("Add an area under its parent", body=AreaCreateSchema, status=201, roles=ADMIN)
def create_area():
    body = load_json(AreaCreateSchema())
    parent_id = body["parent_id"]
    if parent_id is None and not g.actor.sees_all:
        raise ApiError(422, "validation_error", "A parent is required", {"parent_id": ["required"]})
    area = area_service.create_area(body["code"], body["name"], body["level"], parent_id, g.actor)
    return {"id": area.id, "code": area.code, "name": area.name, "level": area.level,
            "parent_id": area.parent_id}, 201


@bp.post("/areas/import")
@roles(*ADMIN)
@doc("Import areas from a CSV of administrative codes: code,name,level,parent_code (UTF-8)", roles=ADMIN,
     content_type="multipart/form-data")
def import_areas():
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(422, "validation_error", "Send a CSV file", {"file": ["required"]})
    raw = upload.read(2 * 1024 * 1024 + 1)
    if len(raw) > 2 * 1024 * 1024:
        raise ApiError(413, "payload_too_large", "The CSV is limited to 2 MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as err:
            raise ApiError(422, "validation_error", "Not a text CSV",
                           {"file": ["not UTF-8 or GB18030"]}) from err
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and not {"code", "name", "level"} <= set(rows[0]):
        raise ApiError(422, "validation_error", "Columns: code,name,level,parent_code",
                       {"file": ["missing columns"]})
    return area_service.import_areas(g.actor, rows)


@bp.get("/audit")
@roles(*ADMIN)
@doc("The audit log, newest first (filters: user_id, action prefix, entity, device, from, to)",
     query=AuditQuerySchema, roles=ADMIN)
def audit():
    query = load_query(AuditQuerySchema())
    date_from, date_to = query.pop("from_", None), query.pop("to", None)
    return audit_service.list_audit(zone=current_app.config["TIMEZONE"], date_from=date_from, date_to=date_to,
                                    **query)
