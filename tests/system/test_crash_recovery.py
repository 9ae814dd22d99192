"""`kill -9` of gunicorn in the middle of a long sync: after a restart and retries, each record is there once.

Always SQLite (its own file, whatever TEST_DATABASE_URL says): the durability under test is WAL +
synchronous=FULL on a file that a killed process left behind.
"""

import random
import sqlite3
import threading
import time
from collections import Counter

import pytest
import requests

from tests.live_server import LiveServer
from tests.system.conftest import HttpClient, created_ids, record_mutations, staff_recipients

pytestmark = [pytest.mark.slow]

TOTAL = 3000
BATCH = 200
KILL_AT_BATCHES = (2, 6, 10)  # kill while these batches are in flight
DEADLINE = 420  # seconds for the whole sync, restarts included: generous, the machine is shared


class Syncer(threading.Thread):
    """A device's sync loop: send each batch until answered, retry after any network error or 5xx."""

    def __init__(self, client: HttpClient, batches: list[list[dict]]):
        super().__init__(daemon=True)
        self.client = client
        self.batches = batches
        self.answers: list[list[dict]] = []
        self.sending = -1  # the batch now in flight
        self.sent = threading.Condition()
        self.failures = Counter()
        self.error: BaseException | None = None
        self.deadline = time.monotonic() + DEADLINE

    def run(self):
        try:
            for index, batch in enumerate(self.batches):
                self.answers.append(self.send_until_answered(index, batch))
        except BaseException as err:  # reported by the test
            self.error = err
        finally:
            with self.sent:
                self.sending = len(self.batches)
                self.sent.notify_all()

    def send_until_answered(self, index: int, batch: list[dict]) -> list[dict]:
        while time.monotonic() < self.deadline:
            with self.sent:
                self.sending = index
                self.sent.notify_all()
            try:
                response = self.client.push(batch, timeout=60)
            except requests.RequestException as err:
                self.failures[type(err).__name__] += 1
                time.sleep(0.2)
                continue
            if response.status_code >= 500:
                self.failures[response.status_code] += 1
                time.sleep(0.2)
                continue
            assert response.status_code == 200, response.text
            return response.json()["results"]
        raise TimeoutError(f"batch {index} unanswered after {DEADLINE}s")

    def wait_sending(self, index: int, timeout: float) -> None:
        with self.sent:
            assert self.sent.wait_for(lambda: self.sending >= index, timeout), f"batch {index} never sent"


def test_kill_9_mid_sync_then_restart_keeps_every_record_once(sqlite_path, tmp_path):
    server = LiveServer(f"sqlite:///{sqlite_path}", tmp_path / "instance")
    rng = random.Random(2026)
    try:
        server.start()
        client = HttpClient(server.url)
        recipient_ids, area_id = staff_recipients(client)
        mutations = record_mutations(TOTAL, area_id, recipient_ids)
        syncer = Syncer(client, [mutations[i:i + BATCH] for i in range(0, TOTAL, BATCH)])
        syncer.start()
        for batch_index in KILL_AT_BATCHES:
            syncer.wait_sending(batch_index, timeout=DEADLINE)
            time.sleep(rng.uniform(0.05, 0.4))  # into the request: planning, writing or committing
            server.kill()
            server.start()
        syncer.join(timeout=DEADLINE)
        assert not syncer.is_alive(), "the sync never finished"
        if syncer.error:
            raise syncer.error
        assert syncer.failures, "the client never saw the server go away"

        # Every mutation was answered applied (or duplicate, when its first answer died with the server).
        results = [r for answer in syncer.answers for r in answer]
        assert [r["id"] for r in results] == [m["id"] for m in mutations]
        statuses = Counter(r["status"] for r in results)
        assert set(statuses) <= {"applied", "duplicate"}, statuses

        # The restarted server serves all of them to a phone pulling from scratch.
        pulled, cursor = set(), 0
        for _ in range(100):
            response = client.pull(cursor, limit=1000)
            assert response.status_code == 200, response.text
            body = response.json()
            pulled |= {change["id"] for change in body["changes"]}
            cursor = body["cursor"]
            if not body["has_more"]:
                break
        assert {m["data"]["id"] for m in mutations} <= pulled
        client.close()
    finally:
        server.stop()

    connection = sqlite3.connect(sqlite_path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        for table, ids in created_ids(mutations).items():
            marks = ",".join("?" * len(ids))
            count = connection.execute(f"SELECT count(*) FROM {table} WHERE id IN ({marks})", list(ids))
            assert count.fetchone()[0] == len(ids), table
        applied = connection.execute(
            "SELECT count(*), count(DISTINCT id) FROM applied_mutations WHERE device_id = ?",
            (client.device_id,))
        assert applied.fetchone() == (TOTAL, TOTAL)
        logged = connection.execute(
            "SELECT count(*), count(DISTINCT entity_id) FROM change_log WHERE entity_type IN "
            "('recipient', 'visit', 'difficulty') AND entity_id IN (SELECT entity_id FROM applied_mutations "
            "WHERE device_id = ?)", (client.device_id,))
        assert logged.fetchone() == (TOTAL, TOTAL)
        # The counter is never behind the log, so no later number can be handed out twice.
        counter, top = connection.execute(
            "SELECT (SELECT value FROM change_counter WHERE id = 1), (SELECT max(seq) FROM change_log)"
        ).fetchone()
        assert counter >= top
    finally:
        connection.close()
