"""Users: colleagues in scope for the office (names and areas only) and accounts for admins (/api/admin)."""

from flask import current_app, g

from ..schemas.users import (
    ColleagueListSchema,
    ColleagueQuerySchema,
    PasswordResetSchema,
    RevokedSchema,
    UserCreateSchema,
    UserPageSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)
from ..services import auth as auth_service
from ..services import users as user_service
from . import Blueprint, roles

bp = Blueprint("users", __name__, url_prefix="/api", description="Colleagues in scope; accounts (admin)")
OFFICE = ("reviewer", "admin")
ADMIN = ("admin",)


def policy() -> dict:
    return {k: current_app.config[k] for k in ("PASSWORD_MIN_LENGTH", "PASSWORD_MIN_CLASSES",
                                               "PASSWORD_MAX_AGE_DAYS", "PASSWORD_MIN_SCORE")}


@bp.get("/users")
@roles(*OFFICE)
@bp.arguments(ColleagueQuerySchema, location="query")
@bp.response(200, ColleagueListSchema)
def colleagues(query):
    """Active users in scope (id, display name, role, area), e.g. to assign a difficulty"""
    page = user_service.list_users(g.actor, active=True, per_page=200, **query)
    return {"items": [{k: u[k] for k in ("id", "display_name", "role", "area_id", "area_name")}
                      for u in page["items"]]}


@bp.get("/admin/users")
@roles(*ADMIN)
@bp.arguments(UserQuerySchema, location="query")
@bp.response(200, UserPageSchema)
def list_users(query):
    """Accounts in scope"""
    return user_service.list_users(g.actor, **query)


@bp.post("/admin/users")
@roles(*ADMIN)
@bp.arguments(UserCreateSchema)
@bp.response(201, UserSchema)
def create_user(body):
    """Create an account with a temporary password (changed at first login)"""
    user = user_service.create_user(**body, actor=g.actor, policy=policy(), temporary_password=True)
    return user_service.user_json(user)


@bp.patch("/admin/users/<int:user_id>")
@roles(*ADMIN)
@bp.arguments(UserUpdateSchema)
@bp.response(200, UserSchema)
def update_user(body, user_id: int):
    """Change display name, role, area or active (deactivating or moving ends the user's sessions)"""
    return user_service.user_json(user_service.update_user(g.actor, user_id, body))


@bp.post("/admin/users/<int:user_id>/reset-password")
@roles(*ADMIN)
@bp.arguments(PasswordResetSchema)
@bp.response(200, UserSchema)
def reset_password(body, user_id: int):
    """Set a temporary password; the user's sessions end and they choose a new one"""
    return user_service.user_json(user_service.reset_password(g.actor, policy(), user_id, body["password"]))


@bp.post("/admin/users/<int:user_id>/revoke-sessions")
@roles(*ADMIN)
@bp.response(200, RevokedSchema)
def revoke_sessions(user_id: int):
    """End every session of a user (a lost phone)"""
    user = auth_service.get_user_in_scope(g.actor, user_id)
    return {"revoked": auth_service.revoke_sessions(user.id, g.actor)}
