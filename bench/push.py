"""Web Push dispatch benchmark: the dispatcher (cached VAPID headers, a thread pool) against a naive
sequential pywebpush.webpush() loop, both to a real web-push-testing server, in one run.

    .venv/bin/python bench/push.py                 # 1,000 notifications, SQLite in a temp dir
    .venv/bin/python bench/push.py --count 2000 --workers 16

Both paths encrypt (aes128gcm) and POST every message and the push server decrypts each one; the naive loop
signs a VAPID JWT per message as webpush() does. It prints both rates and their ratio (target ≥ 2×). A
shared machine is noisy: compare the ratio, and run it more than once. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pywebpush import webpush  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

from server import create_app  # noqa: E402
from server.config import TestConfig  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import Notification, PushSubscription, User  # noqa: E402
from server.push import DEFAULT_TTL, Pusher, get_pusher, payload_of  # noqa: E402
from server.services import reminders  # noqa: E402
from tests.conftest import build_database  # noqa: E402
from tests.system.push_server import ALLOWLIST_ENTRY, start_push_server  # noqa: E402

SUBJECT = "mailto:bench@zoufang.invalid"


def add_rows(count: int, users: list[int], tag: str, now: datetime) -> list[int]:
    rows = [Notification(user_id=users[i % len(users)], kind="follow_up_due", title="今日跟进提醒",
                         body=f"{i % 9 + 1} 项跟进今天到期", url="/difficulties?due=today",
                         due_at=now - timedelta(seconds=1), dedupe_key=f"bench:{tag}:{i}", attempts=0)
             for i in range(count)]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def naive(count: int, users: list[int], vapid, now: datetime) -> float:
    """What one would write first: read due rows, webpush() each in turn, mark them sent."""
    add_rows(count, users, "naive", now)
    subs = {}
    for s in db.session.execute(select(PushSubscription)).scalars():
        info = {"endpoint": s.endpoint, "keys": {"p256dh": s.p256dh, "auth": s.auth}}
        subs.setdefault(s.user_id, []).append(info)
    started = time.perf_counter()
    rows = db.session.execute(select(Notification).where(Notification.sent_at.is_(None),
                                                         Notification.due_at <= now)).scalars().all()
    db.session.commit()
    for row in rows:
        for info in subs.get(row.user_id, ()):
            webpush(info, payload_of(row.id, row.kind, row.title, row.body, row.url).decode(),
                    vapid_private_key=vapid, vapid_claims={"sub": SUBJECT}, ttl=DEFAULT_TTL,
                    headers={"Content-Type": "application/octet-stream"})
    ids = [r.id for r in rows]
    db.session.execute(update(Notification).where(Notification.id.in_(ids)).values(sent_at=now))
    db.session.commit()
    return time.perf_counter() - started


def dispatcher(count: int, users: list[int], pusher: Pusher, now: datetime) -> tuple[float, int]:
    add_rows(count, users, "dispatcher", now)
    started = time.perf_counter()
    report = reminders.send_due(now, pusher=pusher, batch_size=100)
    return time.perf_counter() - started, report.sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8, help="the dispatcher's send threads")
    args = parser.parse_args()

    server = start_push_server()
    try:
        with tempfile.TemporaryDirectory(prefix="zf-bench-push-") as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            build_database(url, tmp)
            app = create_app(TestConfig(url, tmp))
            with app.app_context():
                vapid = get_pusher(app).vapid
                pusher = Pusher(vapid, SUBJECT, workers=args.workers, allowlist=(ALLOWLIST_ENTRY,))
                users = db.session.execute(select(User.id).order_by(User.id)).scalars().all()[:1]
                sub = server.subscribe(pusher.public_key)
                db.session.add(PushSubscription(user_id=users[0], endpoint=sub["endpoint"],
                                                p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
                now = datetime.now(UTC).replace(tzinfo=None)
                db.session.execute(update(Notification).values(sent_at=now))  # the demo's rows
                db.session.commit()
                # Warm up both paths (connections, imports) outside the timings.
                webpush(sub, "warm-up", vapid_private_key=vapid, vapid_claims={"sub": SUBJECT}, ttl=60,
                        headers={"Content-Type": "application/octet-stream"})
                naive_seconds = naive(args.count, users, vapid, now)
                pool_seconds, sent = dispatcher(args.count, users, pusher, now)
                received = len(server.messages(sub["clientHash"])) - 1
                db.session.remove()
                db.engine.dispose()
    finally:
        server.stop()

    naive_rate, pool_rate = args.count / naive_seconds, args.count / pool_seconds
    print(f"messages: {args.count} each way; web-push-testing decrypted {received} of {2 * args.count}")
    print(f"naive sequential webpush(): {naive_rate:8.0f} msg/s  ({naive_seconds:.2f} s)")
    print(f"dispatcher ({args.workers} threads):    {pool_rate:8.0f} msg/s  "
          f"({pool_seconds:.2f} s, sent {sent})")
    print(f"ratio: {pool_rate / naive_rate:.2f}x (target >= 2x)")


if __name__ == "__main__":
    main()
