"""Login, logout and the current user; the guard that loads the session and checks CSRF for /api; throttling.

Who is trying a password (the lockout's "source") is the address, unless the browser carries this server's
device mark for that account: a signed cookie set at each successful login, naming (as digests) the accounts
that logged in on it. A colleague probing from the same office network, or an outsider spraying guesses, can
lock and throttle only themselves, never the devices the owner already uses.
"""

import hashlib
import secrets
import time

from flask import Response, after_this_request, current_app, g, request
from flask_limiter import RateLimitExceeded
from itsdangerous import BadSignature, URLSafeSerializer

from ..database import begin_reads_deferred, end_deferred_reads, read_again_if_disconnected, single_writer
from ..errors import ApiError, error_response
from ..extensions import db, limiter
from ..schemas.auth import LoginSchema, PasswordChangeSchema, SessionSchema
from ..services import auth as auth_service
from ..services import outbox_files
from ..services import users as user_service
from . import SAFE_METHODS, SESSION_COOKIE, Blueprint, public

bp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Login, logout, the session")

DEVICE_COOKIE = "zoufang_device"
DEVICE_MARK_DAYS = 400
DEVICE_MARK_ACCOUNTS = 5  # a shared phone: the last five accounts that logged in on it
# What a user whose password must change may still do (everything else answers 403 password_change_required).
OPEN_WHILE_PASSWORD_MUST_CHANGE = {"auth.me", "auth.logout", "auth.change_password"}


def user_json(user) -> dict:
    max_age = current_app.config["PASSWORD_MAX_AGE_DAYS"]
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "area_id": user.area_id, "unit_id": user.unit_id,
            "must_change_password": auth_service.must_change_password(user, max_age)}


def client_ip() -> str | None:
    return request.remote_addr


def password_policy() -> dict:
    return {k: current_app.config[k] for k in ("PASSWORD_MIN_LENGTH", "PASSWORD_MIN_CLASSES", "PASSWORD_MAX_AGE_DAYS",
                                               "PASSWORD_MIN_SCORE")}


# -- who is trying: the device mark, the source, the limiter's keys ---------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _marks() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="zoufang-device-mark")


def device_mark() -> dict | None:
    """This browser's device mark, {"d": its id, "u": [account digests]}, when it carries a valid one."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 1024:
        return None
    try:
        mark = _marks().loads(raw)
    except BadSignature:
        return None
    if not (isinstance(mark, dict) and isinstance(mark.get("d"), str) and isinstance(mark.get("u"), list)):
        return None
    return mark


def account_digest(username: str) -> str:
    return _digest(auth_service.username_key(username))


def attempted_username() -> str | None:
    """The user name a login request names (before validation: the limiter looks first)."""
    body = request.get_json(silent=True) if request.is_json else None
    name = body.get("username") if isinstance(body, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def known_device(username: str | None) -> bool:
    mark = device_mark()
    return bool(username and mark and account_digest(username) in mark["u"])


def login_source(username: str) -> str:
    """The lockout's source for this account: this device if it has logged in to it before, else the address."""
    if known_device(username):
        return auth_service.source_key("device", device_mark()["d"])
    return auth_service.source_key("ip", client_ip() or "")


def _ip_key() -> str:
    return "ip:" + _digest(client_ip() or "")


def _account_key() -> str:
    name = attempted_username()
    return "account:" + account_digest(name) if name else ""  # empty: no limit (the body is refused anyway)


def _user_key() -> str:
    return f"user:{g.actor.user_id}"


def _known_login_device() -> bool:
    return known_device(attempted_username())


def _config(key: str):
    return lambda: current_app.config[key]


# -- views ----------------------------------------------------------------------------------------------


@bp.post("/login")
@public
@limiter.limit(_config("LOGIN_LIMIT_PER_IP"), key_func=_ip_key, exempt_when=_known_login_device)
@limiter.limit(_config("LOGIN_LIMIT_PER_ACCOUNT"), key_func=_account_key, exempt_when=_known_login_device,
               deduct_when=lambda response: response.status_code == 401)
@bp.arguments(LoginSchema)
@bp.response(200, SessionSchema)
@bp.alt_response(423, response="LOCKED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
def login(body):
    """Log in: opens a server-side session (cookie) and returns the CSRF token

    Five failed logins in a row from one source (this address, or a device that has logged in to the account
    before) lock that source out of that user name for 15 minutes (423 `account_locked`, even to the right
    password); unknown user names answer alike. Too many logins from one address, or failed logins of one
    account from new devices, answer 429 `rate_limited` with `Retry-After`.
    """
    config = current_app.config
    username = body["username"]
    user, token, csrf = auth_service.login(
        username, body["password"], threshold=config["LOCKOUT_THRESHOLD"],
        lock_minutes=config["LOCKOUT_MINUTES"], idle_days=config["SESSION_IDLE_DAYS"],
        max_days=config["SESSION_MAX_DAYS"], user_agent=request.headers.get("User-Agent"), ip=client_ip(),
        device_id=body.get("device_id"), source=login_source(username))
    mark = device_mark() or {"d": secrets.token_urlsafe(16), "u": []}
    accounts = [account_digest(username)] + [a for a in mark["u"] if a != account_digest(username)]
    new_mark = _marks().dumps({"d": mark["d"], "u": accounts[:DEVICE_MARK_ACCOUNTS]})

    @after_this_request
    def _cookies(response):
        secure = config["SESSION_COOKIE_SECURE"] or request.is_secure
        days = min(config["SESSION_IDLE_DAYS"], config["SESSION_MAX_DAYS"])
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/", secure=secure,
                            max_age=days * 86400)
        response.set_cookie(DEVICE_COOKIE, new_mark, httponly=True, samesite="Strict", path="/api/auth",
                            secure=secure, max_age=DEVICE_MARK_DAYS * 86400)
        return response

    return {"user": user_json(user), "csrf_token": csrf,
            "export_key": _export_key(user.id, auth_service.token_digest(token))}


