"""The real Web Push protocol test server (npm web-push-testing 1.2.2), started and stopped per fixture.

It decrypts what it receives with the subscription's keys and checks the VAPID JWT against the
applicationServerKey, so a message read back through /get-notifications proves encryption and VAPID right.
All its endpoints are POST. Installed by `make test-server` (tests/push_server, `npm ci`).
"""

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.live_server import free_port

PACKAGE = Path(__file__).resolve().parent.parent / "push_server"
# Its endpoints are http://localhost:PORT/notify/…: a server pushing to it must name it in its
# PUSH_ENDPOINT_ALLOWLIST (server/domain/push.py), which never holds a loopback address by default.
ALLOWLIST_ENTRY = "http://localhost:*"
SERVER_JS = PACKAGE / "node_modules" / "web-push-testing" / "src" / "bin" / "server.js"
START_TIMEOUT = 15.0


class PushTestServer:
    def __init__(self, port: int, process: subprocess.Popen):
        self.port = port
        self.process = process
        self.base = f"http://127.0.0.1:{port}"
        self.http = requests.Session()
        self.http.trust_env = False

    def _post(self, path: str, json: dict | None = None) -> requests.Response:
        return self.http.post(self.base + path, json=json or {}, timeout=10)

    def subscribe(self, application_server_key: str) -> dict:
        """A browser-like PushSubscription JSON (endpoint, keys) plus the server's clientHash."""
        response = self._post("/subscribe", {"userVisibleOnly": "true",
                                             "applicationServerKey": application_server_key})
        response.raise_for_status()
        return response.json()["data"]

    def messages(self, client_hash: str) -> list[str]:
        """The decrypted payloads this subscription received, in order."""
        response = self._post("/get-notifications", {"clientHash": client_hash})
        if response.status_code == 400:  # "no notifications" is reported as an error
            return []
        response.raise_for_status()
        return response.json()["data"]["messages"]

    def expire(self, client_hash: str) -> None:
        self._post(f"/expire-subscription/{client_hash}").raise_for_status()

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_push_server() -> PushTestServer:
    if not SERVER_JS.exists() or shutil.which("node") is None:
        pytest.skip("web-push-testing is not installed: run `make test-server` (npm ci in tests/push_server)")
    port = free_port()
    process = subprocess.Popen(["node", str(SERVER_JS), str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    server = PushTestServer(port, process)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if server._post("/status").status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"web-push-testing did not start on port {port}")
        time.sleep(0.05)


@pytest.fixture
def push_server():
    server = start_push_server()
    yield server
    server.stop()
