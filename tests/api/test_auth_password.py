"""Passwords and sessions: a temporary password is enforced by the server, common passwords are refused, a
change ends the other sessions, and sessions have an absolute lifetime."""

from datetime import timedelta

import pytest
import time_machine

from server.models.base import utcnow
from tests.conftest import DEMO_PASSWORD

TEMPORARY = "Field@2027x"
MINE = "Kite#Lantern-2027"


def _qingshan(admin) -> int:
    return next(a["id"] for a in admin.get("/api/areas").json["items"] if a["name"] == "青山乡")


@pytest.fixture
def newcomer(admin, login):
    """A user an admin has just made, logged in with the temporary password."""
    response = admin.post("/api/admin/users", json={"username": "13800002222", "display_name": "赵六",
                                                     "role": "staff", "area_id": _qingshan(admin),
                                                     "password": TEMPORARY})
    assert response.status_code == 201, response.json
    client = login("13800002222", TEMPORARY)
    assert client.user["must_change_password"] is True
    return client


def _refused(response):
    assert response.status_code == 403, (response.status_code, response.json)
    assert response.json["error"]["code"] == "password_change_required"


# -- a temporary password must be changed before anything else -------------------------------------------


def test_a_temporary_password_opens_nothing_but_me_logout_and_the_change(newcomer):
    _refused(newcomer.get("/api/sync/pull?cursor=0"))
    _refused(newcomer.post("/api/sync/push", json={"device_id": "d", "mutations": []}))
    _refused(newcomer.get("/api/notifications"))
    _refused(newcomer.put("/api/attachments/" + "0" * 64, data=b"x", content_type="image/png"))
    me = newcomer.get("/api/auth/me")
    assert me.status_code == 200 and me.json["user"]["must_change_password"] is True
    changed = newcomer.post("/api/auth/password", json={"current_password": TEMPORARY, "new_password": MINE})
    assert changed.status_code == 204, changed.json
    assert newcomer.get("/api/sync/pull?cursor=0").status_code == 200


def test_logout_works_while_the_password_must_change(newcomer):
    assert newcomer.post("/api/auth/logout").status_code == 204
    assert newcomer.get("/api/auth/me").status_code == 401


def test_an_admin_reset_makes_the_user_change_it_before_pulling(admin, login):
    staff_id = next(u["id"] for u in admin.get("/api/admin/users").json["items"] if u["username"] == "staff_demo")
    assert admin.post(f"/api/admin/users/{staff_id}/reset-password", json={"password": TEMPORARY}).status_code == 200
    _refused(login("staff_demo", TEMPORARY).get("/api/sync/pull?cursor=0"))


def test_an_expired_password_must_be_changed_before_pulling(app, login):
    app.config["PASSWORD_MAX_AGE_DAYS"] = 90
    with time_machine.travel(utcnow() + timedelta(days=91), tick=False):
        staff = login("staff_demo")
        assert staff.user["must_change_password"] is True
        _refused(staff.get("/api/sync/pull?cursor=0"))
        assert staff.post("/api/auth/password", json={"current_password": DEMO_PASSWORD,
                                                      "new_password": MINE}).status_code == 204
        assert staff.get("/api/sync/pull?cursor=0").status_code == 200


# -- common and guessable passwords ------------------------------------------------------------------------

COMMON = ["P@ssw0rd", "Password1", "Passw0rd!", "Admin@123", "Qwer@1234", "Abcd@1234", "Woaini@1314",
          "Zoufang@2026"]


@pytest.mark.parametrize("password", COMMON)
def test_a_common_password_is_refused_for_ones_own_change(staff, password):
    response = staff.post("/api/auth/password", json={"current_password": DEMO_PASSWORD, "new_password": password})
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "weak_password"
    assert "password_guessable" in error["field_codes"]["password"]


@pytest.mark.parametrize("password", ["P@ssw0rd", "Password1"])
def test_a_common_password_is_refused_when_an_admin_sets_one(admin, password):
    created = admin.post("/api/admin/users", json={"username": "13800003333", "display_name": "钱七",
                                                    "role": "staff", "area_id": _qingshan(admin),
                                                    "password": password})
    assert created.status_code == 422 and created.json["error"]["code"] == "weak_password"
    staff_id = next(u["id"] for u in admin.get("/api/admin/users").json["items"] if u["username"] == "staff_demo")
    reset = admin.post(f"/api/admin/users/{staff_id}/reset-password", json={"password": password})
    assert reset.status_code == 422 and reset.json["error"]["code"] == "weak_password"


def test_a_password_that_is_the_users_name_in_disguise_is_refused(admin, login, newcomer):
    response = newcomer.post("/api/auth/password", json={"current_password": TEMPORARY,
                                                         "new_password": "Zhao@13800002222"})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "weak_password"


@pytest.mark.parametrize("username", ["staff_demo", "reviewer_demo", "admin_demo"])
def test_the_demo_users_log_in_with_the_demo_password(login, username):
    assert login(username, DEMO_PASSWORD).get("/api/auth/me").status_code == 200


def test_a_strong_password_is_accepted(staff):
    response = staff.post("/api/auth/password", json={"current_password": DEMO_PASSWORD, "new_password": MINE})
    assert response.status_code == 204, response.json


# -- sessions ----------------------------------------------------------------------------------------------


def test_a_password_change_ends_the_users_other_sessions_and_keeps_this_one(staff, login, reviewer):
    laptop = login("staff_demo")
    response = staff.post("/api/auth/password", json={"current_password": DEMO_PASSWORD, "new_password": MINE})
    assert response.status_code == 204
    ended = laptop.get("/api/auth/me")
    assert ended.status_code == 401
    # Not a revocation: the phone holding that session keeps its records and asks for the new password.
    assert ended.json["error"]["code"] == "password_changed"
    assert staff.get("/api/auth/me").status_code == 200
    assert reviewer.get("/api/auth/me").status_code == 200
    assert login("staff_demo", MINE).get("/api/auth/me").status_code == 200


def test_a_session_ends_after_its_absolute_lifetime_however_often_it_is_used(app, login):
    app.config.update(SESSION_IDLE_DAYS=7, SESSION_MAX_DAYS=30)
    start = utcnow()
    staff = login("staff_demo")
    for day in (6, 12, 18, 24, 29):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            assert staff.get("/api/auth/me").status_code == 200, day
    with time_machine.travel(start + timedelta(days=30, minutes=1), tick=False):
        assert staff.get("/api/auth/me").status_code == 401


def test_an_idle_session_still_ends_after_the_idle_timeout(app, login):
    app.config.update(SESSION_IDLE_DAYS=7, SESSION_MAX_DAYS=30)
    staff = login("staff_demo")
    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1), tick=False):
        assert staff.get("/api/auth/me").status_code == 401
