"""What the in-process benchmarks share (bench/office.py, bench/creation.py): a scratch database on SQLite or a
PostgreSQL server, ANALYZE after the bulk inserts, logged-in test clients, and the timing of GET endpoints
(median and worst of several runs, against the ≤ 300 ms target; nothing asserts a timing)."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_MS = 300
DEMO_PASSWORD = "Demo@2026"


@contextmanager
def scratch_database(database_url: str | None, name: str, tmp: str) -> Iterator[str]:
    """A fresh database for one run: `<name>_<pid>` on the PostgreSQL server `database_url` names (made through
    its `postgres` database, dropped at the end), else `<tmp>/<name>.db`."""
    if not database_url:
        yield f"sqlite:///{tmp}/{name}.db"
        return
    scratch = f"{name}_{os.getpid()}"
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        yield make_url(database_url).set(database=scratch).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()


def app_for(url: str, instance: str):
    from server import create_app
    from server.config import TestConfig

    return create_app(TestConfig(url, instance))


def analyze_and_close(db) -> None:
    """Statistics for the planner after the bulk inserts, then let go of the connections (in an app context)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    db.session.remove()
    db.engine.dispose()


def logged_in(app, username: str):
    """A test client logged in as a demo user, and its CSRF token."""
    client = app.test_client()
    answer = client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.json
    return client, answer.json["csrf_token"]


def time_gets(app, endpoints: list[tuple[str, object, str]], runs: int) -> list[tuple[str, float, float]]:
    """(name, median ms, worst ms) of each `(name, client, path)` GET, run `runs` times; each must answer 200."""
    from server.extensions import db

    results = []
    with app.app_context():
        for name, client, path in endpoints:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            results.append((name, statistics.median(times), max(times)))
        db.session.remove()
        db.engine.dispose()
    return results


def print_timings(rows: list[tuple[str, float, float]], width: int = 44, target_ms: float = TARGET_MS) -> None:
    print(f"{'endpoint':{width}} {'median ms':>10} {'worst ms':>10}")
    for name, median, worst in rows:
        flag = "" if median <= target_ms else f"  > {target_ms:g} ms target"
        print(f"{name:{width}} {median:10.1f} {worst:10.1f}{flag}")
