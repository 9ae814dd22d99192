"""A live gunicorn server for tests and benchmarks: a free port, its own process group, always stopped.

tests/system runs it against the test database with four workers; tests/e2e (and bench/pwa.py) against a fresh
demo-seeded SQLite file serving the built PWA.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT = 90  # seconds: four workers importing the app on a busy two-core machine
REQUEST_TIMEOUT = 120
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """gunicorn serving one database in its own process group, so a stop or `kill -9` takes every worker."""

    def __init__(self, database_url: str, instance_dir: Path, workers: int = 4, env: dict | None = None):
        self.database_url = database_url
        self.extra_env = env or {}
        self.instance_dir = Path(instance_dir)
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def environment(self) -> dict[str, str]:
        """The server's environment (also for `flask --app server` commands against the same database)."""
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.pop("TEST_DATABASE_URL", None)
        # SECRET_KEY from the environment: four workers racing to create instance/secret_key is not the point.
        env.update(DATABASE_URL=self.database_url, ZOUFANG_INSTANCE_DIR=str(self.instance_dir),
                   SECRET_KEY="system-test-secret", LOG_LEVEL="WARNING")
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start gunicorn (on the same port each time) and wait until /api/health answers."""
        assert self.process is None, "already running"
        self.starts += 1
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it; closed after Popen
        env = self.environment()
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
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
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
