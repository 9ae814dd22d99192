"""Office visit list, detail and review: scope, filters, transitions, the author's notification."""

from tests.conftest import difficulty_data, mutation, new_id, visit_data


def _push_visit(staff, recipient, **fields):
    data = visit_data(recipient["id"], **fields)
    [result] = staff.push(mutation("visit.create", data))
    assert result["status"] == "applied"
    return data


def test_reviewer_lists_synced_visit_with_names(staff, reviewer, own_recipient):
    data = _push_visit(staff, own_recipient, notes="新记录")
    body = reviewer.get("/api/visits?per_page=100").json
    item = next(i for i in body["items"] if i["id"] == data["id"])
    assert item["recipient_name"] == own_recipient["name"]
    assert item["author_name"].startswith("李晓红")
    assert item["status"] == "submitted"
    assert body["total"] >= 7  # six seeded visits and this one


def test_visit_list_filters_by_status_kind_date_and_name(staff, reviewer, own_recipient):
    data = _push_visit(staff, own_recipient, kind="hospital", visited_at="2026-11-20T03:00:00.000Z")
    assert [i["id"] for i in reviewer.get("/api/visits?kind=hospital").json["items"]] == [data["id"]]
    assert reviewer.get("/api/visits?kind=hospital&from=2026-11-21").json["total"] == 0
    # 2026-11-20T03:00Z is 11:00 on the 20th in Shanghai: inclusive local dates.
    assert reviewer.get("/api/visits?kind=hospital&from=2026-11-20&to=2026-11-20").json["total"] == 1
    assert reviewer.get(f"/api/visits?kind=hospital&q={own_recipient['name']}").json["total"] == 1
    assert reviewer.get("/api/visits?status=approved").json["total"] == 0


def test_visit_list_rejects_bad_filters(reviewer):
    response = reviewer.get("/api/visits?kind=party&page=0")
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"kind", "page"}


def test_staff_cannot_use_the_office_list(staff):
    assert staff.get("/api/visits").status_code == 403


def test_visit_detail_shows_difficulties_and_masked_id(staff, reviewer, own_recipient):
    data = _push_visit(staff, own_recipient)
    difficulty = difficulty_data(own_recipient["id"], visit_id=data["id"])
    staff.push(mutation("difficulty.create", difficulty))
    detail = reviewer.get(f"/api/visits/{data['id']}").json
    assert [d["id"] for d in detail["difficulties"]] == [difficulty["id"]]
    assert "*" in detail["recipient"]["id_number"]
    assert detail["location"] == {"lat": 30.1, "lng": 120.2, "accuracy_m": 12}


def test_return_notifies_author_and_resubmission_goes_back_to_submitted(staff, reviewer, own_recipient):
    data = _push_visit(staff, own_recipient)
    response = reviewer.post(f"/api/visits/{data['id']}/review", json={"decision": "return", "comment": "缺照片"})
    assert response.status_code == 200
    assert response.json["data"]["status"] == "returned"
    inbox = staff.get("/api/notifications").json
    assert inbox["unread"] == 1
    assert inbox["items"][0]["kind"] == "visit_returned"
    assert own_recipient["name"] not in inbox["items"][0]["body"]
    pulled, _ = staff.pull_all()
    visit = pulled[("visit", data["id"])]
    assert visit["data"]["review_comment"] == "缺照片"
    [result] = staff.push(mutation("visit.update", {"id": data["id"], "notes": "已补充"},
                                   base_version=visit["version"]))
    assert result["status"] == "applied"
    assert result["entity"]["data"]["status"] == "submitted"


def test_approved_visit_is_locked_for_its_author(staff, reviewer, own_recipient):
    data = _push_visit(staff, own_recipient)
    approved = reviewer.post(f"/api/visits/{data['id']}/review", json={"decision": "approve"}).json
    [result] = staff.push(mutation("visit.update", {"id": data["id"], "notes": "x"},
                                   base_version=approved["version"]))
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "visit_locked"


