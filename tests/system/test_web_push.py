"""Real Web Push end to end: the dispatcher against web-push-testing (it decrypts and checks VAPID), a 429."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import time_machine
from sqlalchemy import select, update

from server.extensions import db
from server.models import Difficulty, Notification, PushSubscription, Recipient
from server.push import get_pusher
from server.services import notifications as notification_service
from server.services import reminders
from tests.conftest import difficulty_data, mutation, new_id, repo_root
from tests.system.push_server import ALLOWLIST_ENTRY, push_server  # noqa: F401  (fixture)
from tests.unit.test_reminders import DAY, add_row, iso, local, naive_utc

WAIT = 20.0  # seconds for anything a test waits on


@pytest.fixture(autouse=True)
def allow_the_test_push_service(app):
    app.config["PUSH_ENDPOINT_ALLOWLIST"] = (*app.config["PUSH_ENDPOINT_ALLOWLIST"], ALLOWLIST_ENTRY)


def subscribe(app, api_client, push_server) -> dict:  # noqa: F811
    """Subscribe at the push service with the app's VAPID key and register it as the phone would."""
    db.session.commit()  # the key is read on another connection: the test's session (a request's) must let go
    sub = push_server.subscribe(get_pusher(app).public_key)
    body = {"endpoint": sub["endpoint"], "keys": sub["keys"]}
    response = api_client.post("/api/push/subscriptions", json=body)
    assert response.status_code == 201, response.json
    return sub


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def test_a_due_notification_arrives_decrypted_exactly_as_sent(app, reviewer, staff, push_server):  # noqa: F811
    sub = subscribe(app, reviewer, push_server)
    row_id = add_row(reviewer.user["id"], datetime.now(UTC) - timedelta(minutes=1), key="e2e:1",
                     kind="urgent_difficulty")
    db.session.commit()  # the key is read on another connection: no transaction of the test's may hold the lock

    report = reminders.send_due(now_utc(), pusher=get_pusher(app))

    assert report.sent >= 1
    received = [json.loads(m) for m in push_server.messages(sub["clientHash"])]
    row = db.session.get(Notification, row_id)
    mine = [m for m in received if m["id"] == row_id]
    assert mine == [{"id": row_id, "kind": "urgent_difficulty", "title": row.title, "body": row.body,
                     "url": row.url, "tag": f"notification-{row_id}"}]
    assert row.sent_at is not None and row.attempts == 1 and row.last_error is None


def test_an_expired_subscription_answers_410_and_is_deleted(app, staff, push_server):  # noqa: F811
    sub = subscribe(app, staff, push_server)
    push_server.expire(sub["clientHash"])
    row_id = add_row(staff.user["id"], datetime.now(UTC) - timedelta(minutes=1), key="e2e:gone")

    report = reminders.send_due(now_utc(), pusher=get_pusher(app))

    assert report.pruned_subscriptions == 1
    assert db.session.execute(select(PushSubscription).where(
        PushSubscription.endpoint == sub["endpoint"])).first() is None
    row = db.session.get(Notification, row_id)
    assert row.sent_at is not None and "410" in row.last_error
    assert push_server.messages(sub["clientHash"]) == []


class TooManyThenCreated(BaseHTTPRequestHandler):
    """A push service that answers the first request 429 with Retry-After: 2, then 201."""

    requests: list[dict] = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        type(self).requests.append({k.lower(): v for k, v in self.headers.items()})
        if len(type(self).requests) == 1:
            self.send_response(429)
            self.send_header("Retry-After", "2")
        else:
            self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args):
        pass


@pytest.fixture
def throttling_push_service(app):
    app.config["PUSH_ENDPOINT_ALLOWLIST"] = (*app.config["PUSH_ENDPOINT_ALLOWLIST"], "http://127.0.0.1:*")
    TooManyThenCreated.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), TooManyThenCreated)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=WAIT)


