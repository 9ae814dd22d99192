"""Slow clients (slowloris): six connections that dribble one header line every few seconds must not take the
server offline. The server is started exactly as the Procfile's `web` line says (`make run`)."""

import re
import runpy
import shlex
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.live_server import ROOT, LiveServer

SLOW_CONNECTIONS = 6
DRIBBLE_EVERY = 3.0  # seconds between header lines
WATCH_FOR = 20.0  # seconds of health checks while the slow clients hold their connections
HEALTH_TIMEOUT = 5.0


def procfile_web_command(port: int) -> list[str]:
    """The Procfile's web command for this venv and port (plus no control socket: servers side by side)."""
    line = next(raw for raw in (ROOT / "Procfile").read_text().splitlines() if raw.startswith("web:"))
    command = line.split(":", 1)[1].strip()
    command = re.sub(r"\$\{PORT:-\d+\}|\$PORT", str(port), command)
    args = shlex.split(command)
    assert args[0].endswith("gunicorn"), args
    args[0] = str(Path(sys.executable).parent / "gunicorn")
    return [*args, "--no-control-socket"]


class ProcfileServer(LiveServer):
    """LiveServer's process handling around the Procfile's own command line."""

    def start(self, timeout: float = 90) -> None:
        import subprocess

        self.starts += 1
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(procfile_web_command(self.port), cwd=ROOT, env=self.environment(),
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.wait_healthy(timeout)


class SlowClient(threading.Thread):
    """Opens a connection, starts a request and sends one more header line every DRIBBLE_EVERY seconds."""

    def __init__(self, port: int, stop: threading.Event, index: int):
        super().__init__(daemon=True)
        self.port, self.stop, self.index = port, stop, index
        self.lines_sent = 0

    def run(self) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                while not self.stop.wait(DRIBBLE_EVERY):
                    sock.sendall(f"X-Slow-{self.index}-{self.lines_sent}: 1\r\n".encode())
                    self.lines_sent += 1
        except OSError:
            pass  # the server may close a connection it finds too slow: that is allowed


@pytest.fixture
def procfile_server(sqlite_path, tmp_path):
    server = ProcfileServer(f"sqlite:///{sqlite_path}", tmp_path / "procfile-instance")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_six_slow_connections_leave_health_answering(procfile_server):
    stop = threading.Event()
    slow = [SlowClient(procfile_server.port, stop, i) for i in range(SLOW_CONNECTIONS)]
    http = requests.Session()
    http.trust_env = False
    answers: list[float | str] = []
    try:
        for client in slow:
            client.start()
        time.sleep(DRIBBLE_EVERY)  # every slow connection is open and has sent its first lines
        deadline = time.monotonic() + WATCH_FOR
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status = http.get(f"{procfile_server.url}/api/health", timeout=HEALTH_TIMEOUT).status_code
                answers.append(time.monotonic() - started if status == 200 else f"status {status}")
            except requests.RequestException as err:
                answers.append(type(err).__name__)
            time.sleep(1.0)
    finally:
        stop.set()
        for client in slow:
            client.join(timeout=DRIBBLE_EVERY + 10)
        http.close()
    assert sum(client.lines_sent for client in slow) >= SLOW_CONNECTIONS, "the slow clients never got going"
    failures = [a for a in answers if isinstance(a, str)]
    assert answers and not failures, answers
    print(f"{len(answers)} health checks during {SLOW_CONNECTIONS} slow connections, slowest {max(answers):.3f} s")


def _gunicorn_options(command: str) -> dict[str, str]:
    args = shlex.split(command[command.index("gunicorn"):])
    return {a: b for a, b in zip(args, [*args[1:], ""], strict=True) if a.startswith("--")}


def test_the_shipped_gunicorn_config_runs_gunicorn_as_the_procfile_does():
    """The image and the systemd units (`--config deploy/gunicorn.conf.py`) must survive slow clients too: the
    same threaded workers, keep-alive and header limit as `make run`."""
    procfile = _gunicorn_options(" ".join(procfile_web_command(8000)))
    server_cmd = [line for line in (ROOT / "Dockerfile").read_text().splitlines()
                  if line.startswith("CMD") and "gunicorn" in line]
    assert server_cmd and all("deploy/gunicorn.conf.py" in line for line in server_cmd), server_cmd
    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert procfile["--worker-class"] == conf["worker_class"] == "gthread"
    assert int(procfile["--threads"]) >= 4 and conf["threads"] >= 4
    assert int(procfile["--keep-alive"]) == conf["keepalive"]
    assert int(procfile["--limit-request-fields"]) == conf["limit_request_fields"]
    assert int(procfile["--timeout"]) == conf["timeout"]
