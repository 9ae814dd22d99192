"""Reminder triggers (when, to whom, how often) and the dispatcher's bookkeeping, on a frozen clock."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import delete, select, update

from server.extensions import db
from server.models import Area, Difficulty, FollowUp, Item, Notification, PushSubscription, Rectification, User
from server.push import FAILED, GONE, OK, RETRY, Result
from server.services import reminders, users
from tests.conftest import difficulty_data, mutation, new_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.now(SHANGHAI).date() + timedelta(days=5)  # ahead of the (real-time) sessions' creation


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def clean(app):
    """No demo difficulty, creation task or notification in the way: every reminder a test sees is one it
    made (the creation campaign's reminders are tested in tests/services/test_creation_reminders.py)."""
    db.session.execute(update(Difficulty).values(status="resolved"))
    db.session.execute(update(Item).values(status="done"))
    db.session.execute(update(Rectification).values(status="done"))
    db.session.execute(delete(Notification))
    db.session.commit()


def area_id(name: str) -> int:
    return db.session.execute(select(Area.id).where(Area.name == name)).scalar_one()


def make_user(username: str, role: str, area_name: str) -> int:
    return users.create_user(username, "某某", "Password-2026", role, area_id(area_name)).id


def new_difficulty(client, recipient: dict, **fields) -> str:
    data = difficulty_data(recipient["id"], **fields)
    [result] = client.push(mutation("difficulty.create", data))
    assert result["status"] == "applied", result
    return data["id"]


def set_difficulty(difficulty_id: str, **values) -> None:
    db.session.execute(update(Difficulty).where(Difficulty.id == difficulty_id).values(**values))
    db.session.commit()


def rows(kind: str | None = None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).order_by(Notification.user_id, Notification.due_at)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.execute(query).scalars())


def schedule_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        reminders.schedule_due()


# ---------------------------------------------------------------- follow-ups due today


def test_follow_up_reminder_fires_at_0900_local_once_per_user_with_the_days_count(
        clean, staff, own_recipient):
    new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY, 14)))
    new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY, 0, 30)))  # the day before, in UTC
    new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY - timedelta(days=1), 23, 59)))
    new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY + timedelta(days=1), 0, 0)))
    resolved = new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY, 10)))
    set_difficulty(resolved, status="resolved")

    schedule_at(local(DAY, 8, 59))
    assert rows() == []

    schedule_at(local(DAY, 9, 0))
    schedule_at(local(DAY, 9, 1))
    schedule_at(local(DAY, 17, 0))

    [row] = rows("follow_up_due")  # yesterday's 23:59 is 跟进逾期 now: its own reminder, tested below
    assert (row.user_id, row.kind, row.body) == (staff.user["id"], "follow_up_due", "2 项跟进今天到期")
    assert row.due_at == naive_utc(local(DAY, 9)) and row.sent_at is None
    assert row.dedupe_key == f"follow_up:{staff.user['id']}:{DAY.isoformat()}"


def test_follow_up_reminder_goes_to_the_assignee_in_scope_otherwise_the_author(
        clean, app, staff, own_recipient):
    township = db.session.get(Area, staff.user["area_id"]).name
    colleague = make_user("staff_b", "staff", township)
    far_away = make_user("staff_far", "staff", "青山乡")
    to_colleague = new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY, 10)))
    to_far_away = new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY, 11)))
    set_difficulty(to_colleague, assignee_id=colleague)
    set_difficulty(to_far_away, assignee_id=far_away)  # cannot see the record: the author is reminded

    schedule_at(local(DAY, 9, 30))

    assert {(r.user_id, r.body) for r in rows()} == {(colleague, "1 项跟进今天到期"),
                                                     (staff.user["id"], "1 项跟进今天到期")}


def test_inactive_users_get_no_reminders(clean, staff, own_recipient):
    new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY, 10)))
    db.session.execute(update(User).where(User.id == staff.user["id"]).values(active=False))
    db.session.commit()

    schedule_at(local(DAY, 9, 30))

    assert [r for r in rows() if r.user_id == staff.user["id"]] == []


# ---------------------------------------------------------------- 跟进逾期 (a follow-up date passed)


def follow_up(client, difficulty_id: str, at: datetime) -> None:
    """A follow-up recorded at `at` (written directly: the sync path refuses a time in the future, and the
    tests' days lie ahead of the real clock)."""
    difficulty = db.session.get(Difficulty, difficulty_id)
    db.session.add(FollowUp(id=new_id(), difficulty_id=difficulty_id, author_id=client.user["id"],
                            area_id=difficulty.area_id, at=naive_utc(at), note="电话跟进", status=None,
                            next_follow_up_at=None))
    db.session.commit()