def test_429_retry_after_is_honoured_then_the_message_goes_once(app, staff, throttling_push_service):
    from tests.api.test_push_api import browser_subscription

    sub = browser_subscription(f"{throttling_push_service}/push/abc")
    assert staff.post("/api/push/subscriptions", json=sub).status_code == 201
    start = now_utc()
    row_id = add_row(staff.user["id"], start.replace(tzinfo=UTC) - timedelta(minutes=1), key="e2e:429")
    db.session.execute(  # only this row: the demo's rows would add their own requests
        Notification.__table__.update().where(Notification.id != row_id).values(sent_at=start))
    db.session.commit()

    first = reminders.send_due(start, pusher=get_pusher(app))
    row = db.session.get(Notification, row_id)
    assert first.retrying == 1 and row.sent_at is None
    assert row.next_attempt_at == start + timedelta(seconds=2)
    db.session.commit()  # reading the row began a transaction: SQLite's lock, which the key's read waits for

    assert reminders.send_due(start + timedelta(seconds=1), pusher=get_pusher(app)).claimed == 0
    assert len(TooManyThenCreated.requests) == 1  # nothing sent before Retry-After ran out

    db.session.commit()
    later = reminders.send_due(start + timedelta(seconds=3), pusher=get_pusher(app))
    db.session.expire_all()
    row = db.session.get(Notification, row_id)
    assert later.sent == 1 and row.sent_at == start + timedelta(seconds=3) and row.attempts == 2
    assert len(TooManyThenCreated.requests) == 2
    headers = TooManyThenCreated.requests[1]
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["content-type"] == "application/octet-stream"
    assert int(headers["ttl"]) >= 3600 and headers["urgency"] == "normal"
    assert headers["authorization"].startswith("vapid t=")
    # One signed VAPID header per push service, reused (RFC 8292), not signed per message.
    assert TooManyThenCreated.requests[0]["authorization"] == headers["authorization"]


def test_no_recipient_field_ever_appears_in_a_push_title_or_body(app, staff, reviewer, push_server):  # noqa: F811
    staff_sub = subscribe(app, staff, push_server)
    reviewer_sub = subscribe(app, reviewer, push_server)
    changes, _ = staff.pull_all()
    village = next(c["data"]["area_id"] for c in changes.values() if c["type"] == "recipient")
    person = {"id": new_id(), "name": "欧阳独特", "gender": "male", "id_number": "11010519491231002X",
              "phone": "13912345678", "address": "城关镇独特巷9号", "area_id": village,
              "category": "veteran", "tags": [], "notes": None}
    staff.push(mutation("recipient.create", person))
    staff.push(
        mutation("difficulty.create", difficulty_data(person["id"], urgency="urgent",
                                                      description="欧阳独特 看病难",
                                                      follow_up_at=iso(local(DAY, 15)))),
        mutation("difficulty.create", difficulty_data(person["id"],
                                                      due_date=(DAY - timedelta(days=2)).isoformat())),
    )
    notification_service.notify_visit_returned({"id": new_id(), "author_id": staff.user["id"]}, 1)
    db.session.commit()
    # The urgent and returned ones are due now, the daily ones at 09:00.
    reminders.send_due(now_utc(), pusher=get_pusher(app))
    with time_machine.travel(local(DAY, 9, 0), tick=False):
        reminders.schedule_due()
    reminders.send_due(naive_utc(local(DAY, 9, 1)), pusher=get_pusher(app))

    pushed = push_server.messages(staff_sub["clientHash"]) + push_server.messages(reviewer_sub["clientHash"])
    kinds = {json.loads(m)["kind"] for m in pushed}
    assert {"urgent_difficulty", "follow_up_due", "overdue", "visit_returned"} <= kinds
    rows = db.session.execute(select(Notification)).scalars()
    texts = pushed + [f"{r.title} {r.body} {r.url}" for r in rows]
    recipients = db.session.execute(select(Recipient)).scalars().all()
    assert any(r.name == "欧阳独特" for r in recipients)
    for recipient in recipients:
        for value in (recipient.name, recipient.id_number, recipient.phone, recipient.address):
            if value:
                assert not any(value in text for text in texts), f"{value!r} leaked into a notification"


