"""Several dispatchers at once on PostgreSQL: FOR UPDATE SKIP LOCKED claims, each notification pushed once."""

import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Notification, PushSubscription, User
from server.push import Pusher, get_pusher
from server.services import reminders
from tests.conftest import is_postgres
from tests.system.push_server import ALLOWLIST_ENTRY, push_server  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.slow,
              pytest.mark.skipif(not is_postgres(), reason="needs TEST_DATABASE_URL pointing at PostgreSQL")]

DISPATCHERS = 3
ROWS = 300
WAIT = 120.0


def test_concurrent_dispatchers_push_each_notification_exactly_once(app, push_server):  # noqa: F811
    users = db.session.execute(select(User.id).order_by(User.id)).scalars().all()
    vapid = get_pusher(app).vapid
    public_key = get_pusher(app).public_key
    hashes = {}
    for user_id in users:
        sub = push_server.subscribe(public_key)
        hashes[user_id] = sub["clientHash"]
        db.session.add(PushSubscription(user_id=user_id, endpoint=sub["endpoint"],
                                        p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
    now = datetime.now(UTC).replace(tzinfo=None)
    db.session.execute(Notification.__table__.update().values(sent_at=now))  # the demo's own rows: done
    db.session.add_all(Notification(user_id=users[i % len(users)], kind="follow_up_due", title="今日跟进提醒",
                                    body="1 项跟进今天到期", url=None, due_at=now - timedelta(seconds=1),
                                    dedupe_key=f"race:{i}", attempts=0) for i in range(ROWS))
    db.session.commit()
    ours = set(db.session.execute(
        select(Notification.id).where(Notification.dedupe_key.like("race:%"))).scalars())

    barrier = threading.Barrier(DISPATCHERS, timeout=WAIT)
    reports, errors = [], []

    def dispatcher():
        try:
            pusher = Pusher(vapid, "mailto:test@zoufang.invalid", workers=4, allowlist=(ALLOWLIST_ENTRY,))
            with app.app_context():  # its own session and connection, as another host would have
                barrier.wait()
                reports.append(reminders.send_due(now, pusher=pusher, batch_size=5))
                db.session.remove()
        except Exception as exc:  # surfaced below: an assertion in a thread would be lost
            errors.append(exc)

    threads = [threading.Thread(target=dispatcher) for _ in range(DISPATCHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT)
    assert not any(t.is_alive() for t in threads) and errors == []

    assert sum(r.claimed for r in reports) == ROWS and sum(r.sent for r in reports) == ROWS
    assert sum(1 for r in reports if r.claimed) >= 2, "the dispatchers did not overlap"
    received = Counter()
    for client_hash in hashes.values():
        for message in push_server.messages(client_hash):
            payload = json.loads(message)
            received[payload["id"]] += 1
            assert payload["id"] in ours
    assert set(received) == ours and set(received.values()) == {1}
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.id.in_(ours), Notification.sent_at.is_not(None), Notification.attempts == 1)
    ).scalar_one() == ROWS
