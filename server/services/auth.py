"""Accounts: argon2id passwords, server-side sessions, CSRF tokens and the login lockout per failing source.

Two rules shape this module:
- argon2 never runs inside a transaction. On SQLite a write transaction holds the one write lock from its
  BEGIN IMMEDIATE, so a password check inside it would stall every push for its whole duration. Use cases read
  in `reading()` (no write lock, ended before hashing), hash or verify, then write in a short transaction.
- The lockout is bound to the failing source (the address, or a device that has logged in to the account
  before), never to the account alone: whoever guesses can lock themselves out, not the account's owner. Every
  user name, existing or not, is counted and locked alike, and every path verifies one argon2 hash of the same
  cost, so neither the answer nor its timing tells an unknown name from a locked one.
"""

import hashlib
import hmac
import secrets
from contextlib import contextmanager
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Row, case, delete, select, update

from ..database import begin_reads_deferred, dialect_insert, end_deferred_reads, write_connection
from ..extensions import db
from ..models import Area, LoginFailure, User, UserSession
from ..models.base import utcnow
from . import subscriptions
from .actors import Actor
from .changes import record_audit
from .errors import AccountLocked, BadCredentials, NotFound
from .scope import area_in_scope

hasher = PasswordHasher()
# Verified against when the user name is unknown or its source is locked, so those answers take as long as a
# wrong password.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))
# A failure count this old starts again: "consecutive" means within a day, not since last year.
FAILURES_FORGOTTEN_AFTER = timedelta(days=1)


def configure(config) -> None:
    """Set the argon2id cost from the app's configuration."""
    global hasher, _DUMMY_HASH
    params = (config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"], config["ARGON2_PARALLELISM"])
    if (hasher.time_cost, hasher.memory_cost, hasher.parallelism) != params:
        hasher = PasswordHasher(time_cost=params[0], memory_cost=params[1], parallelism=params[2])
        _DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return hasher.hash(password)


def password_matches(stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_dummy_check(password: str) -> None:
    """The cost of one password check, for answers that must not be quicker than a wrong password."""
    password_matches(_DUMMY_HASH, password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def username_key(username: str) -> str:
    """How the lockout names an account: as typed, trimmed and lower-cased (`Staff_Demo ` is `staff_demo`)."""
    return username.strip().lower()[:64]


def source_key(kind: str, value: str) -> str:
    """A failing source as stored: `ip` + the address, or `device` + a device mark's id (hashed, fixed width)."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


@contextmanager
def reading():
    """Reads without the write lock, in a transaction ended (rolled back) when the block ends, so what follows
    (argon2) holds neither the lock nor an open transaction. Anything queued inside is dropped: write after."""
    if db.session().in_transaction():
        db.session.commit()
    token = begin_reads_deferred()
    try:
        yield
    finally:
        db.session.rollback()
        end_deferred_reads(token)


def actor_for(user: User, device_id: str | None = None, ip: str | None = None,
              area_path: str | None = None) -> Actor:
    """The actor of a user's request; `area_path` when the caller already read it (the auth guard)."""
    path = area_path if area_path is not None else \
        db.session.execute(select(Area.path).where(Area.id == user.area_id)).scalar_one()
    return Actor(user_id=user.id, role=user.role, area_id=user.area_id, area_path=path, device_id=device_id,
                 ip=ip)


def must_change_password(user: User, max_age_days: int) -> bool:
    """After an admin's reset (a temporary password), or when the password is older than the policy allows."""
    expired = bool(max_age_days) and user.password_changed_at + timedelta(days=max_age_days) < utcnow()
    return bool(user.must_change_password) or expired


def locked_message(lock_minutes: int) -> str:
    return f"登录失败次数过多，请{lock_minutes}分钟后再试 / too many failed attempts, try again later"


# -- the lockout, per user name and source ------------------------------------------------------------------


def source_locked(key: str, source: str, now: datetime) -> bool:
    """Whether this source is locked out of this user name (a read: call it in `reading()`)."""
    locked_until = db.session.execute(select(LoginFailure.locked_until).where(
        LoginFailure.username == key, LoginFailure.source == source)).scalar_one_or_none()
    return locked_until is not None and locked_until > now


def count_failure(key: str, source: str, now: datetime, *, username: str, threshold: int,
                  lock_minutes: int) -> bool:
    """One more consecutive failure of `source` for this user name (one statement, so concurrent workers count
    every failure); the threshold locks the source. Whether it is locked now. Part of the caller's transaction."""
    table = LoginFailure.__table__
    fresh = table.c.updated_at > now - FAILURES_FORGOTTEN_AFTER
    statement = dialect_insert(db.engine, table).values(username=key, source=source, failures=1, locked_until=None,
                                                updated_at=now)
    failures = db.session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.username, table.c.source],
        set_={"failures": case((fresh, table.c.failures + 1), else_=1), "updated_at": now},
    ).returning(table.c.failures)).scalar_one()
    if failures < threshold:
        return False
    until = now + timedelta(minutes=lock_minutes)
    db.session.execute(update(LoginFailure).where(LoginFailure.username == key, LoginFailure.source == source)
                       .values(failures=0, locked_until=until))
    # For the admin's account list ("locked"), whoever failed; logins never read it. The same statement runs
    # for an unknown name (it matches no row), so the answer takes as long.
    db.session.execute(update(User).where(User.username == username).values(locked_until=until))
    return True