def test_reminders_run_dispatches_in_a_loop_and_stops_cleanly_on_sigterm(app, database_url, staff):
    row_id = add_row(staff.user["id"], datetime.now(UTC) - timedelta(minutes=1), key="loop:1")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(DATABASE_URL=database_url, ZOUFANG_INSTANCE_DIR=app.config["INSTANCE_DIR"],
               SECRET_KEY="system-test-secret", LOG_LEVEL="WARNING")
    flask = Path(sys.executable).parent / "flask"
    process = subprocess.Popen([str(flask), "--app", "server", "reminders", "run", "--interval", "0.2"],
                               cwd=repo_root(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + WAIT
        while True:
            db.session.expire_all()
            sent = db.session.get(Notification, row_id).sent_at
            db.session.rollback()  # SQLite: every transaction holds the write lock (BEGIN IMMEDIATE)
            if sent is not None:
                break
            assert process.poll() is None and time.monotonic() < deadline, "the dispatcher did not send"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    assert b"stopped" in err


def test_hosts_starting_together_on_one_database_end_up_with_one_key_each(database_url, tmp_path):
    """Web hosts and dispatchers start at once on a shared database, with nothing in their instance folders:
    they must all end up with the same VAPID key and secret key, and write no file."""
    go = tmp_path / "go"
    # Each process imports first, says so, then waits for "go": the keys are made by all of them at once.
    code = ("import sys, time, pathlib; from server import create_app; from server.push import get_pusher\n"
            "print('ready', flush=True)\n"
            "go = pathlib.Path(sys.argv[1]); deadline = time.monotonic() + 60\n"
            "while not go.exists() and time.monotonic() < deadline: time.sleep(0.005)\n"
            "app = create_app()\n"
            "with app.app_context(): print(get_pusher(app).public_key, app.secret_key)")
    processes = []
    for i in range(3):
        env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "TEST_DATABASE_URL")}
        env.update(DATABASE_URL=database_url, ZOUFANG_INSTANCE_DIR=str(tmp_path / f"host{i}"),
                   LOG_LEVEL="WARNING")
        processes.append(subprocess.Popen([sys.executable, "-c", code, str(go)], cwd=repo_root(), env=env,
                                          stdout=subprocess.PIPE, text=True))
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready"  # the pipe closes if it dies: no hang
        go.touch()
        keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=WAIT)
    assert len(keys) == 1 and all(p.returncode == 0 for p in processes)
    assert not any((tmp_path / f"host{i}").exists() for i in range(3))


def test_the_push_server_helper_is_stopped_by_its_fixture():
    from tests.system.push_server import start_push_server

    server = start_push_server()
    server.stop()
    assert server.process.poll() is not None
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{server.base}/status", timeout=2)


def test_an_assignment_is_pushed_without_personal_data(app, reviewer, staff, push_server):  # noqa: F811
    sub = subscribe(app, staff, push_server)
    changes, _ = staff.pull_all()
    recipient = next(c["data"] for c in changes.values() if c["type"] == "recipient")
    data = difficulty_data(recipient["id"], description="屋顶漏雨需要修缮")
    [result] = staff.push(mutation("difficulty.create", data))
    assert result["status"] == "applied"
    db.session.execute(Notification.__table__.update().values(sent_at=now_utc()))  # only the new row is due
    db.session.commit()
    response = reviewer.patch(f"/api/difficulties/{data['id']}", json={
        "assignee_id": staff.user["id"], "due_date": "2027-01-10"})
    assert response.status_code == 200, response.json
    db.session.commit()  # the request's session (the test's) ends its transaction: the key is read apart

    report = reminders.send_due(now_utc(), pusher=get_pusher(app))

    assert report.sent == 1
    [message] = [json.loads(m) for m in push_server.messages(sub["clientHash"])]
    assert (message["kind"], message["title"], message["body"], message["url"]) == (
        "difficulty_assigned", "困难诉求分派", "1 项困难诉求已分派给您", f"/difficulties/{data['id']}")
    text = json.dumps(message, ensure_ascii=False)
    for personal in (recipient["name"], "屋顶漏雨", recipient["id"], staff.user["display_name"],
                     reviewer.user["display_name"], "2027-01-10"):
        assert personal not in text


