"""Campaigns and coverage: creation and scope, phones pull them, the numbers match the visits made."""

from tests.conftest import mutation, visit_data

OCTOBER = {"name": "2026年国庆走访", "starts_on": "2026-10-01", "ends_on": "2026-10-31"}


def test_reviewer_creates_campaign_and_phones_pull_it(reviewer, staff):
    _, cursor = staff.pull_all()
    response = reviewer.post("/api/campaigns", json={**OCTOBER, "categories": ["martyr_family"]})
    assert response.status_code == 201, response.json
    changes, _ = staff.pull_all(cursor)
    assert changes[("campaign", response.json["id"])]["data"]["categories"] == ["martyr_family"]
    assert any(c["id"] == response.json["id"] for c in staff.get("/api/campaigns").json["items"])


def test_staff_cannot_create_or_see_coverage(staff, reviewer):
    assert staff.post("/api/campaigns", json=OCTOBER).status_code == 403
    campaign = reviewer.post("/api/campaigns", json=OCTOBER).json
    assert staff.get(f"/api/campaigns/{campaign['id']}/coverage").status_code == 403


def test_campaign_dates_and_categories_are_validated(reviewer):
    backwards = reviewer.post("/api/campaigns", json={**OCTOBER, "ends_on": "2026-09-01"})
    assert backwards.status_code == 422
    assert set(backwards.json["error"]["fields"]) == {"ends_on"}
    unknown = reviewer.post("/api/campaigns", json={**OCTOBER, "categories": ["vip"]})
    assert unknown.status_code == 422
    assert set(unknown.json["error"]["fields"]) == {"categories"}


def test_coverage_counts_each_target_visited_during_the_campaign_once(staff, reviewer):
    changes, _ = staff.pull_all()
    mine = sorted((c["data"] for c in changes.values() if c["type"] == "recipient"), key=lambda r: r["id"])
    first, second, third, outside = mine[:4]
    in_october = "2026-10-10T02:00:00.000Z"
    staff.push(
        mutation("visit.create", visit_data(first["id"], visited_at=in_october)),
        mutation("visit.create", visit_data(first["id"], visited_at="2026-10-20T02:00:00.000Z")),
        mutation("visit.create", visit_data(second["id"], visited_at=in_october)),
        # 2026-10-31T17:00Z is already 1 November in Shanghai: outside the campaign.
        mutation("visit.create", visit_data(third["id"], visited_at="2026-10-31T17:00:00.000Z")),
        mutation("visit.create", visit_data(outside["id"], visited_at="2026-09-30T02:00:00.000Z")),
    )
    campaign = reviewer.post("/api/campaigns", json=OCTOBER).json
    body = reviewer.get(f"/api/campaigns/{campaign['id']}/coverage").json
    assert body["totals"] == {"targets": 60, "visited": 2, "rate": round(2 / 60, 4)}
    by_village = {v["id"]: v for t in body["townships"] for v in t["villages"]}
    expected: dict[int, int] = {}
    for recipient in (first, second):
        expected[recipient["area_id"]] = expected.get(recipient["area_id"], 0) + 1
    assert {k: v["visited"] for k, v in by_village.items() if v["visited"]} == expected
    assert sum(t["targets"] for t in body["townships"]) == 60
    not_visited = {r["id"] for r in body["not_visited"]}
    assert first["id"] not in not_visited and third["id"] in not_visited
    assert len(not_visited) == 58
    assert sum(w["visits"] for w in body["visits_per_week"]) == 3


def test_coverage_of_a_category_campaign_counts_only_those_targets(reviewer, admin):
    changes, _ = admin.pull_all()
    martyrs = [c["data"] for c in changes.values() if c["type"] == "recipient"
               and c["data"]["category"] == "martyr_family"]
    campaign = reviewer.post("/api/campaigns", json={**OCTOBER, "categories": ["martyr_family"]}).json
    body = reviewer.get(f"/api/campaigns/{campaign['id']}/coverage").json
    assert body["totals"]["targets"] == len(martyrs) > 0
