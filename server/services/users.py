"""Accounts as an admin manages them: create, change role or area, reset password, deactivate; the policy."""

import re
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from zxcvbn import zxcvbn

from ..domain.creation import LIAISON
from ..extensions import db
from ..models import Area, Unit, User
from ..models.base import utcnow
from . import auth
from .actors import Actor
from .auth import get_user_in_scope as _user_in_scope
from .auth import hash_password, reading, revoke_sessions
from .changes import newest_change, record_audit, record_change
from .errors import AccountLocked, InvalidInput, InvalidTransition, UsernameTaken, WeakPassword
from .scope import area_in_scope

CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"), re.compile(r"[^a-zA-Z0-9]"))
# Words a guesser tries first here, besides zxcvbn's own lists (English passwords, names, keyboard walks): the
# app's name and the pinyin and number habits of Chinese passwords (我爱你 woaini, 一生一世 1314, 520).
LOCAL_WORDS = ("zoufang", "zoufangtong", "tuiyijunren", "junren", "woaini", "aini", "1314", "520", "5201314",
               "zhongguo", "qwer", "asdf", "zxcv", "abcd")
GUESSABLE = "太常见或容易被猜到 / too common or easy to guess"


def password_errors(password: str, policy: dict, username: str | None = None,
                    display_name: str | None = None) -> list[str]:
    """Why a new password breaks the policy (empty when it is fine): length, character classes, the user name,
    and how guessable it is (zxcvbn's score, 0–4, at least `PASSWORD_MIN_SCORE`)."""
    errors = []
    if len(password) < policy["PASSWORD_MIN_LENGTH"]:
        errors.append(f"至少{policy['PASSWORD_MIN_LENGTH']}位 / at least {policy['PASSWORD_MIN_LENGTH']} characters")
    classes = sum(1 for pattern in CLASSES if pattern.search(password))
    if classes < policy["PASSWORD_MIN_CLASSES"]:
        errors.append(f"需包含大写、小写、数字、符号中的至少{policy['PASSWORD_MIN_CLASSES']}类 / "
                      f"use {policy['PASSWORD_MIN_CLASSES']} of: lower, upper, digit, symbol")
    if username and username.lower() in password.lower():
        errors.append("不能包含用户名 / must not contain the username")
    min_score = policy.get("PASSWORD_MIN_SCORE", 0)
    if min_score and not errors:
        inputs = [word for word in (username, display_name) if word] + list(LOCAL_WORDS)
        # zxcvbn refuses more than 72 characters; a longer password is judged by its start.
        if zxcvbn(password[:72], user_inputs=inputs)["score"] < min_score:
            errors.append(GUESSABLE)
    return errors


def password_expired(user: User, policy: dict) -> bool:
    days = policy["PASSWORD_MAX_AGE_DAYS"]
    return bool(days) and user.password_changed_at + timedelta(days=days) < utcnow()


def _check_password(password: str, policy: dict, username: str, display_name: str | None = None) -> None:
    errors = password_errors(password, policy, username, display_name)
    if errors:
        raise WeakPassword("密码不符合要求 / the password breaks the policy", {"password": errors})


def _area_in_scope(actor: Actor, area_id: int) -> Area:
    area = area_in_scope(actor, area_id)
    if area is None:
        raise InvalidInput("Unknown area", {"area_id": ["not an area in your scope"]})
    return area


def list_users(actor: Actor, q=None, role=None, area=None, active=None, page=1, per_page=50) -> dict:
    query = select(User, Area.name).join(Area, Area.id == User.area_id)
    if not actor.sees_all:
        query = query.where(Area.path.startswith(actor.area_path, autoescape=True))
    if q:
        query = query.where(or_(User.username.like(f"%{q}%"), User.display_name.like(f"%{q}%")))
    if role:
        query = query.where(User.role == role)
    if area is not None:
        chosen = _area_in_scope(actor, area)
        query = query.where(Area.path.startswith(chosen.path, autoescape=True))
    if active is not None:
        query = query.where(User.active.is_(active))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(query.order_by(User.username).limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [user_json(u, area_name) for u, area_name in rows], "total": total, "page": page,
            "per_page": per_page}


def user_json(user: User, area_name: str | None = None) -> dict:
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "area_id": user.area_id, "unit_id": user.unit_id, "area_name": area_name, "active": user.active,
            "must_change_password": user.must_change_password,
            "locked": bool(user.locked_until and user.locked_until > utcnow()),
            "created_at": user.created_at.isoformat(timespec="seconds") + "Z"}


def _check_unit(role: str, unit_id: int | None) -> None:
    """A liaison belongs to a member unit of the creation campaign; no other role has one."""
    if role == LIAISON and unit_id is None:
        raise InvalidInput("A liaison needs a unit", {"unit_id": ["required for a liaison"]})
    if role != LIAISON and unit_id is not None:
        raise InvalidInput("Only liaisons have a unit", {"unit_id": ["only for role liaison"]})
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise InvalidInput("Unknown unit", {"unit_id": ["unit not found"]})