def test_follow_up_overdue_reminds_the_responsible_user_once_the_morning_after_the_date(
        clean, app, staff, reviewer, own_recipient):
    township = db.session.get(Area, staff.user["area_id"]).name
    colleague = make_user("staff_b", "staff", township)
    yesterday = DAY - timedelta(days=1)
    late = new_difficulty(staff, own_recipient, follow_up_at=iso(local(yesterday, 14)))
    assigned = new_difficulty(staff, own_recipient, follow_up_at=iso(local(yesterday, 23, 30)))  # UTC: the 3rd
    set_difficulty(assigned, assignee_id=colleague)
    done = new_difficulty(staff, own_recipient, follow_up_at=iso(local(yesterday, 16)))
    follow_up(staff, done, local(yesterday, 10))  # on the day, before the stated hour: it was made
    new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY, 0, 30)))  # today: due, late tomorrow
    resolved = new_difficulty(staff, own_recipient, follow_up_at=iso(local(yesterday, 9)))
    set_difficulty(resolved, status="resolved")

    schedule_at(local(DAY, 8, 59))
    assert rows("follow_up_overdue") == []

    schedule_at(local(DAY, 9, 0))
    schedule_at(local(DAY, 20, 0))

    first = rows("follow_up_overdue")
    assert {(r.user_id, r.title, r.body, r.url) for r in first} == {
        (staff.user["id"], "跟进逾期提醒", "1 项困难诉求跟进逾期", "/difficulties?follow_up_overdue=1"),
        (colleague, "跟进逾期提醒", "1 项困难诉求跟进逾期", "/difficulties?follow_up_overdue=1")}
    assert {r.due_at for r in first} == {naive_utc(local(DAY, 9))}
    assert {r.dedupe_key for r in first} == {f"follow_up_overdue:{u}:{DAY.isoformat()}"
                                              for u in (staff.user["id"], colleague)}
    assert reviewer.user["id"] not in {r.user_id for r in first}  # reviewers get 办结超期, not this
    assert all(r.kind != "overdue" for r in rows())  # no deadline was set: no 办结超期

    # Once: still late the next days, but named again only when another date passes (today's, tomorrow).
    schedule_at(local(DAY + timedelta(days=1), 9, 0))
    schedule_at(local(DAY + timedelta(days=2), 9, 0))
    later = [(r.user_id, r.body, r.due_at) for r in rows("follow_up_overdue") if r not in first]
    assert later == [(staff.user["id"], "1 项困难诉求跟进逾期", naive_utc(local(DAY + timedelta(days=1), 9)))]
    set_difficulty(late, follow_up_at=naive_utc(local(DAY + timedelta(days=2), 10)))  # a new date, unmet too
    schedule_at(local(DAY + timedelta(days=3), 9, 0))
    [again] = [r for r in rows("follow_up_overdue") if r.due_at == naive_utc(local(DAY + timedelta(days=3), 9))]
    assert (again.user_id, again.body) == (staff.user["id"], "1 项困难诉求跟进逾期")


def test_the_first_follow_up_overdue_reminder_covers_every_late_date_then_only_new_ones(
        clean, staff, own_recipient):
    old = [new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY - timedelta(days=n), 11)))
           for n in (3, 10)]
    schedule_at(local(DAY, 9, 0))
    assert [r.body for r in rows("follow_up_overdue")] == ["2 项困难诉求跟进逾期"]

    # Two days without the dispatcher: the next round still names the one date that lapsed meanwhile.
    new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY + timedelta(days=1), 11)))
    follow_up(staff, old[0], local(DAY, 10))
    schedule_at(local(DAY + timedelta(days=3), 9, 30))
    later = rows("follow_up_overdue")[-1]
    assert (later.body, later.due_at) == ("1 项困难诉求跟进逾期", naive_utc(local(DAY + timedelta(days=3), 9)))


# ---------------------------------------------------------------- overdue


