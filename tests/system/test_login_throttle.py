"""Login throttling holds across gunicorn workers: the counters live in the database (or Redis), not in each
worker's memory, where four workers would allow four times the limit."""

import os
import socket
import uuid

import pytest
import requests

from tests.live_server import LiveServer

pytestmark = [pytest.mark.slow]


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


STORAGES = [
    pytest.param({}, id="database"),
    pytest.param({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}, id="redis",
                 marks=pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")),
]


@pytest.mark.parametrize("storage", STORAGES)
def test_sixty_logins_from_one_address_are_throttled_across_four_workers(database_url, tmp_path, storage):
    # A prefix of its own: a shared Redis may hold other runs' counters for 127.0.0.1.
    env = {**storage, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"}
    if os.environ.get("ZOUFANG_THROTTLE_STORAGE"):  # e.g. memory:// to see this test fail
        env["RATELIMIT_STORAGE_URI"] = os.environ["ZOUFANG_THROTTLE_STORAGE"]
    server = LiveServer(database_url, tmp_path / "throttle-instance", workers=4, env=env)
    http = requests.Session()
    http.trust_env = False
    try:
        server.start()
        codes = []
        for i in range(60):
            # A new connection each time (as the sync workers do anyway), so every worker takes its share.
            response = http.post(f"{server.url}/api/auth/login", timeout=60, headers={"Connection": "close"},
                                 json={"username": f"sprayed{i:03d}", "password": "Spring2026!"})
            codes.append(response.status_code)
    finally:
        http.close()
        server.stop()
    assert set(codes) <= {401, 429}, codes
    assert codes.count(429) >= 25, codes  # the limit is 30 a minute per address, whichever worker answers