def _export_key(user_id: int, token_hash: str) -> dict:
    return outbox_files.session_export_key(current_app.config["SECRET_KEY"], user_id, token_hash)


@bp.get("/me")
@bp.response(200, SessionSchema)
def me():
    """The logged-in user and the session's CSRF token"""
    return {"user": user_json(g.user), "csrf_token": g.session_row.csrf_token,
            "export_key": _export_key(g.user.id, g.session_token_hash)}


@bp.post("/logout")
@bp.response(204)
def logout():
    """Log out: revokes this session"""
    auth_service.logout(request.cookies[SESSION_COOKIE], g.actor)
    response = Response(status=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@bp.post("/password")
@limiter.limit(_config("PASSWORD_CHANGE_LIMIT_PER_IP"), key_func=_ip_key)
@limiter.limit(_config("PASSWORD_CHANGE_LIMIT_PER_ACCOUNT"), key_func=_user_key)
@bp.arguments(PasswordChangeSchema)
@bp.response(204)
@bp.alt_response(423, response="LOCKED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
def change_password(body):
    """Change one's own password (required after an admin's reset or when it expired)

    Every other session of the user ends. The new password must meet the policy (length, character classes,
    not the user name, not common or guessable): 422 `weak_password` otherwise. Five wrong current passwords
    lock this source as five failed logins do (423); attempts are throttled per address and per user (429).
    """
    config = current_app.config
    user_service.change_own_password(
        g.actor, password_policy(), body["current_password"], body["new_password"],
        source=login_source(g.user_name), keep_token_hash=g.session_token_hash,
        threshold=config["LOCKOUT_THRESHOLD"], lock_minutes=config["LOCKOUT_MINUTES"])
    return Response(status=204)


# -- the guard and the throttle's answer -----------------------------------------------------------------

# The 401 of a request without a live session, by `auth_service.session_refusal`'s code.
REFUSALS = {
    "unauthorized": "请登录 / please log in",
    "session_revoked": "此登录已在服务器上结束，请重新登录 / this session was ended on the server, log in again",
    "account_inactive": "账号已停用 / this account is deactivated",
    "password_changed": "密码已在别处修改，请用新密码登录 / password changed elsewhere, log in with the new one",
}


def register_guards(app) -> None:
    @app.before_request
    def _guard():
        if not request.path.startswith("/api/"):
            return None
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if view is None or getattr(view, "zf_public", False):
            return None
        # On SQLite a write request reads its session without the write lock and ends that read before the
        # view begins its own transaction: the hourly renewal of the session (on another connection) must not
        # wait for its own request, and a password change hashes with no lock held. PostgreSQL's reads lock
        # nothing a writer waits for, so there a sync view goes on in the same transaction: ending it and checking
        # a connection out again cost round trips (ROLLBACK, BEGIN; a ping when it sat idle) on every upload.
        # Only views marked `one_transaction` (push, upload) go on so: the others hash passwords or may.
        writer = request.method not in SAFE_METHODS and (
            single_writer(db.engine) or not getattr(view, "zf_one_transaction", False))
        deferred = begin_reads_deferred() if writer else None
        try:
            _check_session(app)
        finally:
            if writer:
                db.session.rollback()  # g.user and g.session_row reload if a view reads them
                end_deferred_reads(deferred)
        return None

    @app.errorhandler(RateLimitExceeded)
    def _throttled(err: RateLimitExceeded):
        response = error_response(429, "rate_limited", "请求太频繁，请稍后再试 / too many requests, try again later")
        current = limiter.current_limit
        wait = int(current.reset_at - time.time()) if current is not None else 60
        response.headers["Retry-After"] = str(max(wait, 1))
        return response


def _check_session(app) -> None:
    config = app.config
    token = request.cookies.get(SESSION_COOKIE)
    found = read_again_if_disconnected(
        lambda: auth_service.session_for(token, config["SESSION_IDLE_DAYS"], config["SESSION_MAX_DAYS"]))
    if found is None:
        code = auth_service.session_refusal(token)
        raise ApiError(401, code, REFUSALS[code])
    session_row, user, area_path = found
    if request.method not in SAFE_METHODS and not auth_service.csrf_ok(
            session_row, request.headers.get("X-CSRF-Token")):
        raise ApiError(403, "csrf_failed", "CSRF令牌无效，请重新登录 / missing or wrong X-CSRF-Token")
    if (request.endpoint not in OPEN_WHILE_PASSWORD_MUST_CHANGE
            and auth_service.must_change_password(user, config["PASSWORD_MAX_AGE_DAYS"])):
        raise ApiError(403, "password_change_required", "请先修改密码 / change your password first")
    g.user = user
    g.user_name = user.username
    g.session_row = session_row
    g.session_token_hash = session_row.token_hash
    g.actor = auth_service.actor_for(user, device_id=request.headers.get("X-Device-Id", "")[:64] or None,
                                     ip=client_ip(), area_path=area_path)