def test_overdue_reminds_the_responsible_user_and_reviewers_over_the_village_daily_until_resolved(
        clean, app, staff, admin, reviewer, own_recipient, foreign_recipient):
    township = db.session.get(Area, staff.user["area_id"]).name
    township_reviewer = make_user("reviewer_town", "reviewer", township)
    other_reviewer = make_user("reviewer_qingshan", "reviewer", "青山乡")
    overdue = new_difficulty(staff, own_recipient, due_date=(DAY - timedelta(days=1)).isoformat())
    due_today = new_difficulty(staff, own_recipient, due_date=DAY.isoformat())  # not overdue yet
    foreign = new_difficulty(admin, foreign_recipient, due_date=(DAY - timedelta(days=3)).isoformat())
    set_difficulty(foreign, status="resolved")

    schedule_at(local(DAY, 9, 5))
    schedule_at(local(DAY, 20, 0))

    first_day = {(r.user_id, r.body) for r in rows("overdue")}
    assert first_day == {(staff.user["id"], "1 项困难诉求办结超期"),
                         (reviewer.user["id"], "1 项困难诉求办结超期"),
                         (township_reviewer, "1 项困难诉求办结超期")}
    assert other_reviewer not in {user for user, _ in first_day}

    schedule_at(local(DAY + timedelta(days=1), 9, 0))
    next_day = [r for r in rows("overdue") if r.due_at == naive_utc(local(DAY + timedelta(days=1), 9))]
    assert {r.user_id for r in next_day} == {u for u, _ in first_day}  # once more on the next day
    assert {r.body for r in next_day} == {"2 项困难诉求办结超期"}  # yesterday's "due today" joined

    set_difficulty(overdue, status="resolved")
    set_difficulty(due_today, status="resolved")
    schedule_at(local(DAY + timedelta(days=2), 9, 0))
    assert len(rows("overdue")) == 6


def test_overdue_outside_a_reviewers_township_never_reaches_them(clean, app, admin, foreign_recipient, staff):
    township = db.session.get(Area, staff.user["area_id"]).name
    township_reviewer = make_user("reviewer_town", "reviewer", township)
    new_difficulty(admin, foreign_recipient, due_date=(DAY - timedelta(days=2)).isoformat())

    schedule_at(local(DAY, 9, 0))

    users = {r.user_id for r in rows("overdue")}
    assert township_reviewer not in users and staff.user["id"] not in users
    assert admin.user["id"] in users  # the author


# ---------------------------------------------------------------- the dispatcher


class ScriptedPusher:
    """Answers each send with the next scripted result (default 201) and records the messages."""

    def __init__(self, *script: Result):
        self.script = list(script)
        self.sent = []

    def send_many(self, messages):
        self.sent.extend(messages)
        return [self.script.pop(0) if self.script else Result(OK, 201) for _ in messages]


def add_row(user_id: int, due_at: datetime, key: str = "test:1", kind: str = "follow_up_due") -> int:
    row = Notification(user_id=user_id, kind=kind, title="今日跟进提醒", body="1 项跟进今天到期", url=None,
                       due_at=naive_utc(due_at), dedupe_key=key, attempts=0)
    db.session.add(row)
    db.session.flush()
    row_id = row.id  # read before the commit: reading it after would begin a transaction (on SQLite, the write
    db.session.commit()  # lock, BEGIN IMMEDIATE) that blocks the VAPID key's read on another connection
    return row_id


def add_subscription(user_id: int, endpoint: str = "https://push.example.com/1") -> int:
    sub = PushSubscription(user_id=user_id, endpoint=endpoint, p256dh="p", auth="a")
    db.session.add(sub)
    db.session.commit()
    return sub.id


def test_a_row_without_subscriptions_is_marked_sent_and_the_inbox_still_lists_it(clean, staff):
    add_row(staff.user["id"], local(DAY, 9))
    pusher = ScriptedPusher()

    with time_machine.travel(local(DAY, 9, 1), tick=False):
        report = reminders.send_due(pusher=pusher)
        inbox = staff.get("/api/notifications").json

    assert (report.claimed, report.no_subscription, pusher.sent) == (1, 1, [])
    [row] = rows()
    assert row.sent_at == naive_utc(local(DAY, 9, 1)) and row.attempts == 1 and row.last_error is None
    assert [item["body"] for item in inbox["items"]] == ["1 项跟进今天到期"] and inbox["unread"] == 1


def test_rows_not_yet_due_are_neither_pushed_nor_in_the_inbox(clean, staff):
    add_row(staff.user["id"], local(DAY, 9))
    add_subscription(staff.user["id"])
    pusher = ScriptedPusher()
    with time_machine.travel(local(DAY, 8, 59), tick=False):
        assert reminders.send_due(pusher=pusher).claimed == 0
        assert staff.get("/api/notifications").json["items"] == []
    assert pusher.sent == []


