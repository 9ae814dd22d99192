"""Fixtures for the browser tests: the real Flask app under gunicorn on a free port, and Debian's Chromium.

The PWA is not built here: `make build` (a dependency of `make test`) leaves it in pwa/dist.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from server.domain.push import DEFAULT_PUSH_SERVICES
from tests.live_server import START_TIMEOUT, LiveServer
from tests.system.push_server import ALLOWLIST_ENTRY

ROOT = Path(__file__).resolve().parents[2]
# The built app; ZOUFANG_E2E_DIST points elsewhere (e.g. a build of another checkout).
DIST = Path(os.environ.get("ZOUFANG_E2E_DIST") or ROOT / "pwa" / "dist")
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "Demo@2026"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DEFAULT_TIMEOUT_MS = 20_000


class E2EServer(LiveServer):
    """gunicorn (2 workers) serving a fresh demo-seeded SQLite database and the built PWA."""

    def __init__(self, tmp: Path):
        super().__init__(f"sqlite:///{tmp / 'e2e.db'}", tmp / "instance", workers=2,
                         env={"PWA_DIST": str(DIST), "SECRET_KEY": "e2e-secret",
                              # test_push_inbox.py subscribes at web-push-testing, on localhost
                              "PUSH_ENDPOINT_ALLOWLIST": " ".join((*DEFAULT_PUSH_SERVICES, ALLOWLIST_ENTRY)),
                              # One address and a handful of demo accounts sign in (and unlock after every
                              # reload) hundreds of times a run; the limits themselves are tested in
                              # tests/api/test_auth_throttle.py.
                              "LOGIN_LIMIT_PER_IP": "10000 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "10000 per hour"})
        self.tmp = tmp

    def flask(self, *args: str) -> str:
        done = subprocess.run([str(BIN / "flask"), "--app", "server", *args], cwd=ROOT, env=self.environment(),
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self, timeout: float = START_TIMEOUT) -> None:
        self.flask("db", "upgrade")
        self.flask("seed-demo")
        super().start(timeout)

    def api(self, username: str = "staff_demo") -> "ApiClient":
        return ApiClient(self.url, username)


class ApiClient:
    """A logged-in HTTP client for checking what the server holds."""

    def __init__(self, url: str, username: str):
        self.url = url
        self.http = requests.Session()
        self.http.trust_env = False
        answer = self.http.post(f"{url}/api/auth/login", json={"username": username, "password": DEMO_PASSWORD},
                                timeout=30)
        answer.raise_for_status()
        self.csrf = answer.json()["csrf_token"]

    def close(self) -> None:
        self.http.close()

    def post(self, path: str, body: dict) -> requests.Response:
        return self.http.post(self.url + path, json=body, headers={"X-CSRF-Token": self.csrf}, timeout=30)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.url + path, timeout=30)

    def pull_all(self) -> list[dict]:
        cursor, changes = 0, []
        for _ in range(1000):
            page = self.get(f"/api/sync/pull?cursor={cursor}&limit=1000").json()
            changes += page["changes"]
            cursor = page["cursor"]
            if not page["has_more"]:
                return changes
        raise AssertionError("pull never ended")


@pytest.fixture(scope="session")
def e2e_server(tmp_path_factory):
    if not (DIST / "index.html").exists():
        pytest.fail(f"{DIST} has no built app: run `make build` first")
    server = E2EServer(tmp_path_factory.mktemp("e2e"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


# Package scope: Playwright's sync API ends with this folder's tests, so a later suite (tests/system's deploy
# topology) can start its own (two sync_playwright() at once fail: "Sync API inside the asyncio loop").
@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium fonts-wqy-microhei")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


def browser_context(browser, **options):
    """A fresh browser context (its own storage) in Chinese, Shanghai time, with the suite's timeouts."""
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    ctx.set_default_timeout(DEFAULT_TIMEOUT_MS)
    ctx.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    return ctx


@pytest.fixture
def context(browser):
    """A fresh phone: 360 px wide, touch, its own storage."""
    ctx = browser_context(browser, viewport={"width": 360, "height": 740}, has_touch=True)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def office(browser):
    """A PC browser: 1366×768, its own storage."""
    ctx = browser_context(browser, viewport={"width": 1366, "height": 768})
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def staff_api(e2e_server):
    client = e2e_server.api("staff_demo")
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def reviewer_api(e2e_server):
    """The county office (reviewer_demo) through the API."""
    client = e2e_server.api("reviewer_demo")
    try:
        yield client
    finally:
        client.close()