def test_review_of_a_non_submitted_visit_is_invalid_transition(staff, reviewer, own_recipient):
    data = _push_visit(staff, own_recipient)
    reviewer.post(f"/api/visits/{data['id']}/review", json={"decision": "approve"})
    again = reviewer.post(f"/api/visits/{data['id']}/review", json={"decision": "return", "comment": "x"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "invalid_transition"


def test_return_without_comment_is_refused(staff, reviewer, own_recipient):
    data = _push_visit(staff, own_recipient)
    response = reviewer.post(f"/api/visits/{data['id']}/review", json={"decision": "return"})
    assert response.status_code == 422
    assert "comment" in response.json["error"]["fields"]


def test_out_of_scope_visit_answers_404(app, login, admin, foreign_recipient):
    from server.services.areas import create_area
    from server.services.users import create_user

    township = create_area("990199", "外乡", "township", 1)
    create_user("reviewer_other", "外乡审核员", "Other@20261", "reviewer", township.id)
    other = login("reviewer_other", "Other@20261")
    data = visit_data(foreign_recipient["id"])
    admin.push(mutation("visit.create", data))
    assert other.get(f"/api/visits/{data['id']}").status_code == 404
    assert other.post(f"/api/visits/{data['id']}/review", json={"decision": "approve"}).status_code == 404
    assert other.get("/api/visits").json["total"] == 0


def test_county_reviewer_never_sees_another_county_when_the_tree_has_two_roots(admin, reviewer, login):
    """A reviewer at the only root skips the scope filter (fast path); a second county must end that."""
    from server.services.areas import create_area

    other_county = create_area("880100", "邻县", "county")
    township = create_area("880101", "邻镇", "township", other_county.id)
    village = create_area("880101001", "邻村", "village", township.id)
    recipient = {"id": new_id(), "name": "邻县对象", "gender": "male", "id_number": None, "phone": None,
                 "address": "邻村1号", "area_id": village.id, "category": "veteran", "tags": [], "notes": None}
    visit = visit_data(recipient["id"])
    results = admin.push(mutation("recipient.create", recipient), mutation("visit.create", visit))
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert reviewer.get(f"/api/visits/{visit['id']}").status_code == 404
    assert visit["id"] not in {i["id"] for i in reviewer.get("/api/visits?per_page=100").json["items"]}
    assert reviewer.get("/api/difficulties").json["total"] == 3  # the seeded ones only
    changes, _ = reviewer.pull_all()
    assert ("recipient", recipient["id"]) not in changes


def test_a_resubmitted_visit_shows_what_changed_since_the_return(staff, reviewer, own_recipient):
    from tests.api.test_attachments import png, sha, upload

    kept, dropped, added, signature = png(b"kept"), png(b"dropped"), png(b"added"), png(b"signature")
    for image in (kept, dropped, added, signature):
        assert upload(staff, image).status_code in (200, 201)
    data = _push_visit(staff, own_recipient, notes="初稿", cash_cents=50000, photos=[sha(kept), sha(dropped)],
                       no_signature_reason="卧床无法签字")
    gone = difficulty_data(own_recipient["id"], visit_id=data["id"], description="看病难")
    staff.push(mutation("difficulty.create", gone))
    assert reviewer.get(f"/api/visits/{data['id']}").json["changes_since_return"] is None
    reviewer.post(f"/api/visits/{data['id']}/review", json={"decision": "return", "comment": "缺签字"})
    assert reviewer.get(f"/api/visits/{data['id']}").json["changes_since_return"] is None  # not yet resubmitted

    pulled, _ = staff.pull_all()
    new = difficulty_data(own_recipient["id"], visit_id=data["id"], description="住房漏雨", category="housing")
    results = staff.push(
        mutation("visit.update", {"id": data["id"], "notes": "已补签字", "cash_cents": 60000,
                                  "photos": [sha(kept), sha(added)], "signature": sha(signature),
                                  "no_signature_reason": None}, base_version=pulled[("visit", data["id"])]["version"]),
        mutation("difficulty.create", new))
    assert [r["status"] for r in results] == ["applied", "applied"], results

    detail = reviewer.get(f"/api/visits/{data['id']}").json
    changes = detail["changes_since_return"]
    assert detail["status"] == "submitted" and changes["review_comment"] == "缺签字"
    assert {c["field"]: (c["before"], c["after"]) for c in changes["fields"]} == {
        "notes": ("初稿", "已补签字"), "cash_cents": (50000, 60000), "signature": (None, sha(signature)),
        "no_signature_reason": ("卧床无法签字", None)}
    assert (changes["photos_added"], changes["photos_removed"]) == ([sha(added)], [sha(dropped)])
    assert [(d["id"], d["change"]) for d in changes["difficulties"]] == [(new["id"], "added")]
    assert gone["id"] in [d["id"] for d in detail["difficulties"]]
