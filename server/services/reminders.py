"""Reminder triggers (follow-ups due today, both meanings of 逾期 — 跟进逾期 and 办结超期 —, the creation
campaign's deadlines) and the dispatcher that pushes due rows.

Triggers only insert notification rows keyed by a dedupe key, so running them again changes nothing; the
inbox reads the rows whether or not a push ever arrives. Titles and bodies carry counts and kinds, never
personal data (PIPL).

The dispatcher claims due unsent rows in a short transaction (FOR UPDATE SKIP LOCKED on PostgreSQL; on
SQLite the BEGIN IMMEDIATE write lock serialises claims): it bumps `attempts` and leases the row by moving
`next_attempt_at` ahead, commits, and only then sends, so no lock is held during HTTP and no other
dispatcher can claim the row meanwhile. A dispatcher that dies mid-send leaves the lease to expire and the
row is sent again later: exactly once while dispatchers live, at least once across a crash.

`sent_at` marks a row done: pushed to at least one device, or nothing left to push to (no subscription,
all of them gone, a permanent error, too old to be worth pushing, or retries exhausted); `last_error` says
which when it is not a plain delivery.
"""

import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, func, or_, select, update

from ..domain.difficulties import DEADLINE_OVERDUE, FOLLOW_UP_OVERDUE
from ..extensions import db
from ..models import Area, Difficulty, Notification, PushSubscription, User
from ..models.base import utcnow
from ..push import GONE, OK, RETRY, Message, Pusher, Subscription, payload_of
from .creation import reminders as creation_reminders
from .creation import scoring as creation_scoring
from .difficulties import follow_up_overdue_ids
from .notifications import _insert_ignoring_duplicates

log = logging.getLogger(__name__)

REMIND_AT = time(9, 0)  # local time of the daily reminders
LEASE = timedelta(minutes=10)  # longer than any batch of sends can take (timeouts are 10 s, in parallel)
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
MAX_AGE = timedelta(hours=24)  # "3 项跟进今天到期" pushed tomorrow would be wrong: the inbox keeps it
HIGH_URGENCY = {"urgent_difficulty"}
DEFAULT_ZONE = "Asia/Shanghai"  # Config.TIMEZONE's default


# ---------------------------------------------------------------- time


def _as_utc_naive(moment: datetime | None) -> datetime:
    if moment is None:
        return utcnow()
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment




def _local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------- triggers


@dataclass
class _User:
    id: int
    role: str
    path: str

    def covers(self, area_path: str) -> bool:
        """The record is in this user's scope (their area's subtree; an admin's is everything)."""
        return self.role == "admin" or area_path.startswith(self.path)


def _users(ids=None, role: str | None = None) -> dict[int, _User]:
    query = (select(User.id, User.role, Area.path).join(Area, Area.id == User.area_id)
             .where(User.active.is_(True)))
    if ids is not None:
        query = query.where(User.id.in_(list(ids) or [-1]))
    if role is not None:
        query = query.where(User.role == role)
    return {uid: _User(uid, r, path) for uid, r, path in db.session.execute(query)}


def _responsible(users: dict[int, _User], assignee: int | None, author: int, path: str) -> _User | None:
    """The assignee when they are active and can see the record, otherwise its author."""
    for candidate in (assignee, author):
        user = users.get(candidate) if candidate is not None else None
        if user is not None and user.covers(path):
            return user
    return None


def _board_url(user: _User, query: str) -> str:
    prefix = "/office/difficulties" if user.role in ("reviewer", "admin") else "/difficulties"
    return f"{prefix}?{query}"


