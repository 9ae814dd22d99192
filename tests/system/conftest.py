"""System-test fixtures: a live gunicorn server on a free port, HTTP clients for it, record builders."""

import shutil
from pathlib import Path

import pytest
import requests

from tests.conftest import DEMO_PASSWORD, build_database, mutation, new_id, visit_data
from tests.live_server import REQUEST_TIMEOUT, LiveServer


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
