"""Admin: accounts, areas, the audit log, the password policy; staff and reviewers are refused."""

import io

import pytest

from server.models import AuditLog
from tests.conftest import mutation, visit_data

GOOD = "Field@2027x"


def _area_ids(admin):
    items = admin.get("/api/areas").json["items"]
    return {a["name"]: a["id"] for a in items}


@pytest.mark.parametrize("who", ["staff", "reviewer"])
def test_admin_endpoints_refuse_staff_and_reviewers(request, who):
    client = request.getfixturevalue(who)
    assert client.get("/api/admin/users").status_code == 403
    assert client.post("/api/admin/users", json={}).status_code == 403
    assert client.get("/api/admin/audit").status_code == 403
    assert client.post("/api/admin/areas", json={}).status_code == 403


def test_admin_creates_user_who_must_change_the_temporary_password(admin, login):
    areas = _area_ids(admin)
    response = admin.post("/api/admin/users", json={"username": "13800001111", "display_name": "张三",
                                                     "role": "staff", "area_id": areas["青山乡"],
                                                     "password": GOOD})
    assert response.status_code == 201, response.json
    newcomer = login("13800001111", GOOD)
    assert newcomer.user["must_change_password"] is True
    weak = newcomer.post("/api/auth/password", json={"current_password": GOOD, "new_password": "abc"})
    assert weak.status_code == 422
    assert weak.json["error"]["code"] == "weak_password"
    ok = newcomer.post("/api/auth/password", json={"current_password": GOOD, "new_password": "Mine#2027abc"})
    assert ok.status_code == 204
    assert newcomer.get("/api/auth/me").json["user"]["must_change_password"] is False


def test_weak_password_and_duplicate_username_are_refused(admin):
    areas = _area_ids(admin)
    weak = admin.post("/api/admin/users", json={"username": "u1234", "display_name": "x", "role": "staff",
                                                 "area_id": areas["青山乡"], "password": "password"})
    assert weak.status_code == 422
    dup = admin.post("/api/admin/users", json={"username": "staff_demo", "display_name": "x", "role": "staff",
                                                "area_id": areas["青山乡"], "password": GOOD})
    assert dup.status_code == 409


def test_deactivating_a_user_ends_their_session(admin, staff):
    response = admin.patch(f"/api/admin/users/{staff.user['id']}", json={"active": False})
    assert response.status_code == 200
    assert staff.get("/api/auth/me").status_code == 401


def test_moving_a_user_expires_their_cursor_and_shows_the_new_area(admin, staff, login):
    _, cursor = staff.pull_all()
    areas = _area_ids(admin)
    assert admin.patch(f"/api/admin/users/{staff.user['id']}", json={"area_id": areas["青山乡"]}).status_code == 200
    moved = login("staff_demo")
    assert moved.get(f"/api/sync/pull?cursor={cursor}").status_code == 410
    changes, _ = moved.pull_all(0)
    villages = {c["data"]["area_id"] for c in changes.values() if c["type"] == "recipient"}
    qingshan_villages = {a["id"] for a in admin.get("/api/areas").json["items"]
                         if a["parent_id"] == areas["青山乡"]}
    assert villages and villages <= qingshan_villages


def test_reset_password_unlocks_and_revokes(admin, staff, login):
    response = admin.post(f"/api/admin/users/{staff.user['id']}/reset-password", json={"password": GOOD})
    assert response.status_code == 200
    ended = staff.get("/api/auth/me")
    assert ended.status_code == 401
    # An admin's reset revokes (a lost phone, a forgotten password): that phone wipes its copy of the records.
    assert ended.json["error"]["code"] == "session_revoked"
    assert login("staff_demo", GOOD).user["must_change_password"] is True


def test_admin_cannot_deactivate_themselves(admin):
    response = admin.patch(f"/api/admin/users/{admin.user['id']}", json={"active": False})
    assert response.status_code == 409


def test_area_import_creates_parents_first_and_reports_bad_rows(admin):
    csv_text = ("code,name,level,parent_code\n"
                "990104001,新村一,village,990104\n"
                "990104,新镇,township,990100\n"
                "990105001,孤村,village,999999\n"
                ",无名,village,990104\n")
    response = admin.post("/api/admin/areas/import",
                          data={"file": (io.BytesIO(csv_text.encode("utf-8-sig")), "areas.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert response.json["created"] == 2
    assert [e["row"] for e in response.json["errors"]] == [4, 5]
    again = admin.post("/api/admin/areas/import",
                       data={"file": (io.BytesIO(csv_text.encode()), "areas.csv")},
                       content_type="multipart/form-data")
    assert again.json["created"] == 0


def test_staff_sees_only_their_subtree_and_ancestors_of_areas(staff):
    names = {a["name"] for a in staff.get("/api/areas").json["items"]}
    assert names == {"示范县", "城关镇", "东关村", "西街社区", "南门村"}


def test_audit_log_lists_sync_writes_with_device_and_filters(app, admin, staff, own_recipient):
    data = visit_data(own_recipient["id"])
    staff.push(mutation("visit.create", data), device_id="phone-42")
    body = admin.get(f"/api/admin/audit?entity_id={data['id']}").json
    assert body["total"] == 1
    row = body["items"][0]
    assert (row["action"], row["device_id"], row["username"]) == ("visit.create", "phone-42", "staff_demo")
    assert admin.get("/api/admin/audit?action=login").json["total"] >= 2


def test_audit_log_is_append_only_in_the_database(app, admin):
    from sqlalchemy import delete, update

    from server.extensions import db

    with pytest.raises(Exception, match="append-only"):
        db.session.execute(update(AuditLog).values(action="tampered"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(delete(AuditLog))
        db.session.flush()
    db.session.rollback()


def test_office_lists_active_colleagues_in_scope_for_assignment(reviewer, staff, admin):
    names = {u["display_name"] for u in reviewer.get("/api/users").json["items"]}
    assert {"李晓红（城关镇）", "王建军（县退役军人事务局）"} <= names
    assert staff.get("/api/users").status_code == 403
    admin.patch(f"/api/admin/users/{staff.user['id']}", json={"active": False})
    assert staff.user["id"] not in {u["id"] for u in reviewer.get("/api/users").json["items"]}


def test_area_import_dry_run_answers_what_the_import_would_do_and_writes_nothing(admin):
    csv_text = ("code,name,level,parent_code\n"
                "990104001,新村一,village,990104\n"
                "990104,新镇,township,990100\n"
                "990105001,孤村,village,999999\n")

    def send(url):
        return admin.post(url, data={"file": (io.BytesIO(csv_text.encode("utf-8-sig")), "areas.csv")},
                          content_type="multipart/form-data")

    before = {a["code"] for a in admin.get("/api/areas").json["items"]}
    dry = send("/api/admin/areas/import?dry_run=1")
    assert dry.status_code == 200, dry.json
    assert dry.json["dry_run"] is True and dry.json["created"] == 2
    assert [e["row"] for e in dry.json["errors"]] == [4]
    assert {a["code"] for a in admin.get("/api/areas").json["items"]} == before
    real = send("/api/admin/areas/import")
    assert real.json["dry_run"] is False and real.json["created"] == 2 and real.json["errors"] == dry.json["errors"]
    assert {a["code"] for a in admin.get("/api/areas").json["items"]} == before | {"990104", "990104001"}
    assert send("/api/admin/areas/import?dry_run=maybe").status_code == 400