def _follow_up_rows(day: date, zone: ZoneInfo, due_at: datetime) -> list[dict]:
    """Unresolved difficulties whose follow-up date (local) is today: one summary row per responsible user."""
    start, end = _local_to_utc(day, time(0), zone), _local_to_utc(day + timedelta(days=1), time(0), zone)
    found = db.session.execute(
        select(Difficulty.id, Difficulty.assignee_id, Difficulty.author_id, Area.path)
        .join(Area, Area.id == Difficulty.area_id)
        .where(Difficulty.status != "resolved", Difficulty.follow_up_at >= start,
               Difficulty.follow_up_at < end)
    ).all()
    users = _users({uid for _, assignee, author, _ in found for uid in (assignee, author) if uid})
    per_user: dict[int, set[str]] = defaultdict(set)
    for difficulty_id, assignee, author, path in found:
        user = _responsible(users, assignee, author, path)
        if user is not None:
            per_user[user.id].add(difficulty_id)
    return [{
        "user_id": user_id, "kind": "follow_up_due", "title": "今日跟进提醒",
        "body": f"{len(ids)} 项跟进今天到期", "url": _board_url(users[user_id], "due=today"),
        "dedupe_key": f"follow_up:{user_id}:{day.isoformat()}", "due_at": due_at,
    } for user_id, ids in per_user.items()]


def _follow_up_overdue_rows(day: date, zone: ZoneInfo, due_at: datetime) -> list[dict]:
    """跟进逾期: unresolved difficulties whose follow-up date's local day is over with no follow-up since (the
    board's rule, services/difficulties.py): one summary row per responsible user (the assignee in scope, else
    the author), each lapse reminded once. A user's row covers the late difficulties whose follow-up day is on or
    after the day of their previous 跟进逾期 reminder (that one covered the days before it); the first covers
    all. So a difficulty is counted the morning after its date, again only if a new date passes unmet."""
    late = follow_up_overdue_ids([], day, zone.key)
    if not late:
        return []
    found = []
    for start in range(0, len(late), 500):
        found += db.session.execute(
            select(Difficulty.id, Difficulty.follow_up_at, Difficulty.assignee_id, Difficulty.author_id, Area.path)
            .join(Area, Area.id == Difficulty.area_id).where(Difficulty.id.in_(late[start:start + 500]))
        ).all()
    users = _users({uid for _, _, assignee, author, _ in found for uid in (assignee, author) if uid})
    previous = {user_id: at.replace(tzinfo=UTC).astimezone(zone).date() for user_id, at in db.session.execute(
        select(Notification.user_id, func.max(Notification.due_at))
        .where(Notification.kind == "follow_up_overdue", Notification.due_at < due_at,
               Notification.user_id.in_(list(users) or [-1]))
        .group_by(Notification.user_id))}
    per_user: dict[int, set[str]] = defaultdict(set)
    for difficulty_id, follow_up_at, assignee, author, path in found:
        user = _responsible(users, assignee, author, path)
        if user is None:
            continue
        follow_up_day = follow_up_at.replace(tzinfo=UTC).astimezone(zone).date()
        if user.id not in previous or follow_up_day >= previous[user.id]:
            per_user[user.id].add(difficulty_id)
    return [{
        "user_id": user_id, "kind": "follow_up_overdue", "title": f"{FOLLOW_UP_OVERDUE}提醒",
        "body": f"{len(ids)} 项困难诉求{FOLLOW_UP_OVERDUE}", "url": _board_url(users[user_id], "follow_up_overdue=1"),
        "dedupe_key": f"follow_up_overdue:{user_id}:{day.isoformat()}", "due_at": due_at,
    } for user_id, ids in per_user.items()]


