"""A new version of the evaluation standard carries the campaign's work over by item number (序号): unchanged
items keep status, scores, loss notes, evidence and 整改; changed items keep their evidence, notes and 整改 but
lose their scores and go back to 待审核 if reviewed; dropped items keep their records under the old version,
read-only; every version records what changed. Only the office makes or reads versions."""

import pytest

from tests.api.creation_support import LIAISON_PASSWORD, attach, items_by_number, make_liaison, png, sha, upload
from tests.conftest import mutation, new_id


@pytest.fixture
def liaison(login):
    return login("liaison_demo")


def tree_body(tree: dict) -> list[dict]:
    return [{"name": c["name"], "max_points": c["max_points"],
             "items": [{k: i[k] for k in ("number", "content", "points", "rule", "evidence_required", "metric")}
                       for i in c["items"]]} for c in tree["categories"]]


def category_of(categories: list[dict], number: str) -> tuple[dict, int]:
    for category in categories:
        for index, item in enumerate(category["items"]):
            if item["number"] == number:
                return category, index
    raise KeyError(number)


def revise(reviewer) -> list[dict]:
    """The demo standard with 1.3 and 1.5 re-weighted (2 → 2.5, 2 → 1.5), 1.2 reworded only in whitespace, and
    2.6 replaced by a new item 2.7 of the same points."""
    categories = tree_body(reviewer.get("/api/creation/standard").json)
    first, i13 = category_of(categories, "1.3")
    first["items"][i13]["points"] = 2.5
    first["items"][category_of(categories, "1.5")[1]]["points"] = 1.5
    i12 = category_of(categories, "1.2")[1]
    first["items"][i12]["content"] = "  " + first["items"][i12]["content"].replace("，", "， ") + " "
    second, i26 = category_of(categories, "2.6")
    second["items"][i26] = {"number": "2.7", "content": "开展军民共建示范点位建设", "points": 3,
                            "rule": "每缺1个点位扣1分"}
    return categories


def test_a_new_version_carries_each_items_work_evidence_and_rectifications_by_number(reviewer, admin):
    before = items_by_number(reviewer)
    assert before["1.2"]["status"] == "done" and before["1.2"]["evidence"]["accepted"] == 2
    assert before["6.3"]["status"] == "needs_fix" and before["6.3"]["open_rectifications"] == 1
    old_evidence = {e["id"]: e for e in reviewer.get("/api/creation/evidence?per_page=200").json["items"]}

    body = {"name": "修订版", "target": 90, "categories": revise(reviewer)}
    created = admin.post("/api/creation/standards", json=body)
    assert created.status_code == 201, created.json
    after = items_by_number(reviewer)

    # Unchanged (whitespace is not a change): everything carries on, under the new item.
    for number in ("1.2", "6.3", "2.1"):
        old, new = before[number], after[number]
        assert new["id"] != old["id"]
        for key in ("status", "self_score", "estimated_score", "loss_notes", "lead_unit_id", "deadline", "evidence",
                    "open_rectifications"):
            assert new[key] == old[key], (number, key)
    # Changed points: evidence, notes and 整改 stay; scores go; a reviewed item is 待审核 again.
    assert (after["1.3"]["points"], after["1.3"]["status"], after["1.3"]["estimated_score"]) == \
        (2.5, "pending_review", None)
    assert after["1.3"]["loss_notes"] == before["1.3"]["loss_notes"] and after["1.3"]["evidence"] == \
        before["1.3"]["evidence"]
    assert (after["1.5"]["status"], after["1.5"]["estimated_score"]) == ("in_progress", None)
    # Removed and added.
    assert "2.6" not in after and after["2.7"]["status"] == "not_started" and after["2.7"]["evidence"]["submitted"] == 0
    assert after["2.7"]["lead_unit_id"] is None

    # The evidence is the same rows, now linked to the new items (the removed item's stays behind).
    now_listed = {e["id"]: e for e in reviewer.get("/api/creation/evidence?per_page=200").json["items"]}
    gone = {i for i, e in old_evidence.items() if e["item_number"] == "2.6"}
    assert len(gone) == 2 and set(now_listed) == set(old_evidence) - gone
    for evidence_id, e in now_listed.items():
        assert e["item_id"] == after[e["item_number"]]["id"] and e["status"] == old_evidence[evidence_id]["status"]
    [fix] = reviewer.get(f"/api/creation/rectifications?item_id={after['6.3']['id']}").json["items"]
    assert fix["status"] == "open" and fix["item_number"] == "6.3"

    # The change record, on the answer and on the version.
    changes = created.json["changes"]
    assert changes["previous_version"] == 1 and changes["carry_over"] is True
    assert [a["number"] for a in changes["added"]] == ["2.7"]
    [removed] = changes["removed"]
    assert removed == {"number": "2.6", "item_id": before["2.6"]["id"], "content": before["2.6"]["content"],
                       "points": 3.0, "status": "pending_review", "estimated_score": before["2.6"]["estimated_score"],
                       "evidence": 2, "open_rectifications": 0}
    changed = {c["number"]: c for c in changes["changed"]}
    assert set(changed) == {"1.3", "1.5"}
    assert changed["1.3"]["fields"] == ["points"] and changed["1.3"]["before"] == {"points": 2.0}
    assert changed["1.3"]["after"] == {"points": 2.5} and changed["1.3"]["previous_estimated_score"] == 1.5
    assert (changed["1.3"]["previous_status"], changed["1.3"]["status"]) == ("done", "pending_review")
    assert len(changes["carried"]) == 40 - 3
    assert reviewer.get("/api/creation/standards/2").json["changes"] == changes
    assert reviewer.get("/api/creation/standards/1").json["changes"] is None
    listed = reviewer.get("/api/creation/standards").json["items"]
    assert [(v["version"], v["is_current"], v["summary"]) for v in listed] == [
        (2, True, {"added": 1, "removed": 1, "changed": 2, "carried": 37}), (1, False, None)]


