"""Accounts: argon2id passwords, server-side sessions, CSRF tokens and the login lockout."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from ..database import write_connection
from ..extensions import db
from ..models import Area, User, UserSession
from ..models.base import utcnow
from . import subscriptions
from .actors import Actor
from .changes import record_audit
from .errors import AccountLocked, BadCredentials, NotFound
from .scope import area_in_scope

hasher = PasswordHasher()
# Verified against when the username is unknown, so a miss takes as long as a wrong password.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def configure(config) -> None:
    """Set the argon2id cost from the app's configuration."""
    global hasher, _DUMMY_HASH
    params = (config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"], config["ARGON2_PARALLELISM"])
    if (hasher.time_cost, hasher.memory_cost, hasher.parallelism) != params:
        hasher = PasswordHasher(time_cost=params[0], memory_cost=params[1], parallelism=params[2])
        _DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return hasher.hash(password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for(user: User, device_id: str | None = None, ip: str | None = None) -> Actor:
    path = db.session.execute(select(Area.path).where(Area.id == user.area_id)).scalar_one()
    return Actor(user_id=user.id, role=user.role, area_id=user.area_id, area_path=path, device_id=device_id,
                 ip=ip)


def login(username: str, password: str, *, threshold: int, lock_minutes: int, idle_days: int,
          user_agent: str | None, ip: str | None, device_id: str | None = None) -> tuple[User, str, str]:
    """Check a password and open a session: (user, session token for the cookie, csrf token).

    The failure counter lives on the user row and is bumped with one UPDATE, so it holds across workers.
    """
    now = utcnow()
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        try:
            hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        record_audit(None, "login_failed", "user", None, {"reason": "unknown_or_inactive"})
        db.session.commit()
        raise BadCredentials("用户名或密码错误 / wrong username or password")
    if user.locked_until is not None and user.locked_until > now:
        db.session.rollback()
        raise AccountLocked("账户已锁定，请15分钟后再试 / account locked, try again later",
                            {"locked_until": [user.locked_until.isoformat() + "Z"]})
    try:
        ok = hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        failures = db.session.execute(
            update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
        ).scalar_one()
        locked = failures >= threshold
        if locked:
            db.session.execute(update(User).where(User.id == user.id).values(
                failed_logins=0, locked_until=now + timedelta(minutes=lock_minutes)))
        record_audit(None, "account_locked" if locked else "login_failed", "user", user.id, user_id=user.id)
        db.session.commit()
        if locked:
            raise AccountLocked("账户已锁定，请15分钟后再试 / account locked, try again later")
        raise BadCredentials("用户名或密码错误 / wrong username or password")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=token_digest(token), user_id=user.id, csrf_token=csrf,
                               created_at=now, last_seen_at=now, expires_at=now + timedelta(days=idle_days),
                               user_agent=(user_agent or "")[:255]))
    record_audit(Actor(user.id, user.role, user.area_id, "", device_id, ip), "login", "user", user.id)
    db.session.commit()
    return user, token, csrf


def session_for(token: str | None, idle_days: int) -> tuple[UserSession, User] | None:
    """The live session behind a cookie token, sliding its expiry; None when missing, expired or revoked."""
    if not token or len(token) > 128:
        return None
    now = utcnow()
    row = db.session.get(UserSession, token_digest(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    # Touch at most hourly, on a connection of its own: the request's own transaction stays a reader.
    if now - row.last_seen_at > timedelta(hours=1):
        with write_connection(db.engine) as connection:
            connection.execute(update(UserSession).where(UserSession.token_hash == row.token_hash)
                               .values(last_seen_at=now, expires_at=now + timedelta(days=idle_days)))
    return row, user


def session_refusal(token: str | None) -> str:
    """The code a request answers when its cookie opens no session (`session_for` gave None).

    `account_inactive`: the user was deactivated; `session_revoked`: this session was ended on the server (a lost
    phone, an admin's reset or revoke). A phone told either wipes its copy of the records (its unsynced ones stay,
    encrypted); any other reason (no cookie, an expired session) is `unauthorized`: log in again, nothing is wiped.
    Only the holder of the token learns which: it names nothing about another session or account.
    """
    if not token or len(token) > 128:
        return "unauthorized"
    row = db.session.get(UserSession, token_digest(token))
    if row is None:
        return "unauthorized"
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return "account_inactive"
    return "session_revoked" if row.revoked_at is not None else "unauthorized"


def csrf_ok(session_row: UserSession, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(session_row.csrf_token, header)


def logout(token: str, actor: Actor) -> None:
    db.session.execute(update(UserSession).where(UserSession.token_hash == token_digest(token))
                       .values(revoked_at=utcnow()))
    # A shared phone must not keep receiving this user's reminders; the app subscribes again at login.
    subscriptions.delete_user_subscriptions(actor.user_id)
    record_audit(actor, "logout", "user", actor.user_id)
    db.session.commit()


def revoke_sessions(user_id: int, actor: Actor | None) -> int:
    """End every live session of a user (a lost phone): the next request answers 401."""
    result = db.session.execute(
        update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    record_audit(actor, "sessions_revoked", "user", user_id, {"count": result.rowcount})
    db.session.commit()
    return result.rowcount


def get_user_in_scope(actor: Actor, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or area_in_scope(actor, user.area_id) is None:
        raise NotFound("No such user")
    return user
