"""argon2 never runs while a request holds the database's write lock (or any open transaction): on SQLite one
client logging in ten times a second would otherwise stall every push behind each password check. Nor does an
upload's file write and fsync hold a lock a writer waits on (a reconnect storm's uploads queued every push
behind them)."""

import hashlib
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from server.extensions import db
from server.models.base import utcnow
from server.services import attachments, auth
from tests.conftest import DEMO_PASSWORD, is_postgres, mutation, visit_data

GOOD = "Kite#Lantern-2027"


class WatchedHasher:
    """The app's hasher, noting for every hash and verify whether a transaction or the write lock was held."""

    def __init__(self, inner, database_url: str):
        self.inner = inner
        self.path = None if is_postgres() else make_url(database_url).database
        self.calls: list[tuple[str, bool, bool]] = []

    def _lock_free(self) -> bool:
        if self.path is None:
            return True
        probe = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            probe.close()

    def _note(self, what: str) -> None:
        self.calls.append((what, db.session().in_transaction(), self._lock_free()))

    def hash(self, password, *args, **kwargs):
        self._note("hash")
        return self.inner.hash(password, *args, **kwargs)

    def verify(self, stored, password):
        self._note("verify")
        return self.inner.verify(stored, password)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def watched(monkeypatch, database_url):
    hasher = WatchedHasher(auth.hasher, database_url)
    monkeypatch.setattr(auth, "hasher", hasher)
    return hasher


def _assert_unlocked(watched, expected: set[str]):
    assert {what for what, _, _ in watched.calls} >= expected, watched.calls
    for what, in_transaction, lock_free in watched.calls:
        assert not in_transaction, f"{what} ran inside an open transaction"
        assert lock_free, f"{what} ran while the write lock was held"


def _login(client, username="staff_demo", password=DEMO_PASSWORD):
    return client.post("/api/auth/login", json={"username": username, "password": password})


@pytest.mark.parametrize("username, password, status", [
    ("staff_demo", DEMO_PASSWORD, 200), ("staff_demo", "wrong", 401), ("nobody", "wrong", 401)])
def test_login_checks_the_password_outside_any_transaction(client, watched, username, password, status):
    assert _login(client, username, password).status_code == status
    _assert_unlocked(watched, {"verify"})


def test_a_locked_source_checks_its_dummy_hash_outside_any_transaction(client, watched):
    for _ in range(5):
        _login(client, password="wrong")
    watched.calls.clear()
    assert _login(client).status_code == 423
    _assert_unlocked(watched, {"verify"})


def test_a_login_that_rehashes_the_password_hashes_outside_any_transaction(app, client, watched):
    app.config["ARGON2_TIME_COST"] = 2
    auth.configure(app.config)
    watched.inner = auth.hasher
    auth.hasher = watched
    assert _login(client).status_code == 200
    _assert_unlocked(watched, {"verify", "hash"})


def test_changing_ones_password_hashes_outside_any_transaction(staff, watched):
    response = staff.post("/api/auth/password", json={"current_password": DEMO_PASSWORD, "new_password": GOOD})
    assert response.status_code == 204, response.json
    _assert_unlocked(watched, {"verify", "hash"})


def test_an_admin_creating_a_user_or_resetting_a_password_hashes_outside_any_transaction(admin, watched):
    area = admin.get("/api/areas").json["items"][0]["id"]
    created = admin.post("/api/admin/users", json={"username": "13800004444", "display_name": "孙八",
                                                    "role": "staff", "area_id": area, "password": GOOD})
    assert created.status_code == 201, created.json
    reset = admin.post(f"/api/admin/users/{created.json['id']}/reset-password", json={"password": GOOD + "x"})
    assert reset.status_code == 200, reset.json
    _assert_unlocked(watched, {"hash"})
    assert len([c for c in watched.calls if c[0] == "hash"]) == 2


def test_the_first_write_after_an_idle_hour_is_not_blocked_by_its_own_session_touch(staff):
    """The guard renews a session's expiry at most hourly: on SQLite that renewal must not wait for the write
    lock its own request already holds (a 30 s busy timeout, then 503)."""
    with time_machine.travel(utcnow() + timedelta(hours=2), tick=True):
        started = time.monotonic()
        response = staff.post("/api/sync/push", json={"device_id": "d", "mutations": []})
        assert response.status_code == 200, response.json
        assert time.monotonic() - started < 10


def test_an_upload_writes_its_file_holding_no_lock(monkeypatch, database_url, staff):
    """SQLite: no transaction open (its one write lock would queue every push behind the disk). PostgreSQL:
    the upload stays in the auth guard's read transaction (ending it cost three round trips an upload), which
    holds nothing a writer waits on while the file is written: no row, table-write or transaction-id lock."""
    watched = WatchedHasher(None, database_url)
    put = attachments.FileStore.put
    held: list[tuple[str, str]] = []

    def noting_put(store, sha256, data):
        if is_postgres():
            held.extend(db.session.execute(text(
                "SELECT locktype, mode FROM pg_locks WHERE pid = pg_backend_pid()")).all())
        else:
            watched._note("file write")
        return put(store, sha256, data)

    monkeypatch.setattr(attachments.FileStore, "put", noting_put)
    data = b"\xff\xd8\xff\xe0" + b"storm" * 64
    response = staff.put(f"/api/attachments/{hashlib.sha256(data).hexdigest()}", data=data,
                         content_type="image/jpeg")
    assert response.status_code == 201, response.json
    if is_postgres():
        assert held, "the lock probe did not run"
        assert {mode for _, mode in held} <= {"AccessShareLock", "ExclusiveLock"}, held
        assert all(mode == "AccessShareLock" or locktype == "virtualxid" for locktype, mode in held), held
    else:
        _assert_unlocked(watched, {"file write"})


class HeldVerify:
    """The app's hasher, whose verify waits (at most 30 s) until the test lets it go on."""

    def __init__(self, inner):
        self.inner = inner
        self.verifying = threading.Event()
        self.release = threading.Event()

    def verify(self, stored, password):
        self.verifying.set()
        self.release.wait(30)
        return self.inner.verify(stored, password)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_push_goes_through_while_a_login_checks_its_password(app, monkeypatch, staff, own_recipient):
    """The order, not a time: a push started while another phone's password check is under way is answered
    before that check ends. Under the write lock the push would wait for the login (and, held here, time out)."""
    held = HeldVerify(auth.hasher)
    monkeypatch.setattr(auth, "hasher", held)
    answers = {}

    def log_in():
        with app.app_context():  # each thread its own context and database session, as each request has
            answers["login"] = _login(app.test_client()).status_code

    def push():
        with app.app_context():
            answers["push"] = staff.push(mutation("visit.create", visit_data(own_recipient["id"])))[0]["status"]

    login = threading.Thread(target=log_in)
    login.start()
    try:
        assert held.verifying.wait(30), "the login never reached its password check"
        pusher = threading.Thread(target=push)
        pusher.start()
        pusher.join(20)
        answered_during_the_check = not pusher.is_alive()
    finally:
        held.release.set()
        login.join(30)
    pusher.join(40)
    assert answered_during_the_check, "the push waited for the login's password check"
    assert answers == {"login": 200, "push": "applied"}
