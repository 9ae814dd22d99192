"""/api/creation: the responsibility table and its changes, loss notes → 整改, rectifications, units, the
standard, the dashboard and the daily meeting, over HTTP on the demo campaign."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditLog, Item, Notification, Rectification
from tests.api.creation_support import attach, items_by_number, png, unit_id

TODAY_PLUS = (date.today() + timedelta(days=10)).isoformat()


@pytest.fixture
def liaison(login):
    return login("liaison_demo")


# -- the table -------------------------------------------------------------------------------------------


def test_the_office_sees_the_whole_demo_table_in_order_with_names_scores_and_states(reviewer):
    items = reviewer.get("/api/creation/items").json["items"]
    assert len(items) == 40
    assert [i["number"] for i in items[:6]] == ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1"]
    first = items[0]
    assert first["category_name"] == "组织领导" and first["lead_unit_name"] == "县委办公室"
    assert first["cooperating_unit_names"] == ["县退役军人事务局"] and first["responsibility"] is None
    assert first["status"] == "done" and first["score"] == 2.0 and first["evidence"]["accepted"] == 2
    bound = {i["number"]: i for i in items if i["metric"]}
    assert set(bound) == {"2.3", "4.2", "4.3"}
    assert bound["4.2"]["score_rule"].startswith("困难诉求解决率 0/3")
    assert sum(i["points"] for i in items) == 100


def test_the_table_filters_by_unit_status_category_and_overdue(reviewer):
    rwb = unit_id("县人武部")
    led_or_helped = reviewer.get(f"/api/creation/items?unit_id={rwb}").json["items"]
    assert led_or_helped and all(rwb == i["lead_unit_id"] or rwb in i["cooperating_unit_ids"] for i in led_or_helped)
    assert {i["status"] for i in reviewer.get("/api/creation/items?status=done").json["items"]} == {"done"}
    overdue = reviewer.get("/api/creation/items?overdue=true").json["items"]
    assert overdue and all(i["overdue"] and i["status"] != "done" for i in overdue)
    category = overdue[0]["category_id"]
    assert {i["category_id"] for i in reviewer.get(f"/api/creation/items?category_id={category}").json["items"]} \
        == {category}
    assert reviewer.get("/api/creation/items?status=finished").status_code == 422
    assert reviewer.get("/api/creation/items?colour=red").status_code == 422


def test_an_item_answers_its_evidence_and_rectifications(reviewer):
    items = items_by_number(reviewer)
    detail = reviewer.get(f"/api/creation/items/{items['6.3']['id']}").json
    assert detail["status"] == "needs_fix" and detail["loss_notes"].startswith("人才双向培养")
    assert [r["unit_name"] for r in detail["rectifications"]] == ["县人武部"]
    with_evidence = reviewer.get(f"/api/creation/items/{items['1.1']['id']}").json
    assert {e["status"] for e in with_evidence["evidence_list"]} == {"accepted"}
    assert with_evidence["evidence_list"][0]["content_type"] == "application/pdf"
    assert reviewer.get("/api/creation/items/00000000-0000-4000-8000-000000000000").status_code == 404


# -- office changes --------------------------------------------------------------------------------------


def test_the_office_assigns_a_unit_and_a_deadline_and_the_version_moves(reviewer):
    item = items_by_number(reviewer)["7.2"]
    body = {"lead_unit_id": unit_id("县住建局"), "cooperating_unit_ids": [unit_id("县委宣传部"), unit_id("县住建局")],
            "deadline": TODAY_PLUS, "milestones": [{"title": "脚本定稿", "due": TODAY_PLUS}],
            "version": item["version"]}
    response = reviewer.patch(f"/api/creation/items/{item['id']}", json=body)
    assert response.status_code == 200, response.json
    changed = response.json
    assert changed["lead_unit_name"] == "县住建局" and changed["cooperating_unit_names"] == ["县委宣传部"]
    assert changed["deadline"] == TODAY_PLUS and changed["version"] == item["version"] + 1
    assert changed["milestones"] == [{"title": "脚本定稿", "due": TODAY_PLUS, "done": False}]


def test_a_stale_version_answers_409_and_changes_nothing(reviewer):
    item = items_by_number(reviewer)["7.2"]
    assert reviewer.patch(f"/api/creation/items/{item['id']}",
                          json={"status": "done", "version": item["version"]}).status_code == 200
    stale = reviewer.patch(f"/api/creation/items/{item['id']}", json={"status": "in_progress",
                                                                       "version": item["version"]})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"
    assert items_by_number(reviewer)["7.2"]["status"] == "done"


@pytest.mark.parametrize("body, field, code", [
    ({"estimated_score": 2.5}, "estimated_score", "out_of_range"),  # 7.2 is worth 2
    ({"estimated_score": 1.234}, "estimated_score", "invalid_format"),
    ({"lead_unit_id": 999999}, "lead_unit_id", "not_found"),
    ({"cooperating_unit_ids": [999999]}, "cooperating_unit_ids", "not_found"),
    ({"status": "finished"}, "status", "invalid_choice"),
    ({"rectification_deadline": TODAY_PLUS}, "loss_notes", "required"),
    ({"version": 1}, "_schema", "nothing_to_change"),
])
def test_office_changes_are_validated_with_field_codes(reviewer, body, field, code):
    item = items_by_number(reviewer)["7.2"]
    response = reviewer.patch(f"/api/creation/items/{item['id']}", json=body)
    assert response.status_code == 422, response.json
    assert response.json["error"]["field_codes"][field] == [code]


def test_a_bound_items_score_is_not_set_by_hand(reviewer):
    item = items_by_number(reviewer)["4.2"]
    response = reviewer.patch(f"/api/creation/items/{item['id']}", json={"estimated_score": 3})
    assert response.status_code == 422
    assert response.json["error"]["field_codes"] == {"estimated_score": ["cannot_change"]}


def test_a_loss_note_with_a_deadline_opens_a_rectification_and_tells_the_units_liaisons(reviewer, liaison):
    item = items_by_number(reviewer)["5.3"]  # 县人武部 leads
    response = reviewer.patch(f"/api/creation/items/{item['id']}", json={
        "estimated_score": 2, "loss_notes": "志愿服务活动仅3次", "rectification_deadline": TODAY_PLUS})
    assert response.status_code == 200, response.json
    detail = response.json
    assert detail["status"] == "needs_fix" and detail["open_rectifications"] == 1
    [rect] = detail["rectifications"]
    assert (rect["unit_name"], rect["deadline"], rect["description"], rect["status"]) == \
        ("县人武部", TODAY_PLUS, "志愿服务活动仅3次", "open")
    inbox = liaison.get("/api/notifications").json["items"]
    ordered = [n for n in inbox if n["kind"] == "rectification_ordered" and rect["id"] in n["url"]]
    assert len(ordered) == 1 and ordered[0]["body"] == f"第5.3项有1条整改任务，请于{int(TODAY_PLUS[5:7])}月" \
                                                       f"{int(TODAY_PLUS[8:])}日前完成"
    assert rect["id"] in {r["id"] for r in liaison.get("/api/creation/rectifications").json["items"]}


def test_a_rectification_ordered_directly_names_its_owner_and_closes_once(reviewer):
    item = items_by_number(reviewer)["3.2"]
    created = reviewer.post("/api/creation/rectifications", json={
        "item_id": item["id"], "unit_id": unit_id("县卫健局"), "description": "结算台账不全", "deadline": TODAY_PLUS})
    assert created.status_code == 201 and created.json["unit_name"] == "县卫健局"
    listed = reviewer.get("/api/creation/rectifications?status=open").json["items"]
    assert created.json["id"] in {r["id"] for r in listed}
    closed = reviewer.post(f"/api/creation/rectifications/{created.json['id']}/close")
    assert closed.status_code == 200 and closed.json["status"] == "done" and closed.json["closed_at"]
    again = reviewer.post(f"/api/creation/rectifications/{created.json['id']}/close")
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_transition"
    assert reviewer.post("/api/creation/rectifications", json={"item_id": item["id"], "description": "x",
                                                               "deadline": "2026-13-01"}).status_code == 422


# -- a liaison's own changes -----------------------------------------------------------------------------


def test_the_lead_units_liaison_scores_and_submits_its_item_for_review(reviewer, liaison):
    item = items_by_number(liaison)["8.1"]  # 县人武部 leads, in progress
    assert item["responsibility"] == "lead"
    response = liaison.patch(f"/api/creation/items/{item['id']}",
                             json={"self_score": 2, "status": "pending_review", "version": item["version"]})
    assert response.status_code == 200, response.json
    assert (response.json["self_score"], response.json["status"]) == (2.0, "pending_review")
    assert items_by_number(reviewer)["8.1"]["status"] == "pending_review"


@pytest.mark.parametrize("body, status, code", [
    ({"status": "done"}, 409, "invalid_transition"),
    ({"estimated_score": 2}, 403, "forbidden"),
    ({"deadline": TODAY_PLUS}, 403, "forbidden"),
    ({"self_score": 9}, 422, "validation_error"),
])
def test_a_liaison_cannot_approve_estimate_reschedule_or_overscore(liaison, body, status, code):
    item = items_by_number(liaison)["8.1"]
    response = liaison.patch(f"/api/creation/items/{item['id']}", json=body)
    assert (response.status_code, response.json["error"]["code"]) == (status, code)


def test_a_cooperating_units_liaison_cannot_change_the_item(liaison):
    item = items_by_number(liaison)["5.5"]  # 驻县部队 leads, 县人武部 cooperates
    assert item["responsibility"] == "cooperating"
    response = liaison.patch(f"/api/creation/items/{item['id']}", json={"self_score": 1})
    assert response.status_code == 403


# -- evidence review -------------------------------------------------------------------------------------


def test_evidence_is_accepted_once_and_a_return_needs_a_comment_and_tells_the_uploader(reviewer, liaison):
    item = items_by_number(liaison)["5.3"]
    piece = attach(liaison, item["id"], png(b"review-me"), title="第二次志愿服务照片")
    assert (piece["status"], piece["unit_name"], piece["uploader_name"]) == \
        ("submitted", "县人武部", "赵志刚（县人武部联络员）")
    url = f"/api/creation/evidence/{piece['id']}/review"
    missing = reviewer.post(url, json={"decision": "return"})
    assert missing.status_code == 422 and missing.json["error"]["field_codes"] == {"comment": ["required"]}
    returned = reviewer.post(url, json={"decision": "return", "comment": "照片不清晰"})
    assert returned.status_code == 200 and returned.json["status"] == "returned"
    assert returned.json["review_comment"] == "照片不清晰"
    again = reviewer.post(url, json={"decision": "accept"})
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_transition"
    notes = [n for n in liaison.get("/api/notifications").json["items"] if n["kind"] == "evidence_returned"]
    assert len(notes) == 1 and notes[0]["url"] == f"/creation/items/{item['id']}"
    assert liaison.post(url, json={"decision": "accept"}).status_code == 403


def test_the_review_queue_lists_submitted_evidence_oldest_first(reviewer):
    queue = reviewer.get("/api/creation/evidence?status=submitted&per_page=200").json
    assert queue["total"] == len(queue["items"]) > 0
    assert all(e["status"] == "submitted" for e in queue["items"])
    times = [e["created_at"] for e in queue["items"]]
    assert times == sorted(times)


def test_the_office_attaches_evidence_for_a_responsible_unit_of_its_choice(reviewer):
    item = items_by_number(reviewer)["3.2"]  # 县医保局 leads, 县卫健局 and 县退役军人事务局 cooperate
    piece = attach(reviewer, item["id"], png(b"office"), unit_id=unit_id("县卫健局"))
    assert piece["unit_name"] == "县卫健局"
    default = attach(reviewer, item["id"], png(b"office-2"))
    assert default["unit_name"] == "县医保局"
    data = png(b"office-3")
    reviewer.put(f"/api/attachments/{piece['sha256']}", data=data)
    wrong = reviewer.post(f"/api/creation/items/{item['id']}/evidence",
                          json={"sha256": piece["sha256"], "title": "x", "unit_id": unit_id("县人武部")})
    assert wrong.status_code == 422 and wrong.json["error"]["field_codes"] == {"unit_id": ["not_in_scope"]}


# -- units, users, the standard --------------------------------------------------------------------------


def test_units_are_listed_with_their_liaisons_and_items_and_the_office_adds_and_renames(reviewer, admin, liaison):
    listed = {u["name"]: u for u in liaison.get("/api/creation/units").json["items"]}
    assert len(listed) == 15 and listed["县人武部"]["liaisons"] == 1 and listed["县人武部"]["kind"] == "armed_forces"
    assert listed["城关镇"]["area_name"] == "城关镇"
    created = reviewer.post("/api/creation/units", json={"name": "县税务局", "kind": "department"})
    assert created.status_code == 201 and created.json["items"] == 0
    assert reviewer.post("/api/creation/units", json={"name": "县税务局", "kind": "department"}).status_code == 409
    renamed = reviewer.patch(f"/api/creation/units/{created.json['id']}", json={"name": "国家税务总局示范县税务局"})
    assert renamed.status_code == 200 and renamed.json["version"] == 2
    assert reviewer.post("/api/creation/units", json={"name": "x", "kind": "army"}).status_code == 422
    assert liaison.post("/api/creation/units", json={"name": "y", "kind": "department"}).status_code == 403


def test_an_admin_creates_a_liaison_through_the_users_api_with_a_unit(admin, login):
    body = {"username": "liaison_mz", "display_name": "民政局联络员", "role": "liaison",
            "area_id": admin.user["area_id"], "password": "Liaison#2026-new"}
    missing = admin.post("/api/admin/users", json=body)
    assert missing.status_code == 422 and missing.json["error"]["field_codes"] == {"unit_id": ["required"]}
    staff_with_unit = admin.post("/api/admin/users", json={**body, "role": "staff", "unit_id": unit_id("县民政局")})
    assert staff_with_unit.status_code == 422
    created = admin.post("/api/admin/users", json={**body, "unit_id": unit_id("县民政局")})
    assert created.status_code == 201 and created.json["unit_id"] == unit_id("县民政局")
    new = login("liaison_mz", "Liaison#2026-new")
    assert new.user["role"] == "liaison" and new.user["unit_id"] == unit_id("县民政局")
    # An admin-set password is temporary: the liaison chooses their own before anything else.
    changed = new.post("/api/auth/password", json={"current_password": "Liaison#2026-new",
                                                   "new_password": "Minzheng-Lian#58"})
    assert changed.status_code == 204, changed.json
    assert {i["number"] for i in items_by_number(new).values()} >= {"3.5", "3.6"}


def test_the_current_standard_is_a_tree_and_a_new_version_carries_the_assignments_over(reviewer, admin):
    tree = reviewer.get("/api/creation/standard").json
    assert tree["max_total"] == 100 and tree["target"] == 90 and len(tree["categories"]) == 8
    before = items_by_number(reviewer)
    categories = [{"name": c["name"], "max_points": c["max_points"],
                   "items": [{k: i[k] for k in ("number", "content", "points", "rule", "evidence_required", "metric")}
                             for i in c["items"]]} for c in tree["categories"]]
    categories[0]["items"][0]["content"] += "（修订）"
    created = admin.post("/api/creation/standards", json={"name": "修订版", "target": 92, "categories": categories})
    assert created.status_code == 201, created.json
    assert created.json["version"] == 2 and reviewer.get("/api/creation/standard").json["id"] == created.json["id"]
    after = items_by_number(reviewer)
    assert after["1.1"]["content"].endswith("（修订）") and after["1.1"]["id"] != before["1.1"]["id"]
    assert (after["2.6"]["lead_unit_id"], after["2.6"]["deadline"]) == \
        (before["2.6"]["lead_unit_id"], before["2.6"]["deadline"])
    # Its work carries on (tests/api/test_creation_versions.py): 2.6 is unchanged, 1.1 reworded.
    assert (after["2.6"]["status"], after["2.6"]["evidence"]) == (before["2.6"]["status"], before["2.6"]["evidence"])
    assert (after["1.1"]["status"], after["1.1"]["estimated_score"]) == ("pending_review", None)
    # The old version's items are gone from the table (and from every path that takes an item).
    assert reviewer.get(f"/api/creation/items/{before['2.6']['id']}").status_code == 404


def test_a_standard_whose_items_do_not_add_up_is_refused_row_by_row(admin):
    unknown_campaign = "campaign_coverage:00000000-0000-4000-8000-000000000000"
    body = {"name": "错", "target": 9, "categories": [
        {"name": "甲", "max_points": 10, "items": [{"number": "1", "content": "a", "points": 4},
                                                  {"number": "2", "content": "b", "points": 5}]},
        {"name": "乙", "max_points": 1, "items": [{"number": "1", "content": "c", "points": 1,
                                                  "metric": unknown_campaign}]}]}
    response = admin.post("/api/creation/standards", json=body)
    assert response.status_code == 422
    assert response.json["error"]["field_codes"] == {"categories": {
        "0": {"max_points": ["sum_mismatch"]}, "1": {"items": {"0": {"number": ["taken"]}}}}}
    body["categories"][0]["items"][1]["points"] = 6
    body["categories"][1]["items"][0]["number"] = "3"
    bad_campaign = admin.post("/api/creation/standards", json=body)
    assert bad_campaign.status_code == 422
    assert bad_campaign.json["error"]["field_codes"] == {"categories": {"1": {"items": {"0": {
        "metric": ["not_found"]}}}}}
    assert admin.get("/api/creation/standard").json["version"] == 1


# -- the dashboard and the daily meeting -----------------------------------------------------------------


def test_the_dashboard_has_the_contracts_fields_and_adds_up(reviewer):
    coverage = items_by_number(reviewer)["2.3"]["score"]  # the demo's 春节 campaign: no figure before it starts
    body = reviewer.get("/api/creation/dashboard").json
    estimated = 85.5 + (coverage or 0)
    assert body["target"] == 90 and body["max_total"] == 100 and body["estimated_total"] == estimated
    assert {"name", "max_points", "estimated"} <= set(body["categories"][0])
    assert {"name", "items", "overdue"} <= set(body["units"][0])
    assert round(sum(c["estimated"] for c in body["categories"]), 2) == body["estimated_total"]
    assert sum(c["max_points"] for c in body["categories"]) == 100
    assert body["gap"] == round(90 - estimated, 2)
    assert body["unscored_points"] == 2 + (3 if coverage is None else 0)  # 4.3: no difficulty due or resolved
    assert body["units"][0]["name"] == "县人武部"  # the most overdue first
    assert [p["estimated_total"] for p in body["trend"]][-2:] == [84.0, estimated]
    assert body["at_risk"][0]["reasons"][:2] == ["overdue", "needs_fix"]
    assert sum(body["statuses"].values()) == 40


def test_the_dashboard_follows_an_estimate_at_once(reviewer):
    item = items_by_number(reviewer)["7.4"]
    before = reviewer.get("/api/creation/dashboard").json["estimated_total"]
    reviewer.patch(f"/api/creation/items/{item['id']}", json={"estimated_score": 2})  # was 1.5
    assert reviewer.get("/api/creation/dashboard").json["estimated_total"] == before + 0.5


def test_the_daily_meeting_lists_what_changed_since_yesterday(reviewer, liaison):
    item = items_by_number(liaison)["5.4"]
    liaison.patch(f"/api/creation/items/{item['id']}", json={"status": "pending_review"})
    piece = attach(liaison, item["id"], png(b"meeting"), title="军训汇报照片")
    reviewer.post(f"/api/creation/evidence/{piece['id']}/review", json={"decision": "accept"})
    body = reviewer.get("/api/creation/meeting").json
    change = [c for c in body["item_changes"] if c["item_id"] == item["id"]][-1]
    assert change["changes"]["status"] == ["in_progress", "pending_review"] and change["by"].startswith("赵志刚")
    assert piece["id"] in {e["evidence_id"] for e in body["new_evidence"]}
    assert [r["decision"] for r in body["reviews"] if r["evidence_id"] == piece["id"]] == ["accept"]
    assert body["summary"]["status_changes"] >= 1 and body["summary"]["accepted"] >= 1
    later = reviewer.get("/api/creation/meeting?since=2099-01-01T00:00:00Z").json
    assert later["summary"]["new_evidence"] == 0
    assert reviewer.get("/api/creation/meeting?since=yesterday").status_code == 422


def test_every_creation_write_is_audited(reviewer):
    item = items_by_number(reviewer)["7.4"]
    reviewer.patch(f"/api/creation/items/{item['id']}", json={"status": "pending_review"})
    actions = set(db.session.execute(select(AuditLog.action).where(AuditLog.entity_id == item["id"])).scalars())
    assert "creation_item.update" in actions
    assert db.session.execute(select(Item.status).where(Item.id == item["id"])).scalar_one() == "pending_review"
    assert db.session.execute(select(Rectification.id)).first() is not None
    assert db.session.execute(select(Notification.id).where(Notification.kind == "rectification_ordered")).first()