def _overdue_rows(day: date, due_at: datetime) -> list[dict]:
    """办结超期: unresolved difficulties past their due date: the responsible user and the reviewers over the village,
    one summary row each per day until resolved."""
    found = db.session.execute(
        select(Difficulty.id, Difficulty.assignee_id, Difficulty.author_id, Area.path)
        .join(Area, Area.id == Difficulty.area_id)
        .where(Difficulty.status != "resolved", Difficulty.due_date.is_not(None), Difficulty.due_date < day)
    ).all()
    if not found:
        return []
    responsible = _users({uid for _, assignee, author, _ in found for uid in (assignee, author) if uid})
    reviewers = _users(role="reviewer")
    users = {**responsible, **reviewers}
    per_user: dict[int, set[str]] = defaultdict(set)
    for difficulty_id, assignee, author, path in found:
        user = _responsible(responsible, assignee, author, path)
        if user is not None:
            per_user[user.id].add(difficulty_id)
        for reviewer in reviewers.values():
            if reviewer.covers(path):
                per_user[reviewer.id].add(difficulty_id)
    return [{
        "user_id": user_id, "kind": "overdue", "title": f"{DEADLINE_OVERDUE}提醒",
        "body": f"{len(ids)} 项困难诉求{DEADLINE_OVERDUE}", "url": _board_url(users[user_id], "overdue=1"),
        "dedupe_key": f"overdue:{user_id}:{day.isoformat()}", "due_at": due_at,
    } for user_id, ids in per_user.items()]


def schedule_due(now: datetime | None = None, zone_name: str = DEFAULT_ZONE) -> int:
    """Create today's reminder rows once 09:00 local (in the deployment's zone) has passed; idempotent
    (dedupe keys). Returns the rows that would be created (duplicates are skipped by the database)."""
    now = _as_utc_naive(now)
    zone = ZoneInfo(zone_name)
    today = now.replace(tzinfo=UTC).astimezone(zone).date()
    remind_at = _local_to_utc(today, REMIND_AT, zone)
    if now < remind_at:
        db.session.rollback()
        return 0
    rows = _follow_up_rows(today, zone, remind_at) + _follow_up_overdue_rows(today, zone, remind_at) + \
        _overdue_rows(today, remind_at) + \
        creation_reminders.reminder_rows(today, remind_at)
    for row in rows:
        row["created_at"] = now
    _insert_ignoring_duplicates(rows)
    db.session.commit()
    creation_scoring.record_weekly_score(zone_name, now)  # the creation campaign's trend: this week's total
    return len(rows)