def create_user(username: str, display_name: str, password: str, role: str, area_id: int,
                actor: Actor | None = None, *, policy: dict | None = None, temporary_password: bool = False,
                unit_id: int | None = None) -> User:
    """Make an account; its display name reaches phones in scope. The only way accounts are made.

    The admin API passes its actor (the area must be in their scope), the password policy, and
    `temporary_password` (the user chooses their own at first login); the CLI and the demo seed act as the
    system (no actor) and check the password themselves.
    """
    if policy is not None:
        _check_password(password, policy, username, display_name)
    # Hashed before the transaction begins: argon2 must not run while the write lock is held.
    password_hash = hash_password(password)
    if actor is not None:
        _area_in_scope(actor, area_id)
    _check_unit(role, unit_id)
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise UsernameTaken("用户名已存在 / this username exists", {"username": ["exists"]})
    user = User(username=username, display_name=display_name, role=role, area_id=area_id, unit_id=unit_id,
                password_hash=password_hash, active=True, must_change_password=temporary_password)
    db.session.add(user)
    db.session.flush()
    record_change("user", user.id, area_id)
    record_audit(actor, "user.create", "user", user.id,
                 {"role": role, "area_id": area_id, **({"unit_id": unit_id} if unit_id is not None else {})})
    db.session.commit()
    return user


def update_user(actor: Actor, user_id: int, changes: dict) -> User:
    """Change display name, role, area or active; a new area ends the user's old view of records."""
    user = _user_in_scope(actor, user_id)
    if user.id == actor.user_id and (changes.get("active") is False or changes.get("role", "admin") != "admin"):
        raise InvalidTransition("不能停用或降级自己 / you cannot demote or deactivate yourself")
    old_area, old_unit, old_role = user.area_id, user.unit_id, user.role
    if "area_id" in changes:
        _area_in_scope(actor, changes["area_id"])
    role = changes.get("role", user.role)
    unit_id = changes.get("unit_id", user.unit_id if role == LIAISON else None)
    _check_unit(role, unit_id)
    changes = {**changes, "unit_id": unit_id} if unit_id != user.unit_id else changes
    for key, value in changes.items():
        setattr(user, key, value)
    user.version += 1
    if user.area_id != old_area or user.unit_id != old_unit or (LIAISON in (old_role, user.role)
                                                               and user.role != old_role):
        # What the user pulls changed: their phone pulls again from 0.
        user.scope_seq = newest_change() + 1
    if user.area_id != old_area:
        # Cursors from before the move would miss records of the new area: the phone pulls again from 0.
        user.scope_seq = newest_change() + 1
        record_change("user", user.id, old_area)
    record_change("user", user.id, user.area_id)
    record_audit(actor, "user.update", "user", user.id, {k: str(v) for k, v in changes.items()})
    db.session.commit()
    if changes.get("active") is False or user.area_id != old_area or "role" in changes or user.unit_id != old_unit:
        revoke_sessions(user.id, actor)
    return user


def reset_password(actor: Actor, policy: dict, user_id: int, password: str) -> User:
    """A temporary password (told to the user in person); their sessions end, their locks are lifted, they
    choose a new one at their next login."""
    with reading():
        user = _user_in_scope(actor, user_id)
        username, display_name = user.username, user.display_name
    _check_password(password, policy, username, display_name)
    password_hash = hash_password(password)  # before the write transaction, as every hash
    db.session.execute(update(User).where(User.id == user_id).values(
        password_hash=password_hash, password_changed_at=utcnow(), must_change_password=True, failed_logins=0,
        locked_until=None))
    auth.forget_failures(auth.username_key(username))
    record_audit(actor, "user.reset_password", "user", user_id)
    db.session.commit()
    revoke_sessions(user_id, actor)
    return db.session.get(User, user_id)


def change_own_password(actor: Actor, policy: dict, current: str, new: str, *, source: str,
                        keep_token_hash: str | None, threshold: int, lock_minutes: int) -> None:
    """Change one's own password; every other session of the user ends (a phone that may be lost), this one
    stays. A wrong current password counts as a failed login of `source`: five lock it, as at the login."""
    now = utcnow()
    with reading():
        user = db.session.execute(select(User.username, User.display_name, User.password_hash)
                                  .where(User.id == actor.user_id)).one()
        key = auth.username_key(user.username)
        locked = auth.source_locked(key, source, now)
    if locked:
        auth.burn_dummy_check(current)
        raise AccountLocked(auth.locked_message(lock_minutes))
    if not auth.password_matches(user.password_hash, current):
        locked = auth.count_failure(key, source, now, username=user.username, threshold=threshold,
                                    lock_minutes=lock_minutes)
        record_audit(actor, "account_locked" if locked else "password_change_failed", "user", actor.user_id)
        db.session.commit()
        if locked:
            raise AccountLocked(auth.locked_message(lock_minutes))
        raise InvalidInput("当前密码不正确 / the current password is wrong", {"current_password": ["wrong"]})
    if current == new:
        raise WeakPassword("新密码不能与旧密码相同 / choose a different password",
                           {"password": ["same as before"]})
    _check_password(new, policy, user.username, user.display_name)
    password_hash = hash_password(new)
    changed = db.session.execute(
        update(User).where(User.id == actor.user_id, User.password_hash == user.password_hash)
        .values(password_hash=password_hash, password_changed_at=now, must_change_password=False)).rowcount
    if not changed:  # changed meanwhile (another session, an admin's reset): the current password was not it
        db.session.rollback()
        raise InvalidInput("当前密码不正确 / the current password is wrong", {"current_password": ["wrong"]})
    auth.forget_failures(key, source)
    ended = auth.end_sessions(actor.user_id, keep_token_hash, auth.ENDED_PASSWORD_CHANGED)
    record_audit(actor, "user.change_password", "user", actor.user_id, {"sessions_ended": ended})
    db.session.commit()
