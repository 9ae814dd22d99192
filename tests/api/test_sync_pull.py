"""GET /api/sync/pull: cursors, pages, scope (tombstones when a record leaves it) and masked ID numbers."""

import re

import pytest
from sqlalchemy import select, update

from server.extensions import db
from server.models import ChangeCounter, Recipient, Visit
from server.services.sync.cursors import current_epoch, encode_cursor
from tests.conftest import difficulty_data, mutation, new_id, visit_data

MASKED = re.compile(r"^\d{6}\*{8}[0-9X]{4}$")


def newest_change() -> int:
    try:
        return db.session.execute(select(ChangeCounter.value)).scalar_one()
    finally:
        db.session.rollback()


def newest_cursor() -> int:
    """The newest change number as the cursor a device is handed (it carries the database's epoch)."""
    try:
        return encode_cursor(newest_change(), current_epoch())
    finally:
        db.session.rollback()


def pull_pages(client, cursor=0, limit=7) -> list[list[dict]]:
    pages = []
    while True:
        response = client.get(f"/api/sync/pull?cursor={cursor}&limit={limit}")
        assert response.status_code == 200, response.json
        pages.append(response.json["changes"])
        cursor = response.json["cursor"]
        if not response.json["has_more"]:
            return pages


def village_of_another_township(admin, staff) -> int:
    """A village outside staff_demo's township (seen in admin's pull, not in staff_demo's)."""
    mine = {c["id"] for (t, _), c in staff.pull_all()[0].items() if t == "recipient"}
    everyone, _ = admin.pull_all()
    return next(c["data"]["area_id"] for (t, _), c in everyone.items()
                if t == "recipient" and c["id"] not in mine)


# -- cursors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-1, 1])
def test_pull_with_cursor_below_zero_or_above_newest_answers_410_cursor_expired(staff, offset):
    cursor = -1 if offset < 0 else newest_cursor() + offset
    response = staff.get(f"/api/sync/pull?cursor={cursor}")
    assert response.status_code == 410
    assert response.json["error"]["code"] == "cursor_expired"


@pytest.mark.parametrize("cursor", ["abc", "1.5", "", "0x10", "1e3"])
def test_pull_with_a_non_integer_cursor_answers_400(staff, cursor):
    response = staff.get(f"/api/sync/pull?cursor={cursor}")
    assert response.status_code == 400
    assert set(response.json["error"]) >= {"code", "message"}


@pytest.mark.parametrize("limit", ["0", "-5", "abc", "100000"])
def test_pull_with_a_bad_limit_answers_400(staff, limit):
    response = staff.get(f"/api/sync/pull?cursor=0&limit={limit}")
    assert response.status_code == 400


def test_pull_at_the_newest_cursor_is_empty_and_keeps_the_cursor(staff):
    _, cursor = staff.pull_all()
    assert cursor == newest_cursor()
    response = staff.get(f"/api/sync/pull?cursor={cursor}")
    assert response.json == {"changes": [], "cursor": cursor, "has_more": False, "epoch": current_epoch().id}


def test_pull_after_a_push_returns_only_the_new_change(staff, own_recipient):
    _, cursor = staff.pull_all()
    data = visit_data(own_recipient["id"])
    staff.push(mutation("visit.create", data))
    changes, new_cursor = staff.pull_all(cursor)
    assert list(changes) == [("visit", data["id"])]
    assert new_cursor > cursor


def test_push_answer_cursor_is_the_newest_change(staff, own_recipient):
    response = staff.post("/api/sync/push", json={"device_id": "d", "mutations": [
        mutation("visit.create", visit_data(own_recipient["id"]))]})
    assert response.json["cursor"] == newest_cursor()


# -- pages -----------------------------------------------------------------------------------------------


def test_pull_pages_list_each_record_once_with_its_current_version(staff, own_recipient):
    data = visit_data(own_recipient["id"])
    staff.push(mutation("visit.create", data))
    staff.push(mutation("visit.update", {"id": data["id"], "notes": "第二版"}, base_version=1))
    staff.push(mutation("visit.update", {"id": data["id"], "notes": "第三版"}, base_version=2))
    pages = pull_pages(staff, limit=7)
    assert len(pages) > 2
    keys = [(c["type"], c["id"]) for page in pages for c in page]
    assert len(keys) == len(set(keys))
    visit = next(c for page in pages for c in page if c["id"] == data["id"])
    assert visit["version"] == 3 and visit["data"]["notes"] == "第三版"
    assert all(len(page) <= 7 for page in pages)


def test_pull_page_lists_a_record_changed_in_several_villages_once(admin, staff, own_recipient):
    changes, _ = admin.pull_all()
    version = changes[("recipient", own_recipient["id"])]["version"]
    target = village_of_another_township(admin, staff)
    admin.push(mutation("recipient.update", {"id": own_recipient["id"], "area_id": target},
                        base_version=version))
    admin.push(mutation("recipient.update", {"id": own_recipient["id"], "area_id": own_recipient["area_id"]},
                        base_version=version + 1))
    pages = pull_pages(admin, limit=1000)
    keys = [(c["type"], c["id"]) for page in pages for c in page]
    assert keys.count(("recipient", own_recipient["id"])) == 1


