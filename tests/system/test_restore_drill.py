"""The restore drill: phones write before, during and after a backup; the server is restored from it; after the
phones resync, the server holds every record they ever created, exactly once, and every phone sees them all.

Simulated phones follow the sync protocol over HTTP against gunicorn (`Phone` below): an outbox of pending
mutations, acknowledged ones kept (the PWA keeps them 30 days), photos uploaded before the mutation naming
them, pull by cursor, and on 410 `cursor_expired` the re-send: every kept acknowledged mutation goes again,
in order, ahead of the pending ones, then a pull from 0. `flask backup` runs as its own process while one
thread keeps pushing; `flask restore` fills a fresh instance; then a new phone writes to the restored server
until its change numbers pass every old phone's cursor, so those cursors *look* valid.

Why this fails without the epoch: the restored server would accept the old phones' cursors (they no longer
exceed its newest change number) and their epochs would not exist to compare, so no phone would get 410 —
the `expired` assertions fail first — and nothing would be re-sent: the records pushed after the backup stay
lost, which the exactly-once check then reports (tests/api/test_sync_epoch.py pins the same per request).
One legacy phone sends no epoch at all: its plain cursor alone must bring the 410.

SQLite always; PostgreSQL too when TEST_DATABASE_URL is PostgreSQL (pg_dump / pg_restore, in databases made
and dropped here).
"""

import hashlib
import itertools
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from py_vapid import Vapid02
from sqlalchemy import create_engine, text

from tests.conftest import DEMO_PASSWORD, PNG_1PX, _admin_engine, _drop_pg, _pg_url, is_postgres, new_id, visit_data
from tests.live_server import REQUEST_TIMEOUT, LiveServer

pytestmark = [pytest.mark.slow]

FLASK = Path(sys.executable).parent / "flask"
ROOT = Path(__file__).resolve().parent.parent.parent
COMMAND_TIMEOUT = 180
TABLES = {"recipient": "recipients", "visit": "visits", "difficulty": "difficulties", "followup": "follow_ups"}
_photos = itertools.count()


class Expired(Exception):
    """The server answered 410 cursor_expired."""


