"""Auth: login/me/logout, the session cookie, CSRF on every write, the lockout and revoking sessions."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from server.api import SESSION_COOKIE
from server.extensions import db
from server.models import AuditLog, User
from server.models.base import utcnow
from tests.conftest import DEMO_PASSWORD

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def audits(action: str, **where) -> list[AuditLog]:
    try:
        query = select(AuditLog).where(AuditLog.action == action)
        for key, value in where.items():
            query = query.where(getattr(AuditLog, key) == value)
        return list(db.session.execute(query.order_by(AuditLog.id)).scalars())
    finally:
        db.session.rollback()


def audit_count() -> int:
    try:
        return db.session.execute(select(func.count()).select_from(AuditLog)).scalar_one()
    finally:
        db.session.rollback()


def user_id(username: str) -> int:
    try:
        return db.session.execute(select(User.id).where(User.username == username)).scalar_one()
    finally:
        db.session.rollback()


def attempt(client, username="staff_demo", password=DEMO_PASSWORD):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def fail(client, times: int, username="staff_demo"):
    return [attempt(client, username, "wrong-password") for _ in range(times)]


def sample_url(app, rule) -> str:
    """A concrete URL for a rule (dummy ids are fine: the guard runs before the view looks them up)."""
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        if converter == "IntegerConverter":
            values[name] = 1
        elif "sha" in name:
            values[name] = "0" * 64
        else:
            values[name] = "00000000-0000-4000-8000-000000000000"
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def write_routes(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        if getattr(app.view_functions[rule.endpoint], "zf_public", False):
            continue
        for method in sorted(set(rule.methods) & set(WRITE_METHODS)):
            yield method, sample_url(app, rule), rule


# -- login, me, logout -----------------------------------------------------------------------------------


def test_login_answers_the_user_and_a_csrf_token(client):
    response = attempt(client)
    assert response.status_code == 200
    body = response.json
    assert body["user"]["username"] == "staff_demo" and body["user"]["role"] == "staff"
    assert set(body["user"]) >= {"id", "username", "display_name", "role", "area_id"}
    assert not {"password_hash", "failed_logins", "locked_until"} & set(body["user"])
    assert len(body["csrf_token"]) >= 32


def test_me_answers_the_same_user_and_csrf_token_as_login(client):
    login = attempt(client).json
    response = client.get("/api/auth/me")
    assert response.status_code == 200
    assert response.json == login


def test_me_without_a_session_answers_401(client):
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_logout_ends_the_session_and_clears_the_cookie(client):
    csrf = attempt(client).json["csrf_token"]
    token = client.get_cookie(SESSION_COOKIE).value
    response = client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert client.get_cookie(SESSION_COOKIE) is None
    assert client.get("/api/auth/me").status_code == 401
    client.set_cookie(SESSION_COOKIE, token)  # the old token, kept by an attacker, is dead too
    answer = client.get("/api/auth/me")
    assert answer.status_code == 401
    # A logout is no revocation: a phone that still sent the old cookie would wipe nothing.
    assert answer.json["error"]["code"] == "unauthorized"


def test_session_cookie_is_httponly_and_samesite_lax_and_not_secure_over_http(client):
    response = attempt(client)
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(SESSION_COOKIE + "=")]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Path=/" in cookie


def test_session_cookie_is_secure_over_https_or_when_configured(app):
    response = attempt(app.test_client(), )
    assert "Secure" not in response.headers["Set-Cookie"]
    https = app.test_client().post("/api/auth/login", base_url="https://localhost",
                                   json={"username": "staff_demo", "password": DEMO_PASSWORD})
    assert "Secure" in https.headers["Set-Cookie"]
    app.config["SESSION_COOKIE_SECURE"] = True
    assert "Secure" in attempt(app.test_client()).headers["Set-Cookie"]


def test_session_token_is_not_the_csrf_token_and_not_stored_in_clear(client):
    csrf = attempt(client).json["csrf_token"]
    token = client.get_cookie(SESSION_COOKIE).value
    assert token != csrf
    from server.models import UserSession
    try:
        stored = db.session.execute(select(UserSession.token_hash)).scalars().all()
    finally:
        db.session.rollback()
    assert token not in stored


@pytest.mark.parametrize("username, password", [("staff_demo", "wrong"), ("nobody", DEMO_PASSWORD)])
def test_wrong_password_and_unknown_user_answer_the_same_401(client, username, password):
    response = attempt(client, username, password)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"
    assert client.get_cookie(SESSION_COOKIE) is None


def test_inactive_user_cannot_log_in(client):
    db.session.execute(User.__table__.update().where(User.username == "staff_demo").values(active=False))
    db.session.commit()
    assert attempt(client).status_code == 401


def test_session_of_a_deactivated_user_answers_401_account_inactive(staff):
    db.session.execute(User.__table__.update().where(User.username == "staff_demo").values(active=False))
    db.session.commit()
    response = staff.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "account_inactive"


def test_an_expired_session_answers_plain_unauthorized(client):
    attempt(client)
    with time_machine.travel(utcnow() + timedelta(days=31), tick=False):
        response = client.get("/api/auth/me")
    assert response.status_code == 401
    # Not a revocation: a phone keeps its records and asks for a new login.
    assert response.json["error"]["code"] == "unauthorized"


def test_login_logout_and_failures_are_audited(client):
    staff_id = user_id("staff_demo")
    attempt(client, password="wrong")
    csrf = attempt(client).json["csrf_token"]
    client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    assert [a.user_id for a in audits("login_failed", entity_id=str(staff_id))] == [staff_id]
    assert [a.user_id for a in audits("login", entity_id=str(staff_id))] == [staff_id]
    assert [a.user_id for a in audits("logout")] == [staff_id]


# -- CSRF ------------------------------------------------------------------------------------------------


def test_every_write_endpoint_exists_in_the_csrf_check(app):
    routes = list(write_routes(app))
    assert {"/api/sync/push", "/api/auth/logout"} <= {url for _, url, _ in routes}
    for method, url, rule in routes:
        endpoint, _ = app.url_map.bind("localhost").match(url, method=method)
        assert endpoint == rule.endpoint, url


@pytest.mark.parametrize("header", [None, "", "wrong-token"])
def test_every_write_without_the_right_csrf_token_answers_403_csrf_failed(app, staff, header):
    before = audit_count()
    for method, url, _ in write_routes(app):
        headers = {} if header is None else {"X-CSRF-Token": header}
        response = staff.client.open(url, method=method, json={}, headers=headers)
        assert response.status_code == 403, (method, url, response.json)
        assert response.json["error"]["code"] == "csrf_failed", (method, url)
    assert audit_count() == before
    assert staff.get("/api/auth/me").status_code == 200


def test_csrf_token_of_another_session_is_refused(staff, reviewer, own_recipient):
    response = staff.client.post("/api/sync/push", json={"device_id": "d", "mutations": []},
                                 headers={"X-CSRF-Token": reviewer.csrf})
    assert response.status_code == 403 and response.json["error"]["code"] == "csrf_failed"


def test_login_needs_no_csrf_token(client):
    assert attempt(client).status_code == 200


# -- lockout ---------------------------------------------------------------------------------------------


def test_five_failed_logins_lock_the_account_even_for_the_right_password(client):
    answers = fail(client, 5)
    assert [r.status_code for r in answers] == [401, 401, 401, 401, 423]
    assert answers[-1].json["error"]["code"] == "account_locked"
    response = attempt(client)
    assert response.status_code == 423
    assert response.json["error"]["code"] == "account_locked"
    assert client.get_cookie(SESSION_COOKIE) is None
    assert audits("account_locked", entity_id=str(user_id("staff_demo")))


def test_lockout_of_one_account_leaves_others_alone(client):
    fail(client, 5)
    assert attempt(client, "reviewer_demo").status_code == 200


def test_successful_login_resets_the_failure_count(client):
    fail(client, 4)
    assert attempt(client).status_code == 200
    assert [r.status_code for r in fail(client, 4)] == [401] * 4
    assert attempt(client).status_code == 200


def test_lock_expires_after_15_minutes(client):
    fail(client, 5)
    now = utcnow()
    with time_machine.travel(now + timedelta(minutes=14, seconds=50), tick=False):
        assert attempt(client).status_code == 423
    with time_machine.travel(now + timedelta(minutes=15, seconds=5), tick=False):
        response = attempt(client)
        assert response.status_code == 200
        assert client.get("/api/auth/me").status_code == 200


def test_wrong_password_after_the_lock_expires_starts_a_new_count(client):
    fail(client, 5)
    with time_machine.travel(utcnow() + timedelta(minutes=16), tick=False):
        assert [r.status_code for r in fail(client, 4)] == [401] * 4
        assert attempt(client).status_code == 200


def test_existing_sessions_keep_working_while_the_account_is_locked_by_someone_else(client, staff):
    fail(client, 5)
    assert staff.get("/api/auth/me").status_code == 200


# -- revoking sessions -----------------------------------------------------------------------------------


def test_admin_revokes_a_users_sessions_and_the_next_request_answers_401(staff, admin, login):
    second_phone = login("staff_demo")
    staff_id = staff.user["id"]
    response = admin.post(f"/api/admin/users/{staff_id}/revoke-sessions")
    assert response.status_code == 200
    assert response.json == {"revoked": 2}
    answer = staff.get("/api/auth/me")
    assert answer.status_code == 401
    # The phone holding this session learns it was revoked (it wipes its copy of the records).
    assert answer.json["error"]["code"] == "session_revoked"
    assert second_phone.get("/api/sync/pull?cursor=0").status_code == 401
    assert admin.get("/api/auth/me").status_code == 200
    [row] = audits("sessions_revoked", entity_id=str(staff_id))
    assert row.user_id == admin.user["id"]
    assert row.details == {"count": 2}
    assert login("staff_demo").get("/api/auth/me").status_code == 200


def test_cli_users_revoke_ends_the_sessions_and_is_audited(staff, runner):
    result = runner.invoke(args=["users", "revoke", "staff_demo"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    assert staff.get("/api/auth/me").status_code == 401
    [row] = audits("sessions_revoked", entity_id=str(staff.user["id"]))
    assert row.user_id is None and row.details == {"count": 1}


def test_cli_users_revoke_of_an_unknown_user_fails(runner):
    result = runner.invoke(args=["users", "revoke", "nobody"])
    assert result.exit_code != 0


@pytest.mark.parametrize("username", ["staff_demo", "reviewer_demo"])
def test_only_admins_may_revoke_sessions(login, admin, username):
    client = login(username)
    response = client.post(f"/api/admin/users/{admin.user['id']}/revoke-sessions")
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert admin.get("/api/auth/me").status_code == 200


def test_revoking_an_unknown_user_answers_404(admin):
    response = admin.post("/api/admin/users/999999/revoke-sessions")
    assert response.status_code == 404
