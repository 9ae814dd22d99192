"""Several hosts on one database: the secret key and the VAPID key come from the environment or the database,
never from one host's instance folder alone; the proxy headers are trusted only when configured."""

import base64

import pytest
from flask_migrate import upgrade
from py_vapid import Vapid02
from sqlalchemy import select

from server import config as server_config
from server import create_app
from server.extensions import db
from server.models import AuditLog, SharedSetting
from server.push import public_key_of
from tests.conftest import DEMO_PASSWORD

SESSION_COOKIE = "zoufang_session"


def make_app(database_url: str, instance, **settings):
    instance.mkdir(parents=True, exist_ok=True)
    config = server_config.TestConfig(database_url, str(instance))
    for name, value in settings.items():
        setattr(config, name, value)
    return create_app(config)


def close(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def public_key(app) -> str:
    response = app.test_client().get("/api/push/vapid-public-key")
    assert response.status_code == 200, response.json
    return response.json["public_key"]


def stored_settings(app) -> dict[str, str]:
    with app.app_context():
        try:
            return dict(db.session.execute(select(SharedSetting.key, SharedSetting.value)).all())
        finally:
            db.session.remove()


@pytest.fixture
def two_hosts(database_url, tmp_path):
    """Two app instances (two hosts) on one database, each with its own empty instance folder."""
    hosts = [make_app(database_url, tmp_path / f"host{i}") for i in (1, 2)]
    try:
        yield hosts
    finally:
        for host in hosts:
            close(host)


def test_two_hosts_share_the_secret_key_and_the_vapid_key_without_files(two_hosts, tmp_path):
    first, second = two_hosts
    assert first.secret_key and first.secret_key == second.secret_key
    key = public_key(first)
    assert public_key(second) == key
    assert len(base64.urlsafe_b64decode(key + "==")) == 65
    assert set(stored_settings(first)) == {"secret_key", "vapid_private_key"}
    # Nothing was written into either host's instance folder.
    assert [list((tmp_path / host).iterdir()) for host in ("host1", "host2")] == [[], []]


def test_a_session_opened_on_one_host_is_read_by_the_other(two_hosts):
    first, second = two_hosts
    login = first.test_client().post("/api/auth/login", json={"username": "staff_demo", "password": DEMO_PASSWORD})
    assert login.status_code == 200
    token = login.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    other = second.test_client()
    assert other.get("/api/auth/me").status_code == 401
    other.set_cookie(SESSION_COOKIE, token)
    me = other.get("/api/auth/me")
    assert me.status_code == 200 and me.json["user"]["username"] == "staff_demo"
    # A write on the second host with the first host's CSRF token.
    logout = other.post("/api/auth/logout", headers={"X-CSRF-Token": login.json["csrf_token"]})
    assert logout.status_code in (200, 204)
    stale = first.test_client()
    stale.set_cookie(SESSION_COOKIE, token)
    assert stale.get("/api/auth/me").status_code == 401


def test_a_rotation_on_one_host_reaches_the_other(two_hosts):
    first, second = two_hosts
    before = public_key(second)
    rotated = first.test_cli_runner().invoke(args=["vapid", "--rotate"])
    assert rotated.exit_code == 0, rotated.output
    after = rotated.stdout.strip()
    assert after != before
    assert public_key(second) == after == public_key(first)
    shown = second.test_cli_runner().invoke(args=["vapid"])
    assert shown.stdout.strip() == after


def test_an_existing_install_moves_its_instance_files_into_the_database(database_url, tmp_path):
    old = Vapid02()
    old.generate_keys()
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "vapid_private.pem").write_bytes(old.private_pem())
    (legacy / "secret_key").write_text("the-old-secret-key\n")
    upgraded = make_app(database_url, legacy)
    try:
        assert upgraded.secret_key == "the-old-secret-key"
        # The browsers' subscriptions were made with this key: it stays.
        assert public_key(upgraded) == public_key_of(old)
    finally:
        close(upgraded)

    # A new host with files of its own (a copied folder, another old host) takes the database's.
    other_key = Vapid02()
    other_key.generate_keys()
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "vapid_private.pem").write_bytes(other_key.private_pem())
    (stray / "secret_key").write_text("another-secret")
    new_host = make_app(database_url, stray)
    try:
        assert new_host.secret_key == "the-old-secret-key"
        assert public_key(new_host) == public_key_of(old)
    finally:
        close(new_host)


def test_keys_from_the_environment_win_and_a_mismatched_public_key_fails_the_start(database_url, tmp_path):
    vapid = Vapid02()
    vapid.generate_keys()
    raw = base64.urlsafe_b64encode(vapid.private_key.private_numbers().private_value.to_bytes(32, "big"))
    raw = raw.rstrip(b"=").decode()  # the form `web-push generate-vapid-keys` prints
    configured = make_app(database_url, tmp_path / "env", SECRET_KEY="from-the-environment",
                          VAPID_PRIVATE_KEY=raw, VAPID_PUBLIC_KEY=public_key_of(vapid))
    try:
        assert configured.secret_key == "from-the-environment"
        assert public_key(configured) == public_key_of(vapid)
        assert stored_settings(configured) == {}  # nothing made in the database
        refused = configured.test_cli_runner().invoke(args=["vapid", "--rotate"])
        assert refused.exit_code != 0 and "VAPID_PRIVATE_KEY" in refused.output
        assert public_key(configured) == public_key_of(vapid)
    finally:
        close(configured)

    pem = vapid.private_pem().decode()
    as_pem = make_app(database_url, tmp_path / "pem", VAPID_PRIVATE_KEY=pem)
    try:
        assert public_key(as_pem) == public_key_of(vapid)
    finally:
        close(as_pem)

    other = Vapid02()
    other.generate_keys()
    with pytest.raises(RuntimeError, match="VAPID_PUBLIC_KEY"):
        make_app(database_url, tmp_path / "bad", VAPID_PRIVATE_KEY=pem, VAPID_PUBLIC_KEY=public_key_of(other))


def test_before_the_migration_the_app_starts_and_loads_the_key_once_the_table_exists(tmp_path):
    """`flask db upgrade` creates the app before the table exists: it must start, and make no file."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = make_app(url, tmp_path / "instance")
    try:
        assert fresh.secret_key is None
        with fresh.app_context():
            upgrade()
            db.session.remove()
        assert fresh.test_client().get("/api/health").status_code == 200
        assert fresh.secret_key and stored_settings(fresh)["secret_key"] == fresh.secret_key
        assert list((tmp_path / "instance").iterdir()) == []
    finally:
        close(fresh)


@pytest.mark.parametrize("hops", [0, 1])
def test_forwarded_headers_are_trusted_only_when_a_proxy_is_configured(database_url, tmp_path, hops):
    app = make_app(database_url, tmp_path / "proxy", TRUSTED_PROXIES=hops)
    try:
        # What nginx sends: the client's own (spoofable) X-Forwarded-For, then the address nginx saw.
        response = app.test_client().post(
            "/api/auth/login", json={"username": "staff_demo", "password": DEMO_PASSWORD},
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "6.6.6.6, 10.1.2.3"})
        assert response.status_code == 200
        assert ("Secure" in response.headers["Set-Cookie"]) is bool(hops)
        with app.app_context():
            try:
                ip = db.session.execute(select(AuditLog.ip).where(AuditLog.action == "login")
                                        .order_by(AuditLog.id.desc()).limit(1)).scalar_one()
            finally:
                db.session.remove()
        assert ip == ("10.1.2.3" if hops else "127.0.0.1")
    finally:
        close(app)