def test_a_lapsed_follow_up_date_is_pushed_once_as_follow_up_overdue_without_personal_data(
        app, staff, reviewer, push_server):  # noqa: F811
    """跟进逾期 reaches the responsible staff member through the real job path and a real push service: the
    morning after the date, once, with counts only (the inbox text is read in the app)."""
    staff_sub = subscribe(app, staff, push_server)
    reviewer_sub = subscribe(app, reviewer, push_server)
    db.session.execute(update(Difficulty).values(status="resolved"))  # the demo's own late dates aside
    db.session.execute(Notification.__table__.update().values(sent_at=now_utc()))
    db.session.commit()
    changes, _ = staff.pull_all()
    village = next(c["data"]["area_id"] for c in changes.values() if c["type"] == "recipient")
    person = {"id": new_id(), "name": "欧阳逾期", "gender": "male", "id_number": "11010519491231002X",
              "phone": "13912345679", "address": "城关镇跟进巷7号", "area_id": village,
              "category": "veteran", "tags": [], "notes": None}
    data = difficulty_data(person["id"], description="欧阳逾期 房屋漏雨",
                           follow_up_at=iso(local(DAY - timedelta(days=1), 15)))
    results = staff.push(mutation("recipient.create", person), mutation("difficulty.create", data))
    assert [r["status"] for r in results] == ["applied", "applied"], results

    def round_at(day, hour: int, minute: int) -> None:
        with time_machine.travel(local(day, hour, minute), tick=False):
            reminders.schedule_due(zone_name=app.config["TIMEZONE"])
        db.session.commit()  # no transaction of the test's may hold SQLite's lock while the key is read apart
        reminders.send_due(naive_utc(local(day, hour, minute)), pusher=get_pusher(app))

    round_at(DAY, 8, 59)  # before 09:00 local: nothing yet
    assert push_server.messages(staff_sub["clientHash"]) == []
    round_at(DAY, 9, 0)
    round_at(DAY, 9, 30)
    round_at(DAY + timedelta(days=1), 9, 0)  # still late the next morning: not pushed again

    pushed = [json.loads(m) for m in push_server.messages(staff_sub["clientHash"])]
    [row] = db.session.execute(select(Notification).where(Notification.kind == "follow_up_overdue")).scalars()
    assert pushed == [{"id": row.id, "kind": "follow_up_overdue", "title": "跟进逾期提醒",
                       "body": "1 项困难诉求跟进逾期", "url": "/difficulties?follow_up_overdue=1",
                       "tag": f"notification-{row.id}"}]
    assert row.user_id == staff.user["id"] and row.sent_at == naive_utc(local(DAY, 9))
    assert push_server.messages(reviewer_sub["clientHash"]) == []  # the responsible user's, not the office's
    with time_machine.travel(local(DAY, 10), tick=False):  # the inbox lists what is due by now
        inbox = staff.get("/api/notifications").json["items"]
    assert [(n["id"], n["body"]) for n in inbox if n["kind"] == "follow_up_overdue"] == [(row.id, row.body)]
    text = json.dumps(pushed, ensure_ascii=False)
    for personal in (person["name"], person["id_number"], person["phone"], person["address"], person["id"],
                     data["id"], "房屋漏雨", staff.user["display_name"]):
        assert personal not in text