class Phone:
    """A device following the sync protocol, keeping what the server acknowledged (as the PWA does)."""

    def __init__(self, base_url: str, username: str, send_epoch: bool = True):
        self.base_url = base_url
        self.username = username
        self.send_epoch = send_epoch  # False: a client from before the epoch existed (cursor only)
        self.device_id = f"drill-{username}-{new_id()[:8]}"
        self.http = requests.Session()
        self.http.trust_env = False
        self.csrf = None
        self.logins = 0
        self.login()
        self.pending: list[dict] = []
        self.acked: list[dict] = []
        self.files: dict[str, bytes] = {}
        self.uploaded: set[str] = set()
        self.versions: dict[tuple[str, str], int] = {}
        self.replica: dict[tuple[str, str], dict] = {}
        self.created: set[tuple[str, str]] = set()
        self.cursor = 0
        self.epoch: str | None = None
        self.expired = 0
        self.rounds = 0

    # -- the device's writes --------------------------------------------------------------------------------

    def queue(self, op: str, data: dict, base_version=None) -> dict:
        m = {"id": new_id(), "op": op, "data": data, "base_version": base_version,
             "client_time": "2026-11-28T08:00:00.000Z"}
        self.pending.append(m)
        entity_type, action = op.split(".")
        if action == "create":
            self.created.add((entity_type, data["id"]))
        return m

    def photo(self) -> str:
        data = PNG_1PX + f"drill-photo-{next(_photos)}-{new_id()}".encode()
        sha = hashlib.sha256(data).hexdigest()
        self.files[sha] = data
        return sha

    def new_recipient(self, area_id: int) -> str:
        data = {"id": new_id(), "name": f"演练{self.username[:3]}", "gender": "female", "id_number": None,
                "phone": None, "address": "演练路1号", "area_id": area_id, "category": "veteran", "tags": [],
                "notes": None}
        self.queue("recipient.create", data)
        return data["id"]

    def new_visit(self, recipient_id: str, photo: bool = False) -> str:
        data = visit_data(recipient_id, notes=f"drill {self.device_id}", photos=[self.photo()] if photo else [])
        self.queue("visit.create", data)
        return data["id"]

    def edit_visit(self, visit_id: str, notes: str) -> None:
        self.queue("visit.update", {"id": visit_id, "notes": notes}, self.versions[("visit", visit_id)])

    def new_difficulty(self, recipient_id: str) -> str:
        data = {"id": new_id(), "recipient_id": recipient_id, "visit_id": None, "category": "housing",
                "description": "演练：房屋漏雨", "urgency": "normal", "follow_up_at": None, "due_date": None}
        self.queue("difficulty.create", data)
        return data["id"]

    def follow_up(self, difficulty_id: str, status: str) -> None:
        self.queue("followup.create", {"id": new_id(), "difficulty_id": difficulty_id,
                                       "at": "2026-11-28T09:00:00Z", "note": "演练回访", "status": status,
                                       "next_follow_up_at": None})

    # -- sync -----------------------------------------------------------------------------------------------

    def login(self) -> None:
        response = self.http.post(f"{self.base_url}/api/auth/login", timeout=REQUEST_TIMEOUT,
                                  json={"username": self.username, "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]
        self.logins += 1

    def request(self, method: str, path: str, headers: dict | None = None, **kwargs) -> requests.Response:
        for _ in range(2):
            response = self.http.request(method, f"{self.base_url}{path}", timeout=REQUEST_TIMEOUT,
                                         headers={"X-CSRF-Token": self.csrf or "", **(headers or {})}, **kwargs)
            if response.status_code != 401:
                break
            self.login()
        if response.status_code == 410:
            assert response.json()["error"]["code"] == "cursor_expired"
            raise Expired()
        return response

    def sync(self) -> None:
        """One round: push, then pull; a 410 from either re-sends what was acknowledged and starts again."""
        for _ in range(3):
            try:
                self.push_all()
                self.pull_all()
                self.rounds += 1
                return
            except Expired:
                self.expired += 1
                self.pending = self.acked + self.pending  # in the order they were first made
                self.acked = []
                self.cursor, self.epoch = 0, None
        raise AssertionError(f"{self.device_id}: still 410 after re-sending")

    def upload(self, sha: str) -> None:
        response = self.request("PUT", f"/api/attachments/{sha}", data=self.files[sha],
                                headers={"Content-Type": "image/png"})
        assert response.status_code in (200, 201), response.text
        self.uploaded.add(sha)

    def push_all(self) -> None:
        retried: set[str] = set()
        while self.pending:
            batch = self.pending[:40]
            for m in batch:
                for sha in m["data"].get("photos") or []:
                    if sha not in self.uploaded:
                        self.upload(sha)
            body = {"device_id": self.device_id, "mutations": batch}
            if self.send_epoch and self.epoch:
                body["epoch"] = self.epoch
            response = self.request("POST", "/api/sync/push", json=body)
            assert response.status_code == 200, response.text
            answer = response.json()
            self.epoch = answer["epoch"]
            keep = []
            for m, result in zip(batch, answer["results"], strict=True):
                assert result["id"] == m["id"]
                if result["status"] in ("applied", "duplicate"):
                    self.acked.append(m)
                    entity = result["entity"]
                    self.versions[(entity["type"], entity["id"])] = entity["version"]
                elif result["error"]["code"] == "missing_attachment" and m["id"] not in retried:
                    retried.add(m["id"])  # the restored server lacks the photo: upload it again, then resend
                    self.uploaded.difference_update(m["data"].get("photos") or [])
                    keep.append(m)
                else:
                    raise AssertionError(f"{self.device_id}: {m['op']} answered {result}")
            self.pending = keep + self.pending[len(batch):]

    def pull_all(self) -> None:
        for _ in range(10_000):
            params = {"cursor": self.cursor, "limit": 500}
            if self.send_epoch and self.epoch:
                params["epoch"] = self.epoch
            response = self.request("GET", "/api/sync/pull", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            for change in page["changes"]:
                key = (change["type"], change["id"])
                if change["deleted"]:
                    self.replica.pop(key, None)
                else:
                    self.replica[key] = change["data"]
                    self.versions[key] = change["version"]
            self.cursor, self.epoch = page["cursor"], page["epoch"]
            if not page["has_more"]:
                return

    def move_to(self, base_url: str) -> None:
        """The same phone, now talking to the restored server (same name, another port here)."""
        self.base_url = base_url

    def close(self) -> None:
        self.http.close()


# -- databases and commands --------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path, sqlite_template):
    """(source url, empty target url): the source a copy of the seeded template."""
    if request.param == "sqlite":
        source = tmp_path / "source.db"
        source.write_bytes(Path(sqlite_template).read_bytes())
        yield f"sqlite:///{source}", f"sqlite:///{tmp_path / 'restored' / 'zoufang.db'}"
        return
    if not is_postgres():
        pytest.skip("TEST_DATABASE_URL is not PostgreSQL")
    template = request.getfixturevalue("template_db")
    names = [f"zf_drill_src_{os.getpid()}", f"zf_drill_dst_{os.getpid()}"]
    admin = _admin_engine()
    try:
        for name in names:
            _drop_pg(admin, name)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{names[0]}" TEMPLATE "{template}"'))
            conn.execute(text(f'CREATE DATABASE "{names[1]}"'))
        yield _pg_url(names[0]), _pg_url(names[1])
    finally:
        for name in names:
            _drop_pg(admin, name)
        admin.dispose()


def flask_command(server: LiveServer, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(FLASK), "--app", "server", *args], cwd=ROOT, env=server.environment(),
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT, stdin=subprocess.DEVNULL)


def rows(url: str, table: str, ids: list[str], column: str = "id") -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = []
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ", ".join(f":i{n}" for n in range(len(chunk)))
                found += connection.execute(text(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})"),
                                            {f"i{n}": v for n, v in enumerate(chunk)}).scalars().all()
            return found
    finally:
        engine.dispose()


def scalar(url: str, sql: str, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


# -- the drill -----------------------------------------------------------------------------------------------


def test_restore_drill_loses_nothing_the_phones_created(databases, tmp_path):
    source_url, target_url = databases
    # SECRET_KEY empty: the instance folder's key is used, so the archive must carry it for sessions to survive.
    env = {"SECRET_KEY": ""}
    old = LiveServer(source_url, tmp_path / "old-instance", workers=2, env=env)
    # The keys an install keeps in its instance folder (the secret key signs the phones' session cookies).
    vapid = Vapid02()
    vapid.generate_keys()
    (old.instance_dir / "vapid_private.pem").write_bytes(vapid.private_pem())
    (old.instance_dir / "secret_key").write_text(secrets.token_urlsafe(48))
    archive = tmp_path / "drill.tar"
    phones: list[Phone] = []
    restored = None
    try:
        old.start()
        staff = [Phone(old.url, "staff_demo") for _ in range(2)]
        office = Phone(old.url, "admin_demo")
        legacy = Phone(old.url, "staff_demo", send_epoch=False)
        phones = [*staff, office, legacy]
        for phone in phones:
            phone.sync()
        recipients = sorted(k[1] for k in staff[0].replica if k[0] == "recipient")
        village = staff[0].replica[("recipient", recipients[0])]["area_id"]

        # Before the backup: every kind of record, photos included.
        difficulties, first_visits = {}, {}
        for n, phone in enumerate(phones):
            mine = phone.new_recipient(village)
            first_visits[phone] = phone.new_visit(mine, photo=True)
            phone.new_visit(recipients[n])
            difficulties[phone] = phone.new_difficulty(recipients[n])
            phone.follow_up(difficulties[phone], "in_progress")
            phone.sync()
        before_backup = {key for phone in phones for key in phone.created}

        # During: two phones push in a loop while `flask backup` runs as its own process.
        stop = threading.Event()
        errors: list[BaseException] = []
        during_rounds = []

        def keep_writing(phone: Phone) -> None:
            try:
                while not stop.is_set():
                    phone.new_visit(recipients[0], photo=True)
                    phone.new_recipient(village)
                    phone.sync()
                    during_rounds.append(time.monotonic())
            except BaseException as err:
                errors.append(err)

        writers = [threading.Thread(target=keep_writing, args=(p,), daemon=True) for p in staff]
        for writer in writers:
            writer.start()
        started = time.monotonic()
        made = flask_command(old, "backup", str(archive))
        ended = time.monotonic()
        stop.set()
        for writer in writers:
            writer.join(timeout=REQUEST_TIMEOUT)
        assert not errors, errors
        assert made.returncode == 0, made.stderr
        assert any(started <= t <= ended for t in during_rounds), "no push completed while the backup ran"

        # After: new records, an edit and a follow-up of records from before, more photos. All lost below.
        for phone in phones:
            phone.new_visit(recipients[1], photo=True)
            phone.edit_visit(first_visits[phone], f"edited after the backup by {phone.device_id}")
            phone.follow_up(difficulties[phone], "resolved")
            phone.sync()
        assert all(not phone.pending for phone in phones)
        old_cursors = {phone: phone.cursor for phone in phones}
        old.stop()

        # Restore into a fresh instance; the old one (not empty) is refused.
        refused = flask_command(old, "restore", str(archive))
        assert refused.returncode == 1 and "not empty" in refused.stderr, refused.stderr
        restored = LiveServer(target_url, tmp_path / "new-instance", workers=2, env=env)
        done = flask_command(restored, "restore", str(archive))
        assert done.returncode == 0, done.stderr
        for name in ("secret_key", "vapid_private.pem"):
            assert (restored.instance_dir / name).read_bytes() == (old.instance_dir / name).read_bytes()
        lost = [key for key in before_backup if not rows(target_url, TABLES[key[0]], [key[1]])]
        assert not lost, f"records acknowledged before the backup began are missing from it: {lost}"
        restored.start()

        # A new phone writes to the restored server until its change numbers pass every old phone's cursor.
        newcomer = Phone(restored.url, "staff_demo")
        newcomer.sync()
        while newcomer.cursor % 2**36 <= max(c % 2**36 for c in old_cursors.values()):
            for _ in range(20):
                newcomer.new_visit(recipients[2])
            newcomer.sync()
        phones.append(newcomer)

        # The old phones come back: each meets 410, re-sends what it kept, and pulls from 0.
        for phone in phones[:-1]:
            phone.move_to(restored.url)
            logins = phone.logins
            phone.sync()
            assert phone.expired >= 1, f"{phone.device_id} was never told the server was restored"
            assert phone.logins == logins, "the restored secret key and sessions keep phones logged in"
        for phone in phones:
            phone.sync()  # a second round: everything is in every replica

        # Every record any phone ever created is on the server exactly once, and in every phone's replica.
        everything = {key for phone in phones for key in phone.created}
        for entity_type, table in TABLES.items():
            ids = sorted(k[1] for k in everything if k[0] == entity_type)
            found = rows(target_url, table, ids)
            assert sorted(found) == ids, f"{table}: {len(set(ids) - set(found))} missing, or duplicated"
        created_visits = sum(1 for k in everything if k[0] == "visit")
        assert scalar(target_url, "SELECT count(*) FROM visits WHERE notes LIKE 'drill %' OR notes LIKE "
                                  "'edited after the backup%'") == created_visits
        for phone in phones:
            missing = everything - set(phone.replica)
            assert not missing, f"{phone.device_id}'s pull misses {len(missing)} records"
        # The edits and follow-ups made after the backup came back too, and every photo is stored.
        for phone in phones[:-1]:
            edited = [d for k, d in phone.replica.items() if k[0] == "visit" and
                      (d["notes"] or "").startswith(f"edited after the backup by {phone.device_id}")]
            assert len(edited) == 1
            assert phone.replica[("difficulty", difficulties[phone])]["status"] == "resolved"
        photos = {sha for phone in phones for sha in phone.files}
        assert sorted(rows(target_url, "attachments", sorted(photos), "sha256")) == sorted(photos)
        store = restored.instance_dir / "attachments"
        assert all((store / sha[:2] / sha[2:4] / sha).is_file() for sha in photos)
    finally:
        for phone in phones:
            phone.close()
        old.stop()
        if restored is not None:
            restored.stop()
