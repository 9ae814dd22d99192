"""Scores bound to the data: visit coverage of a campaign, difficulty resolution and on-time rates, recomputed
on every read (never stale), points × rate capped at the item's points; totals by category and unit."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Area
from server.models.base import utcnow
from server.services.areas import create_area
from server.services.timezone import local_today
from tests.api.creation_support import items_by_number, unit_id
from tests.conftest import difficulty_data, mutation, new_id, visit_data

ZONE = "Asia/Shanghai"


def iso(moment) -> str:
    return moment.isoformat(timespec="milliseconds") + "Z"


@pytest.fixture
def village(app):
    """A new village with four veterans and nothing else."""
    township = db.session.execute(select(Area).where(Area.name == "城关镇")).scalar_one()
    return create_area("990101099", "测试村", "village", township.id)


@pytest.fixture
def world(admin, reviewer, village):
    """Four recipients in the village, a campaign over it from 10 days ago to 10 days ahead, and a standard
    of three bound items (coverage 4 points, resolution 3, on time 2) and one estimated (1)."""
    recipients = []
    for index in range(4):
        recipient = {"id": new_id(), "name": f"测试{index}", "gender": "male", "id_number": None, "phone": None,
                     "address": None, "area_id": village.id, "category": "veteran", "tags": [], "notes": None}
        recipients.append(recipient)
    assert {r["status"] for r in admin.push(*(mutation("recipient.create", r) for r in recipients))} == {"applied"}
    today = local_today(ZONE)
    campaign = reviewer.post("/api/campaigns", json={
        "name": "岁末走访", "starts_on": (today - timedelta(days=10)).isoformat(),
        "ends_on": (today + timedelta(days=10)).isoformat(), "area_id": village.id})
    assert campaign.status_code == 201, campaign.json
    lead = unit_id("县退役军人事务局")
    standard = admin.post("/api/creation/standards", json={"name": "测", "target": 9, "carry_over": False,
                                                           "categories": [
        {"name": "走访", "max_points": 4, "items": [
            {"number": "1", "content": "走访全覆盖", "points": 4, "metric": f"campaign_coverage:{campaign.json['id']}",
             "lead_unit_id": lead}]},
        {"name": "诉求", "max_points": 6, "items": [
            {"number": "2", "content": "诉求解决", "points": 3, "metric": "difficulty_resolution",
             "lead_unit_id": lead},
            {"number": "3", "content": "按期办结", "points": 2, "metric": "difficulty_on_time",
             "lead_unit_id": lead},
            {"number": "4", "content": "其他", "points": 1, "lead_unit_id": unit_id("县人武部")}]}]})
    assert standard.status_code == 201, standard.json
    return {"recipients": recipients, "campaign": campaign.json}


def scores(client) -> dict[str, tuple]:
    return {n: (i["score"], i["score_rule"]) for n, i in items_by_number(client).items()}


def test_coverage_counts_each_target_visited_during_the_campaign_once(world, admin, reviewer):
    assert scores(reviewer)["1"] == (0.0, "走访慰问覆盖率 0/4 = 0.0% × 4 分 = 0 分")
    first, second, third, _ = world["recipients"]
    now = utcnow()
    visits = [visit_data(first["id"], visited_at=iso(now - timedelta(days=1))),
              visit_data(first["id"], visited_at=iso(now - timedelta(hours=2))),  # the same target again
              visit_data(second["id"], visited_at=iso(now - timedelta(days=3))),
              visit_data(third["id"], visited_at=iso(now - timedelta(days=40)))]  # before the campaign
    assert {r["status"] for r in admin.push(*(mutation("visit.create", v) for v in visits))} == {"applied"}
    assert scores(reviewer)["1"] == (2.0, "走访慰问覆盖率 2/4 = 50.0% × 4 分 = 2 分")
    [late] = admin.push(mutation("visit.create", visit_data(third["id"], visited_at=iso(now))))
    assert late["status"] == "applied"
    assert scores(reviewer)["1"] == (3.0, "走访慰问覆盖率 3/4 = 75.0% × 4 分 = 3 分")


def test_resolution_and_on_time_rates_follow_the_difficulties(world, admin, reviewer):
    board = reviewer.get("/api/difficulties").json["items"]
    assert len(board) == 3  # the demo's, unresolved, due in two weeks
    assert scores(reviewer)["2"][0] == 0.0 and scores(reviewer)["3"][0] is None  # 0/3; none due or resolved
    first, second, third = board
    assert reviewer.patch(f"/api/difficulties/{first['id']}", json={"status": "resolved"}).status_code == 200
    assert scores(reviewer)["2"] == (1.0, "困难诉求解决率 1/3 = 33.3% × 3 分 = 1 分")
    assert scores(reviewer)["3"] == (2.0, "困难诉求按期办结率 1/1 = 100.0% × 2 分 = 2 分")
    yesterday = (local_today(ZONE) - timedelta(days=1)).isoformat()
    reviewer.patch(f"/api/difficulties/{second['id']}", json={"due_date": yesterday})  # now late, unresolved
    assert scores(reviewer)["3"][0] == 1.0
    reviewer.patch(f"/api/difficulties/{second['id']}", json={"status": "resolved"})  # resolved, but late
    assert scores(reviewer)["2"][0] == 2.0 and scores(reviewer)["3"][0] == 1.0
    [raised] = admin.push(mutation("difficulty.create", difficulty_data(world["recipients"][0]["id"])))
    assert raised["status"] == "applied"
    assert scores(reviewer)["2"] == (1.5, "困难诉求解决率 2/4 = 50.0% × 3 分 = 1.5 分")
    assert third["status"] == "open"


def test_a_bound_score_never_exceeds_its_points_and_the_dashboard_adds_the_figures(world, admin, reviewer):
    now = utcnow()
    admin.push(*(mutation("visit.create", visit_data(r["id"], visited_at=iso(now))) for r in world["recipients"]))
    for difficulty in reviewer.get("/api/difficulties").json["items"]:
        reviewer.patch(f"/api/difficulties/{difficulty['id']}", json={"status": "resolved"})
    item = items_by_number(reviewer)["4"]
    reviewer.patch(f"/api/creation/items/{item['id']}", json={"estimated_score": 0.5})
    assert {n: s for n, (s, _) in scores(reviewer).items()} == {"1": 4.0, "2": 3.0, "3": 2.0, "4": 0.5}
    dashboard = reviewer.get("/api/creation/dashboard").json
    assert dashboard["estimated_total"] == 9.5 and dashboard["max_total"] == 10 and dashboard["gap"] == 0
    assert [(c["name"], c["estimated"], c["lost"]) for c in dashboard["categories"]] == \
        [("走访", 4.0, 0.0), ("诉求", 5.5, 0.5)]
    units = {u["name"]: u for u in dashboard["units"]}
    assert (units["县退役军人事务局"]["items"], units["县退役军人事务局"]["estimated"]) == (3, 9.0)
    assert (units["县人武部"]["items"], units["县人武部"]["points"], units["县人武部"]["estimated"]) == (1, 1.0, 0.5)


def test_a_campaign_not_started_yet_gives_no_figure_rather_than_zero(admin, reviewer):
    tomorrow = local_today(ZONE) + timedelta(days=1)
    campaign = reviewer.post("/api/campaigns", json={"name": "明日走访", "starts_on": tomorrow.isoformat(),
                                                     "ends_on": (tomorrow + timedelta(days=30)).isoformat()}).json
    assert admin.post("/api/creation/standards", json={"name": "测", "target": 1, "categories": [
        {"name": "走访", "max_points": 3, "items": [{"number": "1", "content": "走访", "points": 3,
                                                     "metric": f"campaign_coverage:{campaign['id']}"}]}]}
                      ).status_code == 201
    assert scores(reviewer)["1"] == (None, "走访慰问覆盖率：暂无数据 × 3 分")
    assert reviewer.get("/api/creation/dashboard").json["unscored_points"] == 3
