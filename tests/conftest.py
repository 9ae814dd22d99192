"""Fixtures: a migrated, demo-seeded template database made once; every test gets its own copy.

SQLite by default; PostgreSQL when TEST_DATABASE_URL is set (CI sets it), where each test gets a database
created from the template (CREATE DATABASE … TEMPLATE …).
"""

import itertools
import os
import shutil
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server import create_app
from server.config import TestConfig
from server.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
DEMO_PASSWORD = "Demo@2026"
_counter = itertools.count()


def is_postgres() -> bool:
    return bool(TEST_DATABASE_URL) and TEST_DATABASE_URL.startswith("postgresql")


def _admin_engine():
    return create_engine(make_url(TEST_DATABASE_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg(engine, name: str) -> None:
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def build_database(url: str, instance_dir: str, seed: bool = True) -> None:
    """Migrate (the schema comes only from migrations) and optionally load the demo data."""
    from flask_migrate import upgrade

    from server.cli import seed_demo

    app = create_app(TestConfig(url, instance_dir))
    with app.app_context():
        upgrade()
        if seed:
            seed_demo()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """The migrated and seeded database every test starts from."""
    instance = tmp_path_factory.mktemp("template")
    if is_postgres():
        name = f"zf_tpl_{os.getpid()}"
        admin = _admin_engine()
        _drop_pg(admin, name)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        build_database(_pg_url(name), str(instance))
        yield name
        _drop_pg(admin, name)
        admin.dispose()
    else:
        path = instance / "template.db"
        build_database(f"sqlite:///{path}", str(instance))
        yield str(path)


@pytest.fixture
def database_url(template_db, tmp_path):
    """A fresh copy of the template for this test."""
    if is_postgres():
        name = f"zf_t_{os.getpid()}_{next(_counter)}"
        admin = _admin_engine()
        _drop_pg(admin, name)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
        yield _pg_url(name)
        _drop_pg(admin, name)
        admin.dispose()
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(template_db, path)
        yield f"sqlite:///{path}"


class FreshTransactionClient(FlaskClient):
    """A test client that ends the test's own transaction before each request.

    The test holds an app context, so requests share its database session; on SQLite a transaction the
    test body opened (with the write lock) would otherwise still be open when the request writes on another
    connection (an audit row of a read-only request), and wait out the busy timeout.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    application = create_app(TestConfig(database_url, str(instance)))
    application.test_client_class = FreshTransactionClient
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class ApiClient:
    """A logged-in test client that sends the CSRF header on every write."""

    def __init__(self, app, username: str, password: str = DEMO_PASSWORD):
        self.client = app.test_client()
        response = self.client.post("/api/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.json
        self.user = response.json["user"]
        self.csrf = response.json["csrf_token"]
        self.device_id = f"device-{username}"

    def _headers(self, extra=None):
        return {"X-CSRF-Token": self.csrf, **(extra or {})}

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, **kwargs):
        kwargs["headers"] = self._headers(kwargs.get("headers"))
        return self.client.post(url, **kwargs)

    def put(self, url, **kwargs):
        kwargs["headers"] = self._headers(kwargs.get("headers"))
        return self.client.put(url, **kwargs)

    def patch(self, url, **kwargs):
        kwargs["headers"] = self._headers(kwargs.get("headers"))
        return self.client.patch(url, **kwargs)

    def delete(self, url, **kwargs):
        kwargs["headers"] = self._headers(kwargs.get("headers"))
        return self.client.delete(url, **kwargs)

    def push(self, *mutations, device_id=None):
        response = self.post("/api/sync/push", json={"device_id": device_id or self.device_id,
                                                      "mutations": list(mutations)})
        assert response.status_code == 200, response.json
        return response.json["results"]

    def pull_all(self, cursor: int = 0, limit: int = 500) -> tuple[dict, int]:
        """Pull every page from `cursor`: {(type, id): change} and the final cursor."""
        seen = {}
        while True:
            response = self.get(f"/api/sync/pull?cursor={cursor}&limit={limit}")
            assert response.status_code == 200, response.json
            body = response.json
            for change in body["changes"]:
                seen[(change["type"], change["id"])] = change
            cursor = body["cursor"]
            if not body["has_more"]:
                return seen, cursor


@pytest.fixture
def login(app):
    """login("staff_demo") → an ApiClient for that user."""
    return lambda username, password=DEMO_PASSWORD: ApiClient(app, username, password)


@pytest.fixture
def staff(login):
    return login("staff_demo")


@pytest.fixture
def reviewer(login):
    return login("reviewer_demo")


@pytest.fixture
def admin(login):
    return login("admin_demo")


def new_id() -> str:
    return str(uuid.uuid4())


def mutation(op: str, data: dict, base_version=None, mutation_id=None) -> dict:
    return {"id": mutation_id or new_id(), "op": op, "data": data, "base_version": base_version,
            "client_time": "2026-11-28T08:00:00.000Z"}


def visit_data(recipient_id: str, **fields) -> dict:
    return {"id": new_id(), "recipient_id": recipient_id, "visited_at": "2026-11-28T02:00:00.000Z",
            "kind": "routine", "occasion": "日常走访", "participants": "李晓红", "gifts": "米、油",
            "cash_cents": 0, "notes": "身体状况良好", "location": {"lat": 30.1, "lng": 120.2, "accuracy_m": 12},
            "photos": [], "signature": None, "no_signature_reason": None, **fields}


def difficulty_data(recipient_id: str, **fields) -> dict:
    return {"id": new_id(), "recipient_id": recipient_id, "visit_id": None, "category": "medical",
            "description": "看病难", "urgency": "normal", "follow_up_at": None, "due_date": None, **fields}


@pytest.fixture
def own_recipient(staff):
    """A recipient in staff_demo's township (as the phone pulled it)."""
    changes, _ = staff.pull_all()
    return next(c["data"] for c in changes.values() if c["type"] == "recipient")


@pytest.fixture
def foreign_recipient(admin, staff):
    """A recipient in another township than staff_demo's."""
    mine = {key for key in staff.pull_all()[0]}
    everyone, _ = admin.pull_all()
    return next(c["data"] for key, c in everyone.items() if c["type"] == "recipient" and key not in mine)


PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
