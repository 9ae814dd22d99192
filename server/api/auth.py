"""Login, logout and the current user; the guard that loads the session and checks CSRF for /api."""

from flask import Response, after_this_request, current_app, g, request

from ..errors import ApiError
from ..schemas.auth import LoginSchema, PasswordChangeSchema, SessionSchema
from ..services import auth as auth_service
from ..services import users as user_service
from ..services.users import password_expired
from . import SAFE_METHODS, SESSION_COOKIE, Blueprint, public

bp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Login, logout, the session")


def user_json(user) -> dict:
    policy = {"PASSWORD_MAX_AGE_DAYS": current_app.config["PASSWORD_MAX_AGE_DAYS"]}
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "area_id": user.area_id,
            "must_change_password": bool(user.must_change_password) or password_expired(user, policy)}


def client_ip() -> str | None:
    return request.remote_addr


@bp.post("/login")
@public
@bp.arguments(LoginSchema)
@bp.response(200, SessionSchema)
@bp.alt_response(423, response="LOCKED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
def login(body):
    """Log in: opens a server-side session (cookie) and returns the CSRF token"""
    config = current_app.config
    user, token, csrf = auth_service.login(
        body["username"], body["password"], threshold=config["LOCKOUT_THRESHOLD"],
        lock_minutes=config["LOCKOUT_MINUTES"], idle_days=config["SESSION_IDLE_DAYS"],
        user_agent=request.headers.get("User-Agent"), ip=client_ip(), device_id=body.get("device_id"))

    @after_this_request
    def _cookie(response):
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/",
                            secure=config["SESSION_COOKIE_SECURE"] or request.is_secure,
                            max_age=config["SESSION_IDLE_DAYS"] * 86400)
        return response

    return {"user": user_json(user), "csrf_token": csrf}


@bp.get("/me")
@bp.response(200, SessionSchema)
def me():
    """The logged-in user and the session's CSRF token"""
    return {"user": user_json(g.user), "csrf_token": g.session_row.csrf_token}


@bp.post("/logout")
@bp.response(204)
def logout():
    """Log out: revokes this session"""
    auth_service.logout(request.cookies[SESSION_COOKIE], g.actor)
    response = Response(status=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@bp.post("/password")
@bp.arguments(PasswordChangeSchema)
@bp.response(204)
def change_password(body):
    """Change one's own password (required after an admin's reset or when it expired)"""
    policy = {k: current_app.config[k] for k in ("PASSWORD_MIN_LENGTH", "PASSWORD_MIN_CLASSES",
                                                 "PASSWORD_MAX_AGE_DAYS")}
    user_service.change_own_password(g.actor, policy, body["current_password"], body["new_password"])
    return Response(status=204)


# The 401 of a request without a live session, by `auth_service.session_refusal`'s code.
REFUSALS = {
    "unauthorized": "请登录 / please log in",
    "session_revoked": "此登录已在服务器上结束，请重新登录 / this session was ended on the server, log in again",
    "account_inactive": "账号已停用 / this account is deactivated",
}


def register_guards(app) -> None:
    @app.before_request
    def _guard():
        if not request.path.startswith("/api/"):
            return None
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if view is None or getattr(view, "zf_public", False):
            return None
        token = request.cookies.get(SESSION_COOKIE)
        found = auth_service.session_for(token, app.config["SESSION_IDLE_DAYS"])
        if found is None:
            code = auth_service.session_refusal(token)
            raise ApiError(401, code, REFUSALS[code])
        session_row, user = found
        if request.method not in SAFE_METHODS and not auth_service.csrf_ok(
                session_row, request.headers.get("X-CSRF-Token")):
            raise ApiError(403, "csrf_failed", "CSRF令牌无效，请重新登录 / missing or wrong X-CSRF-Token")
        g.user = user
        g.session_row = session_row
        g.actor = auth_service.actor_for(user, device_id=request.headers.get("X-Device-Id", "")[:64] or None,
                                         ip=client_ip())
        return None
