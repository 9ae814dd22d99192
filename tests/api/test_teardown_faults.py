"""A connection that dies after the view ran (its teardown rollback raises) still answers the view's JSON,
never the WSGI server's HTML 500: on PostgreSQL the backend is terminated, anywhere the rollback is made to
fail."""

import pytest
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from server.extensions import db
from tests.conftest import DEMO_PASSWORD, is_postgres
from tests.system.test_pull_consistency import served_app  # noqa: F401  (a fixture: no app context held)


def login(client) -> str:
    """Log staff_demo in: the session's CSRF token."""
    response = client.post("/api/auth/login", json={"username": "staff_demo", "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.json
    return response.json["csrf_token"]


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_pull_answers_json_when_the_backend_dies_after_the_query(served_app, database_url):  # noqa: F811
    bare_app = served_app
    killer = create_engine(database_url, isolation_level="AUTOCOMMIT")
    killed = []

    @bare_app.after_request
    def _kill_backend(response):
        # The view has read; the connection dies before the teardown rolls the session back.
        if response.status_code == 200 and bare_app.config.get("ZF_KILL"):
            pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
            with killer.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killed.append(pid)
        return response

    client = bare_app.test_client()
    login(client)
    bare_app.config["ZF_KILL"] = True
    try:
        response = client.get("/api/sync/pull?cursor=0&limit=5")
    finally:
        bare_app.config["ZF_KILL"] = False
        killer.dispose()
    assert killed
    assert response.status_code == 200
    assert response.is_json and "changes" in response.json
    # The next request gets a fresh connection.
    again = client.get("/api/sync/pull?cursor=0&limit=5")
    assert again.status_code == 200 and again.json["changes"]


def test_answer_stays_json_when_the_teardown_rollback_raises(served_app, monkeypatch):  # noqa: F811
    bare_app = served_app
    client = bare_app.test_client()
    login(client)
    failures = []

    def broken_close(self):
        failures.append(self)
        raise OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))

    with monkeypatch.context() as patch:
        patch.setattr(FlaskSession, "close", broken_close)
        response = client.get("/api/sync/pull?cursor=0&limit=5")
    assert failures
    assert response.status_code == 200 and response.is_json and "changes" in response.json
    assert client.get("/api/sync/pull?cursor=0&limit=5").status_code == 200


# -- PostgreSQL: pooled connections are pinged only after sitting idle ---------------------------------


def kill_every_other_backend(database_url: str) -> None:
    """Every pooled connection of the app dies (a PostgreSQL restart, an idle-session timeout)."""
    killer = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with killer.connect() as conn:
            killed = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    finally:
        killer.dispose()
    assert killed >= 1


class _Clock:
    """time.monotonic for server.database, moved on at will."""

    def __init__(self):
        import time

        self.real, self.offset = time.monotonic, 0.0

    def monotonic(self):
        return self.real() + self.offset


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_a_connection_killed_while_idle_is_replaced_on_the_next_request_after_the_idle_threshold(
        served_app, database_url, monkeypatch):  # noqa: F811
    import server.database as database

    clock = _Clock()
    monkeypatch.setattr(database, "time", clock)
    with served_app.app_context():
        engine = db.engine
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    client = served_app.test_client()
    login(client)
    assert client.get("/api/sync/pull?cursor=0&limit=5").status_code == 200
    assert pings == []  # checked in moments ago: not pinged

    kill_every_other_backend(database_url)  # while idle
    clock.offset += database.IDLE_PING_SECONDS + 1

    response = client.get("/api/sync/pull?cursor=0&limit=5")
    assert response.status_code == 200, response.json
    assert response.json["changes"]
    assert pings  # the idle connection was pinged, failed, and the pool checked out a fresh one
    again = client.get("/api/sync/pull?cursor=0&limit=5")
    assert again.status_code == 200


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (TEST_DATABASE_URL)")
@pytest.mark.parametrize("method, path", [("GET", "/api/sync/pull?cursor=0&limit=5"), ("POST", "/api/sync/push")])
def test_a_connection_killed_moments_after_its_last_use_costs_no_request(served_app, database_url,  # noqa: F811
                                                                           method, path):
    """A database restart just after a request: the pooled connection is dead but was not idle long enough to
    be pinged. The request's first read (the session check) meets the dead connection, which is discarded,
    and reads once more on a fresh one: the phone gets its answer, not a 503 to retry."""
    client = served_app.test_client()
    csrf = login(client)
    assert client.get("/api/sync/pull?cursor=0&limit=5").status_code == 200
    kill_every_other_backend(database_url)
    if method == "GET":
        response = client.get(path)
        assert response.status_code == 200, response.json
        assert response.json["changes"]
    else:
        response = client.post(path, json={"device_id": "t", "mutations": []}, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200, response.json
