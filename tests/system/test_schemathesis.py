"""Schemathesis against the app's own OpenAPI document: no endpoint answers a server error, whoever calls it.

Every operation of `/api/openapi.json` gets cases generated from its schema, both valid ones (positive) and
ones that break it (negative), sent as staff_demo, reviewer_demo and admin_demo (a session cookie and the
CSRF header on every request, as the PWA sends them), each role on its own copy of the demo database. The
only check is schemathesis' "not a server error" (no 5xx); every one is collected (not just the first) and
listed.

Bounded for a test run: ZOUFANG_FUZZ_EXAMPLES cases per operation and mode, 12 by default (2,598 cases in
about 80 s here; derandomized, so a run repeats the last one). Raise it for a longer hunt,
e.g. ZOUFANG_FUZZ_EXAMPLES=200; the schemathesis CLI against `make run` adds its coverage and stateful phases.
"""

import os
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from server.api import SESSION_COOKIE
from server.extensions import db
from tests.conftest import DEMO_PASSWORD

pytestmark = [
    pytest.mark.slow,
    # schemathesis' WSGI transport reads a workbook's answer and drops it unclosed (its temporary file).
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

ROLES = ("staff_demo", "reviewer_demo", "admin_demo")
EXAMPLES = int(os.environ.get("ZOUFANG_FUZZ_EXAMPLES", "12"))
# Logging out ends the session every later case relies on: the one operation left out. (An admin revoking
# their own sessions or resetting their own password is not left out: the session logs in again.)
EXCLUDED = {("POST", "/api/auth/logout")}


class Session:
    """A demo user's session, logged in again whenever a case ended it (revoked, deactivated, reset)."""

    def __init__(self, app, username: str):
        self.app, self.username = app, username
        self.headers: dict = {}
        self.cookies: dict = {}
        self.login()

    def login(self) -> bool:
        client = self.app.test_client()
        response = client.post("/api/auth/login", json={"username": self.username, "password": DEMO_PASSWORD})
        if response.status_code != 200:
            return False
        token = client.get_cookie(SESSION_COOKIE).value
        self.cookies = {SESSION_COOKIE: token}
        self.headers = {"X-CSRF-Token": response.json["csrf_token"]}
        return True


def run_operation(operation, mode: GenerationMode, session: Session, stats: Counter, failures: list) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case):
        # The test's app context shares its database session with the requests (as FreshTransactionClient
        # does, end its transaction first, or a request waits for the test's SQLite write lock).
        db.session.commit()
        response = case.call(headers=dict(session.headers), cookies=dict(session.cookies))
        stats["cases"] += 1
        stats[f"{response.status_code // 100}xx"] += 1
        stats[str(response.status_code)] += 1
        if response.status_code >= 500:  # schemathesis' not_a_server_error; every one is listed at the end
            failures.append(f"{mode.value} {operation.method.upper()} {operation.path} → {response.status_code}: "
                            f"{case.as_curl_command()}\n{response.text[:300]}")
        if response.status_code == 401:
            session.login()

    try:
        fuzz()
    except Unsatisfiable:
        # Nothing of this operation can be made invalid (no parameters, no body): its positive cases cover it.
        if mode is not GenerationMode.NEGATIVE:
            raise
        stats["operations without negative cases"] += 1


@pytest.mark.parametrize("username", ROLES)
def test_no_endpoint_answers_a_server_error(app, username, capsys):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    session = Session(app, username)
    stats, failures, operations = Counter(), [], 0
    start = time.monotonic()
    timings = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue
        operations += 1
        began = time.monotonic()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run_operation(operation, mode, session, stats, failures)
        timings.append((time.monotonic() - began, f"{operation.method.upper()} {operation.path}"))
    with capsys.disabled():
        print(f"\nschemathesis as {username}: {operations} operations, {stats['cases']} cases "
              f"({', '.join(f'{k} {v}' for k, v in sorted(stats.items()) if k != 'cases')}), "
              f"{len(failures)} server errors, {time.monotonic() - start:.0f} s; slowest: "
              f"{', '.join(f'{name} {seconds:.1f} s' for seconds, name in sorted(timings, reverse=True)[:3])}")
    assert operations >= 30 and stats["cases"] >= operations * 2
    assert not failures, "\n\n".join(failures[:20])
