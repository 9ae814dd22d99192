"""Concurrent writers on PostgreSQL while a reader pulls by cursor: the reader misses no change.

The trap (DESIGN, TOOLCHAIN): a change number is taken inside a transaction but becomes visible only at
commit. If writer A takes 10 and commits after writer B took 11 and committed, a reader that pulled 11
moves its cursor past 10 and never sees it. To make commit order differ from number order whenever the
server allows it, every writer here holds its transaction open for a random while *after* its numbers are
taken (a `before_commit` listener that runs after the change log's own), and batch sizes vary.
"""

import random
import threading
import time

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from server import config, create_app
from server.extensions import db
from server.services import changes
from tests.conftest import ApiClient, is_postgres
from tests.system.conftest import record_mutations

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(not is_postgres(), reason="PostgreSQL's commit visibility: set TEST_DATABASE_URL"),
]

WRITERS = 8
BATCHES_PER_WRITER = 20
WAIT = 300  # seconds for the writers to finish: generous, the machine is shared


@pytest.fixture
def served_app(database_url, tmp_path):
    """An app with no context pushed, so every request (thread) has its own session, as under gunicorn."""
    instance = tmp_path / "pull-instance"
    instance.mkdir()
    application = create_app(config.TestConfig(database_url, str(instance)))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def slow_commits():
    """Hold each numbered transaction open 0-100 ms after taking its numbers, before it commits."""
    local = threading.local()

    def linger(session: Session) -> None:
        if changes.has_numbered(session):  # this transaction has just numbered its changes
            rng = getattr(local, "rng", None) or random.Random(threading.get_ident())
            local.rng = rng
            time.sleep(rng.uniform(0, 0.1))

    event.listen(Session, "before_commit", linger)  # after the change log's listener: the numbers are taken
    yield
    event.remove(Session, "before_commit", linger)


def test_reader_pulling_during_concurrent_writes_misses_no_change(served_app, slow_commits):
    reader = ApiClient(served_app, "reviewer_demo")  # the county: sees every township's records
    writers = [ApiClient(served_app, "staff_demo") for _ in range(WRITERS)]
    own, _ = writers[0].pull_all()
    seeded = sorted(c["id"] for c in own.values() if c["type"] == "recipient" and not c["deleted"])
    area_id = next(c["data"]["area_id"] for c in own.values() if c["type"] == "recipient")
    _, start = reader.pull_all()

    written: list[set[str]] = [set() for _ in range(WRITERS)]
    errors: list[BaseException] = []
    done = threading.Event()

    def write(index: int) -> None:
        rng = random.Random(index)
        try:
            for _ in range(BATCHES_PER_WRITER):
                batch = record_mutations(rng.choice((1, 1, 2, 5, 20)), area_id, seeded)
                results = writers[index].push(*batch)
                assert {r["status"] for r in results} == {"applied"}, results
                written[index] |= {m["data"]["id"] for m in batch}
        except BaseException as err:
            errors.append(err)

    seen: set[str] = set()
    pulls = 0

    def pull_page(cursor: int, limit: int) -> tuple[int, bool]:
        nonlocal pulls
        response = reader.get(f"/api/sync/pull?cursor={cursor}&limit={limit}")
        assert response.status_code == 200, response.json
        body = response.json
        seen.update(change["id"] for change in body["changes"])
        pulls += 1
        assert body["cursor"] >= cursor
        return body["cursor"], body["has_more"]

    def read() -> None:
        cursor, rng = start, random.Random(99)
        try:
            while not done.is_set():
                cursor, _ = pull_page(cursor, rng.choice((3, 10, 50)))
            has_more = True
            while has_more:  # the writers are done: drain what is left, as a phone would
                cursor, has_more = pull_page(cursor, 50)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=write, args=(i,), daemon=True) for i in range(WRITERS)]
    reader_thread = threading.Thread(target=read, daemon=True)
    reader_thread.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT)
    done.set()
    reader_thread.join(timeout=WAIT)
    assert not any(t.is_alive() for t in [*threads, reader_thread]), "a writer or the reader hung"
    if errors:
        raise errors[0]

    everything = set().union(*written)
    assert len(everything) > 100
    assert pulls > 20, "the reader should pull many times while the writers write"
    missed = everything - seen
    assert not missed, f"the reader missed {len(missed)} of {len(everything)} records"