# ---------------------------------------------------------------- dispatcher


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0  # delivered to at least one device
    no_subscription: int = 0
    retrying: int = 0
    failed: int = 0  # done without delivery: permanent errors, all subscriptions gone, retries exhausted
    expired: int = 0
    pruned_subscriptions: int = 0

    def add(self, other: "DispatchReport") -> None:
        for name in ("claimed", "sent", "no_subscription", "retrying", "failed", "expired",
                     "pruned_subscriptions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Claimed:
    id: int
    user_id: int
    kind: str
    title: str
    body: str
    url: str | None
    attempts: int  # including this one


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at an hour, with jitter so a fleet of retries does not arrive together."""
    delay = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)
    return delay * random.uniform(0.9, 1.1)


def _expire_stale(now: datetime) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.sent_at.is_(None), Notification.due_at < now - MAX_AGE)
        .values(sent_at=now, next_attempt_at=None,
                last_error=case((Notification.last_error.is_(None), "expired: not pushed within 24 h"),
                                else_=Notification.last_error))
    )
    return result.rowcount or 0


def _claim(now: datetime, batch_size: int) -> tuple[list[_Claimed], dict[int, list[Subscription]]]:
    """Lease up to batch_size due rows to this dispatcher and read their users' subscriptions; commits."""
    query = (
        select(Notification.id, Notification.user_id, Notification.kind, Notification.title,
               Notification.body, Notification.url, Notification.attempts)
        .where(Notification.sent_at.is_(None), Notification.due_at <= now,
               Notification.due_at >= now - MAX_AGE,
               or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
        .order_by(Notification.due_at, Notification.id)
        .limit(batch_size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = [_Claimed(*row[:6], attempts=(row[6] or 0) + 1) for row in db.session.execute(query)]
    subscriptions: dict[int, list[Subscription]] = defaultdict(list)
    if rows:
        db.session.execute(
            update(Notification).where(Notification.id.in_([r.id for r in rows]))
            .values(attempts=Notification.attempts + 1, next_attempt_at=now + LEASE)
        )
        found = db.session.execute(
            select(PushSubscription.id, PushSubscription.user_id, PushSubscription.endpoint,
                   PushSubscription.p256dh, PushSubscription.auth)
            .where(PushSubscription.user_id.in_({r.user_id for r in rows}))
            .order_by(PushSubscription.id)
        )
        for sub_id, user_id, endpoint, p256dh, auth in found:
            subscriptions[user_id].append(Subscription(sub_id, endpoint, p256dh, auth))
    db.session.commit()
    return rows, subscriptions


def _outcome(row: _Claimed, results: list, now: datetime, report: DispatchReport) -> dict:
    """The row's update after its sends: done (sent_at), or back in the queue at next_attempt_at."""
    done = {"id": row.id, "sent_at": now, "next_attempt_at": None, "last_error": None}
    if not results:
        report.no_subscription += 1
        return done
    errors = [r.error for r in results if r.outcome != OK and r.error]
    summary = "; ".join(dict.fromkeys(errors))[:1000] or None
    if any(r.outcome == OK for r in results):
        report.sent += 1
        return {**done, "last_error": summary}
    retryable = [r for r in results if r.outcome == RETRY]
    if retryable and row.attempts < MAX_ATTEMPTS:
        waits = [r.retry_after for r in retryable if r.retry_after is not None]
        # Never sooner than any push service asked (Retry-After); otherwise exponential backoff.
        delay = timedelta(seconds=max(waits)) if waits else backoff(row.attempts)
        report.retrying += 1
        return {"id": row.id, "sent_at": None, "next_attempt_at": now + delay, "last_error": summary}
    report.failed += 1
    if retryable:
        summary = f"gave up after {row.attempts} attempts: {summary}"
    elif all(r.outcome == GONE for r in results):
        summary = f"every subscription is gone: {summary}"
    return {**done, "last_error": summary}


def _dispatch_batch(now: datetime, pusher: Pusher, batch_size: int) -> DispatchReport:
    report = DispatchReport()
    rows, subscriptions = _claim(now, batch_size)
    report.claimed = len(rows)
    if not rows:
        return report
    messages, owners = [], []
    for row in rows:
        payload = payload_of(row.id, row.kind, row.title, row.body, row.url)
        urgency = "high" if row.kind in HIGH_URGENCY else "normal"
        for sub in subscriptions.get(row.user_id, ()):
            messages.append(Message(sub, payload, urgency))
            owners.append(row.id)
    results = pusher.send_many(messages)
    per_row: dict[int, list] = defaultdict(list)
    gone: set[int] = set()
    for owner, message, result in zip(owners, messages, results, strict=True):
        per_row[owner].append(result)
        if result.outcome == GONE:
            gone.add(message.subscription.id)
    updates = [_outcome(row, per_row.get(row.id, []), now, report) for row in rows]
    db.session.execute(update(Notification), updates)
    if gone:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        report.pruned_subscriptions = len(gone)
    db.session.commit()
    return report


def send_due(now: datetime | None = None, *, pusher: Pusher, batch_size: int = 100,
             max_batches: int | None = None) -> DispatchReport:
    """Push every due unsent row to all its user's subscriptions, batch by batch; safe beside other
    dispatchers (each row is claimed by one)."""
    now = _as_utc_naive(now)
    report = DispatchReport()
    report.expired = _expire_stale(now)
    db.session.commit()
    batches = 0
    while max_batches is None or batches < max_batches:
        batch = _dispatch_batch(now, pusher, batch_size)
        batches += 1
        report.add(batch)
        if batch.claimed < batch_size:
            break
    if report.claimed or report.expired:
        log.info("reminders: claimed %d, sent %d, no subscription %d, retrying %d, failed %d, expired %d, "
                 "pruned %d subscriptions", report.claimed, report.sent, report.no_subscription,
                 report.retrying, report.failed, report.expired, report.pruned_subscriptions)
    return report
