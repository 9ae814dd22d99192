"""A liaison's scope: the items their unit leads or cooperates on, their evidence and 整改; never a recipient,
a visit, a difficulty or an area's record — not in the API, not in a pull, not in a push."""

import pytest

from server.extensions import db
from server.models import Recipient
from tests.api.creation_support import (
    LIAISON_PASSWORD,
    attach,
    items_by_number,
    make_liaison,
    png,
    unit_id,
)
from tests.conftest import mutation, new_id, visit_data

RWB_LEADS = {"2.1", "2.6", "5.3", "5.4", "6.3", "8.1"}
RWB_HELPS = {"1.4", "2.2", "5.1", "5.2", "5.5", "6.2"}


@pytest.fixture
def liaison(login):
    return login("liaison_demo")


def test_a_liaison_sees_exactly_the_items_its_unit_leads_or_cooperates_on(liaison):
    items = items_by_number(liaison)
    assert set(items) == RWB_LEADS | RWB_HELPS
    assert {n for n, i in items.items() if i["responsibility"] == "lead"} == RWB_LEADS
    rwb = unit_id("县人武部")
    assert all(i["lead_unit_id"] == rwb or rwb in i["cooperating_unit_ids"] for i in items.values())


def test_a_liaison_of_another_unit_sees_another_table(login, reviewer):
    make_liaison("liaison_zj", "县住建局")
    other = login("liaison_zj", LIAISON_PASSWORD)
    assert set(items_by_number(other)) == {"2.1", "7.4"}
    hidden = items_by_number(reviewer)["8.1"]
    assert other.get(f"/api/creation/items/{hidden['id']}").status_code == 404
    assert other.patch(f"/api/creation/items/{hidden['id']}", json={"self_score": 1}).status_code == 404
    assert other.post(f"/api/creation/items/{hidden['id']}/evidence",
                      json={"sha256": "a" * 64, "title": "x"}).status_code == 404


@pytest.mark.parametrize("path", [
    "/api/visits", "/api/difficulties", "/api/reports/weekly.xlsx?from=2026-01-01&to=2026-12-31",
    "/api/recipients/import-template.xlsx", "/api/users", "/api/admin/users", "/api/admin/audit",
    "/api/creation/dashboard", "/api/creation/meeting",
])
def test_a_liaison_gets_403_from_the_offices_and_the_field_works_pages(liaison, path):
    response = liaison.get(path)
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_a_liaison_gets_403_on_recipient_reads_and_404_on_records_it_names(liaison, reviewer):
    recipient_id = db.session.execute(db.select(Recipient.id)).scalars().first()
    for path in (f"/api/recipients/{recipient_id}/id-number", f"/api/recipients/{recipient_id}/archive",
                 f"/api/campaigns/{new_id()}/coverage"):
        assert liaison.get(path).status_code == 403
    assert liaison.get("/api/campaigns").json == {"items": []}
    assert liaison.get("/api/areas").json == {"items": []}


def test_a_liaisons_pull_holds_its_units_work_and_no_area_record(liaison, reviewer):
    changes, cursor = liaison.pull_all()
    types = {t for t, _ in changes}
    assert types == {"unit", "creation_item", "evidence", "rectification"}
    items = {c["data"]["number"] for (t, _), c in changes.items() if t == "creation_item"}
    assert items == RWB_LEADS | RWB_HELPS
    item_ids = {i for (t, i) in changes if t == "creation_item"}
    assert all(c["data"]["item_id"] in item_ids for (t, _), c in changes.items() if t == "evidence")
    names = {r.name for r in db.session.execute(db.select(Recipient)).scalars()}
    text = str(changes)
    assert not any(name in text for name in names)
    assert all(c["data"]["category_name"] for (t, _), c in changes.items() if t == "creation_item")
    # An item leaving the unit leaves the phone: a tombstone, its evidence with it.
    item = items_by_number(reviewer)["5.4"]
    reviewer.patch(f"/api/creation/items/{item['id']}", json={"lead_unit_id": unit_id("县教育局"),
                                                              "cooperating_unit_ids": []})
    later, _ = liaison.pull_all(cursor)
    assert later[("creation_item", item["id"])]["deleted"] is True
    assert any(t == "evidence" and c["deleted"] for (t, _), c in later.items())


def test_staff_and_office_pulls_carry_no_creation_record(staff, reviewer, admin):
    for client in (staff, reviewer, admin):
        changes, _ = client.pull_all()
        assert not {t for t, _ in changes} & {"unit", "creation_item", "evidence", "rectification"}


def test_a_liaison_may_push_evidence_but_nothing_of_the_field_work(liaison, staff, own_recipient):
    recipient = {"id": new_id(), "name": "不该有", "gender": "male", "id_number": None, "phone": None,
                 "address": None, "area_id": own_recipient["area_id"], "category": "veteran", "tags": [],
                 "notes": None}
    results = liaison.push(mutation("recipient.create", recipient),
                           mutation("visit.create", visit_data(own_recipient["id"])))
    assert [(r["status"], r["error"]["code"]) for r in results] == [("rejected", "forbidden")] * 2
    item = items_by_number(liaison)["8.1"]
    [staff_try] = staff.push(mutation("evidence.create", {"id": new_id(), "item_id": item["id"],
                                                          "sha256": "a" * 64, "title": "x"}))
    assert (staff_try["status"], staff_try["error"]["code"]) == ("rejected", "forbidden")


def test_evidence_files_are_read_by_whoever_sees_the_evidence_only(liaison, login, reviewer, staff):
    piece = attach(liaison, items_by_number(liaison)["8.1"]["id"], png(b"secret-plan"))
    url = f"/api/attachments/{piece['sha256']}"
    assert reviewer.get(url).status_code == 200
    assert staff.get(url).status_code == 404
    make_liaison("liaison_yb", "县医保局")
    assert login("liaison_yb", LIAISON_PASSWORD).get(url).status_code == 404
    make_liaison("liaison_jy", "县教育局")  # a cooperating unit of 8.1
    assert login("liaison_jy", LIAISON_PASSWORD).get(url).status_code == 200


def test_staff_get_403_from_every_creation_endpoint(staff):
    for path in ("/api/creation/items", "/api/creation/units", "/api/creation/evidence",
                 "/api/creation/rectifications", "/api/creation/standard"):
        assert staff.get(path).status_code == 403


def test_a_difficulty_is_never_assigned_to_a_liaison(reviewer, liaison):
    difficulty = reviewer.get("/api/difficulties").json["items"][0]
    response = reviewer.patch(f"/api/difficulties/{difficulty['id']}", json={"assignee_id": liaison.user["id"]})
    assert response.status_code == 422
    assert response.json["error"]["field_codes"] == {"assignee_id": ["not_in_scope"]}
