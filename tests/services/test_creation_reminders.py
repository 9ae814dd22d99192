"""The creation campaign's reminders on a frozen clock: to the lead unit's liaisons 3 days before an item's or a
rectification's deadline and once it is overdue, made at 09:00 local, each once; no personal data; the weekly
score the dispatcher keeps for the trend; and the same through the dispatcher's own entry point
(`flask reminders send-due`) into the liaison's inbox, with a 整改 ordered over the API."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import delete, select, update

from server.extensions import db
from server.models import Item, Notification, Recipient, Rectification, ScoreSnapshot, Unit, User
from server.services import reminders
from server.services import users as user_service

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.now(SHANGHAI).date() + timedelta(days=5)
# What a creation reminder says: item numbers, day counts, dates; nothing about anybody.
SAFE_BODY = re.compile(r"^第[\d.]+项(创建|整改)任务(\d+天后到期|今天到期|已超过期限)（\d+月\d+日）$")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def schedule_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        reminders.schedule_due()


def rows(prefix: str = "") -> list[Notification]:
    db.session.expire_all()
    return list(db.session.execute(select(Notification).where(Notification.kind.startswith(prefix))
                                   .order_by(Notification.id)).scalars())


def item_id(number: str) -> str:
    return db.session.execute(select(Item.id).where(Item.number == number)).scalar_one()


def user_id(username: str) -> int:
    return db.session.execute(select(User.id).where(User.username == username)).scalar_one()


def set_item(number: str, **values) -> None:
    db.session.execute(update(Item).where(Item.number == number).values(**values))
    db.session.commit()


@pytest.fixture
def quiet(app):
    """Only the deadlines a test sets: every item done, no rectification open, no notification."""
    db.session.execute(update(Item).values(status="done"))
    db.session.execute(update(Rectification).values(status="done"))
    db.session.execute(delete(Notification))
    db.session.commit()


def test_an_item_reminds_its_lead_units_liaisons_3_days_ahead_at_0900_once(quiet):
    set_item("8.1", status="in_progress", deadline=DAY + timedelta(days=3))  # 县人武部 leads
    set_item("8.2", status="in_progress", deadline=DAY + timedelta(days=4))  # not yet
    schedule_at(local(DAY, 8, 59))
    assert rows("creation") == []
    for moment in (local(DAY, 9, 0), local(DAY, 9, 1), local(DAY, 17, 0), local(DAY + timedelta(days=1), 9, 30)):
        schedule_at(moment)
    [row] = rows("creation")
    assert (row.user_id, row.kind, row.title) == (user_id("liaison_demo"), "creation_due", "创建任务即将到期")
    due = DAY + timedelta(days=3)
    assert row.body == f"第8.1项创建任务3天后到期（{due.month}月{due.day}日）"
    assert row.due_at == naive_utc(local(DAY, 9)) and row.url == f"/creation/items/{item_id('8.1')}"


def test_an_overdue_item_reminds_once_and_a_new_deadline_reminds_again(quiet):
    set_item("2.1", status="in_progress", deadline=DAY - timedelta(days=1))
    schedule_at(local(DAY, 9, 0))
    schedule_at(local(DAY + timedelta(days=1), 9, 0))
    [overdue] = rows("creation")
    assert overdue.kind == "creation_overdue" and overdue.body.startswith("第2.1项创建任务已超过期限")
    set_item("2.1", deadline=DAY + timedelta(days=2))
    schedule_at(local(DAY + timedelta(days=1), 10, 0))
    assert [r.kind for r in rows("creation")] == ["creation_overdue", "creation_due"]
    set_item("2.1", status="done")
    schedule_at(local(DAY + timedelta(days=5), 9, 0))
    assert len(rows("creation")) == 2


def test_only_the_lead_units_active_liaisons_hear_of_an_item(quiet):
    set_item("2.1", status="in_progress", deadline=DAY)  # 县人武部 leads; 驻县部队, 县住建局, 县财政局 cooperate
    zj = db.session.execute(select(Unit.id).where(Unit.name == "县住建局")).scalar_one()
    area = db.session.execute(select(User.area_id).where(User.username == "liaison_demo")).scalar_one()
    helper = user_service.create_user("liaison_zj", "联络员", "Liaison@2026", "liaison", area, unit_id=zj)
    second = user_service.create_user("liaison_rwb2", "联络员", "Liaison@2026", "liaison", area,
                                      unit_id=db.session.execute(select(User.unit_id).where(
                                          User.username == "liaison_demo")).scalar_one())
    db.session.execute(update(User).where(User.id == second.id).values(active=False))
    db.session.commit()
    schedule_at(local(DAY, 9, 0))
    assert [(r.user_id, r.body) for r in rows("creation")] == \
        [(user_id("liaison_demo"), f"第2.1项创建任务今天到期（{DAY.month}月{DAY.day}日）")]
    assert helper.id not in {r.user_id for r in rows()}


def test_a_rectification_reminds_its_owner_before_and_after_its_deadline(quiet):
    rect = db.session.execute(select(Rectification).join(Item, Item.id == Rectification.item_id)
                              .where(Item.number == "6.3")).scalar_one()
    rect.status, rect.deadline = "open", DAY + timedelta(days=2)
    db.session.commit()
    schedule_at(local(DAY, 9, 0))
    schedule_at(local(DAY + timedelta(days=3), 9, 0))
    schedule_at(local(DAY + timedelta(days=4), 9, 0))
    assert [(r.kind, r.user_id) for r in rows("rectification")] == \
        [("rectification_due", user_id("liaison_demo")), ("rectification_overdue", user_id("liaison_demo"))]
    assert all(r.url == f"/creation/rectifications/{rect.id}" for r in rows("rectification"))


def test_reminders_carry_no_personal_data(quiet):
    for number, days in (("2.1", -2), ("2.6", 1), ("5.4", 0)):
        set_item(number, status="in_progress", deadline=DAY + timedelta(days=days))
    schedule_at(local(DAY, 9, 0))
    found = rows("creation")
    assert len(found) == 3
    names = set(db.session.execute(select(Recipient.name)).scalars()) | \
        set(db.session.execute(select(User.display_name)).scalars())
    for row in found:
        assert SAFE_BODY.match(row.body), row.body
        assert not any(name in row.title + row.body for name in names)


def test_the_dispatcher_keeps_this_weeks_estimated_total_at_most_hourly(quiet):
    monday = DAY - timedelta(days=DAY.weekday())
    schedule_at(local(DAY, 9, 0))
    [snapshot] = db.session.execute(select(ScoreSnapshot).where(ScoreSnapshot.week == monday)).scalars()
    first = snapshot.estimated_total
    db.session.execute(update(Item).where(Item.number == "7.4").values(estimated_score=0))
    db.session.commit()
    schedule_at(local(DAY, 9, 30))  # within the hour: kept
    db.session.expire_all()
    assert db.session.get(ScoreSnapshot, snapshot.id).estimated_total == first
    schedule_at(local(DAY, 10, 31))
    db.session.expire_all()
    assert db.session.get(ScoreSnapshot, snapshot.id).estimated_total == first - 1.5


# -- the real dispatcher path: `flask reminders send-due` (what `reminders run` does every round) -------------


def dispatch_at(runner, moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        result = runner.invoke(args=["reminders", "send-due"])
    assert result.exit_code == 0, result.output


def inbox_at(login, moment: datetime, prefix: str = "", username: str = "liaison_demo") -> list[dict]:
    """The user's inbox as the app shows it at that moment (signed in then, so the session is fresh): the rows
    whose kind starts with `prefix`."""
    with time_machine.travel(moment, tick=False):
        response = login(username).get("/api/notifications")
    assert response.status_code == 200, response.json
    return [n for n in response.json["items"] if n["kind"].startswith(prefix)]


def test_the_dispatcher_delivers_the_3_day_reminder_once_at_0900_local_into_the_liaisons_inbox(quiet, runner, login):
    due = DAY + timedelta(days=3)
    set_item("8.1", status="in_progress", deadline=due)  # 县人武部 leads: liaison_demo
    dispatch_at(runner, local(DAY, 8, 59))  # 00:59 UTC: not yet 09:00 in Shanghai
    assert inbox_at(login, local(DAY, 8, 59)) == [] and rows("creation") == []
    for moment in (local(DAY, 9, 0), local(DAY, 9, 0), local(DAY, 9, 31), local(DAY, 18, 0),
                   local(DAY + timedelta(days=1), 9, 0)):
        dispatch_at(runner, moment)
    [row] = rows("creation")
    assert row.due_at == naive_utc(local(DAY, 9)) and row.sent_at is not None  # pushed (or found no device) once
    inbox = inbox_at(login, local(DAY + timedelta(days=1), 10, 0), "creation")
    assert [(n["kind"], n["title"], n["body"]) for n in inbox] == [
        ("creation_due", "创建任务即将到期", f"第8.1项创建任务3天后到期（{due.month}月{due.day}日）")]
    # Overdue: the morning after the deadline, once more and only once.
    for moment in (local(due + timedelta(days=1), 9, 0), local(due + timedelta(days=1), 9, 5),
                   local(due + timedelta(days=2), 9, 0)):
        dispatch_at(runner, moment)
    kinds = [n["kind"] for n in inbox_at(login, local(due + timedelta(days=2), 10, 0), "creation")]
    assert kinds == ["creation_overdue", "creation_due"]


def test_a_rectification_ordered_through_the_api_reaches_the_inbox_once_then_its_deadline_reminds(quiet, runner, login):
    moment = local(DAY, 14, 0)
    deadline = DAY + timedelta(days=5)
    item = item_id("2.1")  # 县人武部 leads
    with time_machine.travel(moment, tick=False):
        response = login("reviewer_demo").post("/api/creation/rectifications", json={
            "item_id": item, "description": "补充军地协调会议照片", "deadline": deadline.isoformat()})
    assert response.status_code == 201, response.json
    for when in (moment, local(DAY, 14, 1), local(DAY + timedelta(days=1), 8, 0)):
        dispatch_at(runner, when)
    ordered = inbox_at(login, local(DAY + timedelta(days=1), 8, 0), "rectification")
    assert [(n["kind"], n["body"]) for n in ordered] == [
        ("rectification_ordered", f"第2.1项有1条整改任务，请于{deadline.month}月{deadline.day}日前完成")]
    for when in (local(DAY + timedelta(days=1), 9, 0), local(DAY + timedelta(days=2), 8, 59)):
        dispatch_at(runner, when)  # 4 days before, and 3 days before but not yet 09:00: nothing
    waiting = inbox_at(login, local(DAY + timedelta(days=2), 8, 59), "rectification")
    assert [n["kind"] for n in waiting] == ["rectification_ordered"]
    for when in (local(DAY + timedelta(days=2), 9, 0), local(DAY + timedelta(days=2), 9, 0),
                 local(DAY + timedelta(days=3), 9, 0)):
        dispatch_at(runner, when)  # 3 days before at 09:00: the deadline reminder, once
    inbox = inbox_at(login, local(DAY + timedelta(days=3), 10, 0), "rectification")
    assert [n["kind"] for n in inbox] == ["rectification_due", "rectification_ordered"]
    assert inbox[0]["body"] == f"第2.1项整改任务3天后到期（{deadline.month}月{deadline.day}日）"
