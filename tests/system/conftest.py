"""System-test fixtures: a live gunicorn server on a free port, HTTP clients for it, record builders."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import DEMO_PASSWORD, build_database, mutation, new_id, repo_root, visit_data

GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT = 90  # seconds: four workers importing the app on a busy two-core machine
REQUEST_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """gunicorn serving one database in its own process group, so a stop or `kill -9` takes every worker."""

    def __init__(self, database_url: str, instance_dir: Path, workers: int = 4):
        self.database_url = database_url
        self.instance_dir = Path(instance_dir)
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start gunicorn (on the same port each time) and wait until /api/health answers."""
        assert self.process is None, "already running"
        self.starts += 1
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it; closed after Popen
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        # SECRET_KEY from the environment: four workers racing to create instance/secret_key is not the point.
        env.update(DATABASE_URL=self.database_url, ZOUFANG_INSTANCE_DIR=str(self.instance_dir),
                   SECRET_KEY="system-test-secret", LOG_LEVEL="WARNING")
        try:
            self.process = subprocess.Popen(
                [str(GUNICORN), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
                 "--timeout", str(REQUEST_TIMEOUT), "--graceful-timeout", "10",
                 # Import the app once and fork the workers (still four processes, each with its own
                 # connections): four imports at once cost ~20 s a start on a busy two-core machine.
                 "--preload",
                 # gunicorn 27's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl):
                 # servers started side by side would take it from each other, and stopping is slower.
                 "--no-control-socket", "server.wsgi:app"],
                cwd=repo_root(), env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        self.wait_healthy(timeout)

    @property
    def log_path(self) -> Path:
        return self.instance_dir / "gunicorn.log"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        session = requests.Session()
        session.trust_env = False
        with session:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if session.get(f"{self.url}/api/health", timeout=5).status_code == 200:
                        return
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"gunicorn not healthy after {timeout}s:\n{self.log_tail()}")
                time.sleep(0.2)

    def kill(self) -> None:
        """`kill -9` the whole process group: master and workers die mid-request, nothing is flushed."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """Stop (gunicorn's quick shutdown), and by force if that takes too long. Safe to call twice."""
        if self.process is None:
            return
        self._signal_group(signal.SIGINT)
        try:
            # The workers leave at once; gunicorn 27's master can linger seconds more, so do not wait long.
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=30)
        # Workers outlive a killed master only briefly; make sure none stays behind.
        self._signal_group(signal.SIGKILL)
        self.process = None

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass


@pytest.fixture
def live_server(database_url, tmp_path):
    """gunicorn with 4 workers on a free port against this test's database; always stopped at teardown."""
    server = LiveServer(database_url, tmp_path / "live-instance")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated, seeded SQLite file, whatever TEST_DATABASE_URL says (for tests that need SQLite itself)."""
    instance = tmp_path_factory.mktemp("sqlite-template")
    path = instance / "template.db"
    build_database(f"sqlite:///{path}", str(instance))
    return path


@pytest.fixture
def sqlite_path(sqlite_template, tmp_path) -> Path:
    path = tmp_path / "system.db"
    shutil.copyfile(sqlite_template, path)
    return path


class HttpClient:
    """A device talking HTTP to a live server: its own cookie session and CSRF token, no proxies."""

    def __init__(self, base_url: str, username: str = "staff_demo", password: str = DEMO_PASSWORD,
                 device_id: str | None = None, login: bool = True):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.trust_env = False
        self.device_id = device_id or f"device-{new_id()}"
        self.csrf = None
        if login:
            response = self.session.post(f"{base_url}/api/auth/login", json={"username": username,
                                                                              "password": password},
                                         timeout=REQUEST_TIMEOUT)
            assert response.status_code == 200, response.text
            self.csrf = response.json()["csrf_token"]

    def tab(self) -> "HttpClient":
        """Another tab of the same browser: the same session cookie and CSRF token, its own connection."""
        other = HttpClient(self.base_url, device_id=self.device_id, login=False)
        other.session.cookies.update(self.session.cookies)
        other.csrf = self.csrf
        return other

    def push(self, mutations: list[dict], timeout: float = REQUEST_TIMEOUT) -> requests.Response:
        return self.session.post(f"{self.base_url}/api/sync/push", timeout=timeout,
                                 json={"device_id": self.device_id, "mutations": mutations},
                                 headers={"X-CSRF-Token": self.csrf})

    def pull(self, cursor: int, limit: int = 500, timeout: float = REQUEST_TIMEOUT) -> requests.Response:
        return self.session.get(f"{self.base_url}/api/sync/pull", params={"cursor": cursor, "limit": limit},
                                timeout=timeout)

    def close(self) -> None:
        self.session.close()


def record_mutations(count: int, area_id: int, recipient_ids: list[str]) -> list[dict]:
    """`count` creates of distinct records: every fifth a recipient, then visits and difficulties.

    Visits and difficulties name only recipients that already exist, so the mutations may apply in any
    order (concurrent clients interleave batches freely).
    """
    result = []
    for index in range(count):
        if index % 5 == 0:
            data = {"id": new_id(), "name": f"系统测试{index}", "gender": "male", "id_number": None,
                    "phone": None, "address": "测试路1号", "area_id": area_id, "category": "veteran",
                    "tags": [], "notes": None}
            result.append(mutation("recipient.create", data))
        elif index % 5 == 4:
            data = {"id": new_id(), "recipient_id": recipient_ids[index % len(recipient_ids)],
                    "visit_id": None, "category": "medical", "description": f"困难{index}",
                    "urgency": "normal", "follow_up_at": None, "due_date": None}
            result.append(mutation("difficulty.create", data))
        else:
            data = visit_data(recipient_ids[index % len(recipient_ids)], notes=f"走访{index}")
            result.append(mutation("visit.create", data))
    return result


def created_ids(mutations: list[dict]) -> dict[str, set[str]]:
    """The ids of the records a list of create mutations makes, by table."""
    tables = {"recipient": "recipients", "visit": "visits", "difficulty": "difficulties",
              "followup": "follow_ups"}
    found: dict[str, set[str]] = {}
    for m in mutations:
        entity_type, action = m["op"].split(".")
        if action == "create":
            found.setdefault(tables[entity_type], set()).add(m["data"]["id"])
    return found


def staff_recipients(client: HttpClient) -> tuple[list[str], int]:
    """The ids of recipients staff_demo's phone holds after a full pull, and one village of theirs."""
    cursor, recipients = 0, {}
    for _ in range(1000):
        response = client.pull(cursor)
        assert response.status_code == 200, response.text
        body = response.json()
        for change in body["changes"]:
            if change["type"] == "recipient" and not change["deleted"]:
                recipients[change["id"]] = change["data"]
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert recipients, "the demo data gives staff_demo recipients"
    ids = sorted(recipients)
    return ids, recipients[ids[0]]["area_id"]