def forget_failures(key: str, source: str | None = None) -> None:
    """A success resets the count (of that source; of every source after an admin's reset)."""
    query = delete(LoginFailure).where(LoginFailure.username == key)
    if source is not None:
        query = query.where(LoginFailure.source == source)
    db.session.execute(query)


# -- login, sessions ------------------------------------------------------------------------------------

# What a login reads of its user and answers with (no ORM object: nothing stays in the session's identity map).
LOGIN_COLUMNS = (User.id, User.username, User.display_name, User.role, User.area_id, User.unit_id, User.active,
                 User.password_hash, User.must_change_password, User.password_changed_at)


def login(username: str, password: str, *, threshold: int, lock_minutes: int, idle_days: int,
          user_agent: str | None, ip: str | None, device_id: str | None = None, max_days: int | None = None,
          source: str | None = None) -> tuple[Row, str, str]:
    """Check a password and open a session: (user, session token for the cookie, csrf token).

    `source` is who is trying (`source_key`; the address by default). Five consecutive failures of a source
    for a user name lock that source for `lock_minutes`, whether the name exists or not. The user is returned
    as a row of `LOGIN_COLUMNS`, as it was read (attributes as on a User).
    """
    now = utcnow()
    key = username_key(username)
    source = source or source_key("ip", ip or "")
    with reading():
        user = db.session.execute(select(*LOGIN_COLUMNS).where(User.username == username)).first()
        locked = source_locked(key, source, now)
    known = user is not None and user.active
    # Exactly one argon2 check of the same cost on every path, outside any transaction.
    ok = password_matches(user.password_hash if known and not locked else _DUMMY_HASH, password)
    ok = ok and known and not locked
    new_hash = hash_password(password) if ok and hasher.check_needs_rehash(user.password_hash) else None

    audit_actor = Actor(user.id if known else None, "", 0, "", device_id, ip)
    target = user.id if known else None
    if locked:
        db.session.execute(update(LoginFailure).where(LoginFailure.username == key, LoginFailure.source == source)
                           .values(updated_at=now))
        record_audit(audit_actor, "login_blocked", "user", target)
        db.session.commit()
        raise AccountLocked(locked_message(lock_minutes))
    if not ok:
        locked = count_failure(key, source, now, username=username, threshold=threshold, lock_minutes=lock_minutes)
        record_audit(audit_actor, "account_locked" if locked else "login_failed", "user", target,
                     None if known else {"reason": "unknown_or_inactive"})
        db.session.commit()
        if locked:
            raise AccountLocked(locked_message(lock_minutes))
        raise BadCredentials("用户名或密码错误 / wrong username or password")

    forget_failures(key, source)
    values = {"failed_logins": 0}
    if new_hash is not None:
        values["password_hash"] = new_hash
    db.session.execute(update(User).where(User.id == user.id).values(**values))
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    lifetime = timedelta(days=min(idle_days, max_days or idle_days))
    db.session.add(UserSession(token_hash=token_digest(token), user_id=user.id, csrf_token=csrf,
                               created_at=now, last_seen_at=now, expires_at=now + lifetime,
                               user_agent=(user_agent or "")[:255]))
    record_audit(Actor(user.id, user.role, user.area_id, "", device_id, ip), "login", "user", user.id)
    db.session.commit()
    return user, token, csrf