def test_a_removed_items_history_stays_readable_under_the_old_version(reviewer, admin, liaison, login):
    old = items_by_number(reviewer)["2.6"]
    photo = attach(liaison, old["id"], png(b"versions"), "征兵体检现场照片")
    make_liaison("liaison_jy", "县教育局")  # 县教育局 cooperates on 2.6
    helper = login("liaison_jy", LIAISON_PASSWORD)
    assert helper.get(f"/api/attachments/{photo['sha256']}").status_code == 200
    assert admin.post("/api/creation/standards", json={"name": "修订版", "target": 90,
                                                       "categories": revise(reviewer)}).status_code == 201
    assert reviewer.get(f"/api/creation/items/{old['id']}").status_code == 404  # not in the table any more
    history = reviewer.get(f"/api/creation/history/items/{old['id']}")
    assert history.status_code == 200, history.json
    body = history.json
    assert (body["standard_version"], body["is_current"], body["number"], body["status"]) == \
        (1, False, "2.6", "pending_review")
    assert len(body["evidence_list"]) == 3 and {e["item_id"] for e in body["evidence_list"]} == {old["id"]}
    # Its files still open for the office, not for a cooperating unit's liaison (the item left their table).
    assert photo["id"] in {e["id"] for e in body["evidence_list"]}
    assert reviewer.get(f"/api/attachments/{photo['sha256']}").status_code == 200
    assert helper.get(f"/api/attachments/{photo['sha256']}").status_code == 404
    old_tree = reviewer.get("/api/creation/standards/1").json
    assert old_tree["is_current"] is False and "2.6" in {i["number"] for c in old_tree["categories"]
                                                         for i in c["items"]}
    assert reviewer.get("/api/creation/history/items/00000000-0000-4000-8000-000000000000").status_code == 404
    assert reviewer.get("/api/creation/standards/9").status_code == 404


def test_a_liaisons_phone_follows_its_evidence_to_the_new_item_and_drops_the_removed_ones(reviewer, admin, liaison):
    before = items_by_number(liaison)
    _, cursor = liaison.pull_all()
    assert admin.post("/api/creation/standards", json={"name": "修订版", "target": 90,
                                                       "categories": revise(reviewer)}).status_code == 201
    after = items_by_number(liaison)
    changes, _ = liaison.pull_all(cursor)
    evidence = {key[1]: c for key, c in changes.items() if key[0] == "evidence"}
    moved = [c for c in evidence.values() if not c["deleted"]]
    assert moved and {c["data"]["item_id"] for c in moved} <= {i["id"] for i in after.values()}
    assert any(c["data"]["item_id"] == after["2.1"]["id"] for c in moved)
    dropped = [i for i, c in evidence.items() if c["deleted"]]
    assert len(dropped) == 2  # 2.6's two pieces, led by the liaison's unit
    assert changes[("creation_item", before["2.6"]["id"])]["deleted"] is True