def test_pull_has_every_synced_type_with_the_shape_of_a_change(staff):
    changes, _ = staff.pull_all()
    assert {t for t, _ in changes} >= {"area", "user", "recipient", "visit", "difficulty", "campaign"}
    for change in changes.values():
        assert set(change) == {"type", "id", "version", "deleted", "data"}
        assert change["deleted"] is False


def test_pull_user_changes_carry_display_names_only(staff):
    changes, _ = staff.pull_all()
    users = [c["data"] for (t, _), c in changes.items() if t == "user"]
    assert users and all(set(u) == {"id", "display_name"} for u in users)


def test_pull_visit_carries_its_review_status_and_comment(staff, own_recipient):
    data = visit_data(own_recipient["id"])
    staff.push(mutation("visit.create", data))
    db.session.execute(update(Visit).where(Visit.id == data["id"]).values(status="returned",
                                                                          review_comment="请补照片"))
    db.session.commit()
    changes, _ = staff.pull_all()
    pulled = changes[("visit", data["id"])]["data"]
    assert (pulled["status"], pulled["review_comment"]) == ("returned", "请补照片")


# -- scope -----------------------------------------------------------------------------------------------


def test_staff_pull_holds_only_records_of_their_township(staff, admin, foreign_recipient):
    changes, _ = staff.pull_all()
    assert ("recipient", foreign_recipient["id"]) not in changes
    everyone, _ = admin.pull_all()
    assert sum(k[0] == "recipient" for k in everyone) > sum(k[0] == "recipient" for k in changes)
    assert foreign_recipient["name"] not in str(changes)


def test_recipient_moved_out_of_scope_is_pulled_as_deleted_with_its_visits_and_difficulties(
        staff, admin, own_recipient):
    visit = visit_data(own_recipient["id"])
    difficulty = difficulty_data(own_recipient["id"], visit_id=visit["id"])
    staff.push(mutation("visit.create", visit), mutation("difficulty.create", difficulty))
    before, cursor = staff.pull_all()
    assert ("visit", visit["id"]) in before
    version = before[("recipient", own_recipient["id"])]["version"]
    target = village_of_another_township(admin, staff)
    [result] = admin.push(mutation("recipient.update", {"id": own_recipient["id"], "area_id": target},
                                   base_version=version))
    assert result["status"] == "applied"
    changes, _ = staff.pull_all(cursor)
    for key in (("recipient", own_recipient["id"]), ("visit", visit["id"]), ("difficulty", difficulty["id"])):
        assert changes[key]["deleted"] is True, key
        assert changes[key]["data"] is None
    others = [k for k, c in before.items()
              if k[0] == "visit" and c["data"]["recipient_id"] != own_recipient["id"]]
    assert others and not any(changes.get(k, {}).get("deleted") for k in others)
    admin_view, _ = admin.pull_all()
    assert admin_view[("visit", visit["id"])]["data"]["area_id"] == target


def test_recipient_moved_out_of_scope_is_no_longer_editable_by_staff(staff, admin, own_recipient):
    changes, _ = admin.pull_all()
    version = changes[("recipient", own_recipient["id"])]["version"]
    target = village_of_another_township(admin, staff)
    admin.push(mutation("recipient.update", {"id": own_recipient["id"], "area_id": target},
                        base_version=version))
    [result] = staff.push(mutation("recipient.update", {"id": own_recipient["id"], "notes": "x"},
                                   base_version=version + 1))
    assert result["error"]["code"] == "not_found"


# -- ID numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["staff_demo", "reviewer_demo", "admin_demo"])
def test_pull_masks_every_id_number(login, username):
    changes, _ = login(username).pull_all()
    numbers = [c["data"]["id_number"] for (t, _), c in changes.items() if t == "recipient"]
    assert numbers and all(n is None or MASKED.match(n) for n in numbers)
    assert sum(1 for n in numbers if n) > 0


def test_push_answer_masks_the_id_number_too(staff, own_recipient):
    [result] = staff.push(mutation("recipient.update", {"id": own_recipient["id"], "notes": "x"},
                                   base_version=1))
    assert MASKED.match(result["entity"]["data"]["id_number"])


def test_recipient_created_with_an_id_number_is_pulled_masked(staff, own_recipient):
    data = {"id": new_id(), "name": "赵卫东", "gender": "male", "id_number": "11010519491231002X",
            "phone": None, "address": None, "area_id": own_recipient["area_id"], "category": "veteran",
            "tags": [], "notes": None}
    [result] = staff.push(mutation("recipient.create", data))
    assert result["status"] == "applied"
    changes, _ = staff.pull_all()
    assert changes[("recipient", data["id"])]["data"]["id_number"] == "110105********002X"
    try:
        stored = db.session.execute(select(Recipient.id_number).where(Recipient.id == data["id"])).scalar()
    finally:
        db.session.rollback()
    assert stored == "11010519491231002X"


def test_pull_ignores_an_unknown_query_parameter_like_a_cache_buster(staff):
    response = staff.get("/api/sync/pull?cursor=0&limit=5&_=1764400000000")
    assert response.status_code == 200
    assert len(response.json["changes"]) == 5