def test_a_server_error_is_retried_with_backoff_and_sent_once_on_success(clean, staff):
    add_row(staff.user["id"], local(DAY, 9), kind="urgent_difficulty")
    add_subscription(staff.user["id"])
    pusher = ScriptedPusher(Result(RETRY, 503, error="503 Service Unavailable"))
    start = naive_utc(local(DAY, 9))

    reminders.send_due(start, pusher=pusher)
    [row] = rows()
    assert row.sent_at is None and row.attempts == 1 and row.last_error == "503 Service Unavailable"
    assert start + timedelta(seconds=26) < row.next_attempt_at < start + timedelta(seconds=34)
    assert pusher.sent[0].urgency == "high" and pusher.sent[0].ttl >= 3600

    assert reminders.send_due(start + timedelta(seconds=20), pusher=pusher).claimed == 0
    report = reminders.send_due(start + timedelta(seconds=40), pusher=pusher)

    assert report.sent == 1 and len(pusher.sent) == 2
    [row] = rows()
    assert row.sent_at == start + timedelta(seconds=40) and row.attempts == 2 and row.last_error is None


def test_retry_after_is_honoured_over_the_backoff(clean, staff):
    add_row(staff.user["id"], local(DAY, 9))
    add_subscription(staff.user["id"])
    start = naive_utc(local(DAY, 9))
    reminders.send_due(start, pusher=ScriptedPusher(Result(RETRY, 429, retry_after=600, error="429")))
    [row] = rows()
    assert row.next_attempt_at == start + timedelta(seconds=600) and row.sent_at is None


def test_retries_stop_after_max_attempts_with_the_reason_kept(clean, staff):
    add_row(staff.user["id"], local(DAY, 9))
    add_subscription(staff.user["id"])
    moment = naive_utc(local(DAY, 9))
    pusher = ScriptedPusher(*[Result(RETRY, error="network: ConnectionError")] * reminders.MAX_ATTEMPTS)
    for _ in range(reminders.MAX_ATTEMPTS):
        reminders.send_due(moment, pusher=pusher)
        moment += timedelta(hours=2)
    [row] = rows()
    assert row.attempts == reminders.MAX_ATTEMPTS and row.sent_at is not None
    assert row.last_error.startswith(f"gave up after {reminders.MAX_ATTEMPTS} attempts")
    assert reminders.send_due(moment, pusher=pusher).claimed == 0


def test_gone_subscriptions_are_deleted_and_a_live_one_still_gets_the_message(clean, staff):
    add_row(staff.user["id"], local(DAY, 9))
    gone = add_subscription(staff.user["id"], "https://push.example.com/gone")
    live = add_subscription(staff.user["id"], "https://push.example.com/live")
    pusher = ScriptedPusher(Result(GONE, 410, error="410 Gone"), Result(OK, 201))

    report = reminders.send_due(naive_utc(local(DAY, 9)), pusher=pusher)

    assert (report.sent, report.pruned_subscriptions) == (1, 1)
    remaining = {s.id for s in db.session.execute(select(PushSubscription)).scalars()}
    assert gone not in remaining and live in remaining


def test_a_permanent_error_ends_the_row_without_retrying(clean, staff):
    add_row(staff.user["id"], local(DAY, 9))
    add_subscription(staff.user["id"])
    report = reminders.send_due(naive_utc(local(DAY, 9)),
                                pusher=ScriptedPusher(Result(FAILED, 400, error="400 Bad Request")))
    [row] = rows()
    assert report.failed == 1 and row.sent_at is not None and row.last_error == "400 Bad Request"


def test_a_reminder_not_pushed_within_a_day_expires_unsent_but_stays_in_the_inbox(clean, staff):
    add_row(staff.user["id"], local(DAY, 9))
    add_subscription(staff.user["id"])
    pusher = ScriptedPusher()
    report = reminders.send_due(naive_utc(local(DAY + timedelta(days=2), 9)), pusher=pusher)
    [row] = rows()
    assert (report.expired, report.claimed, pusher.sent) == (1, 0, [])
    assert row.last_error.startswith("expired")


def test_send_due_command_schedules_and_dispatches_on_the_real_clock(clean, staff, own_recipient, runner):
    new_difficulty(staff, own_recipient, follow_up_at=iso(local(DAY, 15)))
    with time_machine.travel(local(DAY, 9, 0, ), tick=False):
        result = runner.invoke(args=["reminders", "send-due"])
        again = runner.invoke(args=["reminders", "send-due"])
    assert result.exit_code == 0, result.output
    assert "claimed 1" in result.stdout and "no subscription 1" in result.stdout
    assert "claimed 0" in again.stdout
    [row] = rows()
    assert row.sent_at == naive_utc(local(DAY, 9))