def test_without_carry_over_nothing_is_carried(reviewer, admin):
    before = items_by_number(reviewer)
    body = {"name": "重来", "target": 90, "carry_over": False,
            "categories": tree_body(reviewer.get("/api/creation/standard").json)}
    created = admin.post("/api/creation/standards", json=body)
    assert created.status_code == 201, created.json
    after = items_by_number(reviewer)
    assert {i["status"] for i in after.values()} == {"not_started"}
    assert after["1.2"]["evidence"]["accepted"] == 0 and after["2.1"]["lead_unit_id"] is None
    assert len(created.json["changes"]["removed"]) == len(before) == len(created.json["changes"]["added"])


@pytest.mark.parametrize("path", ["/api/creation/standards", "/api/creation/standards/1"])
def test_only_the_office_reads_versions(liaison, staff, reviewer, path):
    assert reviewer.get(path).status_code == 200
    assert liaison.get(path).status_code == 403
    assert staff.get(path).status_code == 403


def test_only_the_office_makes_a_version(liaison, staff, reviewer):
    body = {"name": "修订版", "target": 90, "categories": revise(reviewer)}
    for client in (liaison, staff):
        response = client.post("/api/creation/standards", json=body)
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    old = items_by_number(reviewer)["2.6"]
    assert liaison.get(f"/api/creation/history/items/{old['id']}").status_code == 403
    assert reviewer.get("/api/creation/standard").json["version"] == 1


def test_a_bad_version_body_answers_the_error_envelope_and_changes_nothing(admin, reviewer):
    body = {"name": "修订版", "target": 90, "carry_over": "maybe", "colour": "red", "categories": revise(reviewer)}
    response = admin.post("/api/creation/standards", json=body)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error" and set(error["fields"]) == {"carry_over", "colour"}
    assert set(error["field_codes"]) == {"carry_over", "colour"}
    assert reviewer.get("/api/creation/standard").json["version"] == 1
    assert reviewer.get("/api/creation/standards").json["items"][0]["version"] == 1


def test_the_score_trend_and_the_briefing_go_on_across_versions(reviewer, admin):
    before = reviewer.get("/api/creation/dashboard").json
    assert len(before["trend"]) > 2  # the demo's past weeks, then this week's live total
    body = {"name": "修订版", "target": 90, "categories": tree_body(reviewer.get("/api/creation/standard").json)}
    assert admin.post("/api/creation/standards", json=body).status_code == 201
    after = reviewer.get("/api/creation/dashboard").json
    assert after["standard"]["version"] == 2
    assert after["trend"] == before["trend"]  # nothing changed, nothing lost: the same weeks and totals
    assert after["estimated_total"] == before["estimated_total"]


def test_evidence_queued_offline_before_a_new_version_lands_on_the_item_that_carries_it_on(reviewer, admin, liaison):
    before = items_by_number(liaison)
    photos = {number: png(f"offline-{number}".encode()) for number in ("2.1", "2.6")}
    for data in photos.values():
        assert upload(liaison, data).status_code in (200, 201)
    queued = {number: mutation("evidence.create", {
        "id": new_id(), "item_id": before[number]["id"], "sha256": sha(data), "title": "示范点位巡查照片", "note": None,
        "location": {"lat": 30.25, "lng": 120.16, "accuracy_m": 8}, "taken_at": "2026-11-28T02:00:00.000Z"})
        for number, data in photos.items()}
    # The standard is re-issued while the phone is offline (2.1 carried on, 2.6 dropped); then it syncs.
    assert admin.post("/api/creation/standards", json={"name": "修订版", "target": 90,
                                                       "categories": revise(reviewer)}).status_code == 201
    after = items_by_number(liaison)
    [carried] = liaison.push(queued["2.1"])
    assert carried["status"] == "applied", carried
    assert carried["entity"]["data"]["item_id"] == after["2.1"]["id"]
    listed = reviewer.get(f"/api/creation/evidence?item_id={after['2.1']['id']}").json["items"]
    assert queued["2.1"]["data"]["id"] in {e["id"] for e in listed}
    [dropped] = liaison.push(queued["2.6"])  # its item is no longer in the standard: refused, nothing stored
    assert dropped["status"] == "rejected" and dropped["error"]["code"] == "not_found", dropped