def session_with_user(token: str) -> tuple[UserSession, User, str] | None:
    """The session row behind a cookie token, its user and the user's area path, in one query (one round
    trip: on PostgreSQL every request pays for each); whatever their state. The identity map keeps both rows,
    so `db.session.get` finds them later in the transaction without asking the database again.

    The same query reads the database's epoch, kept for the rest of this transaction (a sync push or pull
    checks it: `cursors.current_epoch`), so a sync request does not ask for it again."""
    from .sync.cursors import epoch_column, remember_epoch

    found = db.session.execute(
        select(UserSession, User, Area.path, epoch_column())
        .join(User, User.id == UserSession.user_id)
        .join(Area, Area.id == User.area_id)
        .where(UserSession.token_hash == token_digest(token))
    ).first()
    if found is None:
        return None
    remember_epoch(found[3])
    return found[0], found[1], found[2]


def session_for(token: str | None, idle_days: int,
                max_days: int | None = None) -> tuple[UserSession, User, str] | None:
    """The live session behind a cookie token, sliding its expiry; None when missing, expired or revoked.

    A session ends `idle_days` after its last use, and `max_days` after its login however often it is used.
    The expiry is renewed at most hourly, on a connection of its own: the caller's transaction stays a reader
    (the auth guard begins it without the write lock, so the renewal never waits for its own request).
    """
    if not token or len(token) > 128:
        return None
    found = session_with_user(token)
    if found is None:
        return None
    row, user, path = found
    now = utcnow()
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    ends = row.created_at + timedelta(days=max_days) if max_days else None
    if ends is not None and ends <= now:
        return None
    if not user.active:
        return None
    if now - row.last_seen_at > timedelta(hours=1):
        expires = now + timedelta(days=idle_days)
        if ends is not None:
            expires = min(expires, ends)
        with write_connection(db.engine) as connection:
            connection.execute(update(UserSession).where(UserSession.token_hash == row.token_hash)
                               .values(last_seen_at=now, expires_at=expires))
    return row, user, path


def session_refusal(token: str | None) -> str:
    """The code a request answers when its cookie opens no session (`session_for` gave None).

    `account_inactive`: the user was deactivated; `session_revoked`: this session was ended on the server (a lost
    phone, an admin's revoke or reset, a move): a phone told either wipes its copy of the records (its unsynced
    ones stay, encrypted). `password_changed`: the user changed their password in another session: the phone
    asks for a login with the new password and wipes nothing. Any other reason (no cookie, a logout, an expired
    session) is `unauthorized`. Only the holder of the token learns which: it names no other session or account.
    """
    if not token or len(token) > 128:
        return "unauthorized"
    row = db.session.get(UserSession, token_digest(token))
    if row is None:
        return "unauthorized"
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return "account_inactive"
    if row.revoked_at is None or row.ended_reason == ENDED_LOGOUT:
        return "unauthorized"
    return "password_changed" if row.ended_reason == ENDED_PASSWORD_CHANGED else "session_revoked"


def csrf_ok(session_row: UserSession, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(session_row.csrf_token, header)


def logout(token: str, actor: Actor) -> None:
    db.session.execute(update(UserSession).where(UserSession.token_hash == token_digest(token))
                       .values(revoked_at=utcnow(), ended_reason=ENDED_LOGOUT))
    # A shared phone must not keep receiving this user's reminders; the app subscribes again at login.
    subscriptions.delete_user_subscriptions(actor.user_id)
    record_audit(actor, "logout", "user", actor.user_id)
    db.session.commit()


# Why a session ended (`UserSession.ended_reason`), which decides the code its next request answers.
ENDED_LOGOUT = "logout"
ENDED_REVOKED = "revoked"
ENDED_PASSWORD_CHANGED = "password_changed"


def end_sessions(user_id: int, keep_token_hash: str | None = None, reason: str = ENDED_REVOKED) -> int:
    """Revoke a user's live sessions but `keep_token_hash` (part of the caller's transaction); how many."""
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_token_hash is not None:
        query = query.where(UserSession.token_hash != keep_token_hash)
    return db.session.execute(query.values(revoked_at=utcnow(), ended_reason=reason)).rowcount


def revoke_sessions(user_id: int, actor: Actor | None) -> int:
    """End every live session of a user (a lost phone): the next request answers 401."""
    count = end_sessions(user_id)
    record_audit(actor, "sessions_revoked", "user", user_id, {"count": count})
    db.session.commit()
    return count


def get_user_in_scope(actor: Actor, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or area_in_scope(actor, user.area_id) is None:
        raise NotFound("No such user")
    return user
