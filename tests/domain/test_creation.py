"""Creation campaign rules: who changes what, status and review transitions, scores, caps, bound figures,
deadlines, the standard's shape, and the demo standard itself."""

from datetime import date, timedelta

import pytest

from server.domain import creation as rules
from server.services.creation.demo import STANDARD, TARGET
from server.services.errors import Forbidden, InvalidInput, InvalidTransition

TODAY = date(2026, 12, 5)


# -- who may change what ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_the_office_changes_assignment_deadline_status_estimate_and_loss_notes(role):
    rules.check_item_change(role, None, {"lead_unit_id": 1, "deadline": TODAY, "status": "done",
                                         "estimated_score": 2, "loss_notes": "x", "rectification_deadline": TODAY})


def test_the_office_does_not_write_a_units_self_score():
    with pytest.raises(Forbidden, match="self_score"):
        rules.check_item_change("reviewer", None, {"self_score": 2})


def test_the_lead_units_liaison_changes_only_self_score_and_status():
    rules.check_item_change("liaison", "lead", {"self_score": 2, "status": "pending_review"})
    for field in ("estimated_score", "deadline", "lead_unit_id", "loss_notes"):
        with pytest.raises(Forbidden):
            rules.check_item_change("liaison", "lead", {field: None})


@pytest.mark.parametrize("role, responsibility", [("liaison", "cooperating"), ("liaison", None), ("staff", None)])
def test_a_cooperating_unit_another_unit_and_field_staff_change_nothing(role, responsibility):
    with pytest.raises(Forbidden):
        rules.check_item_change(role, responsibility, {"status": "in_progress"})


@pytest.mark.parametrize("old, new", sorted(rules.LIAISON_MOVES))
def test_a_liaison_moves_an_item_forward_to_review(old, new):
    rules.check_status_move("liaison", old, new)


@pytest.mark.parametrize("old, new", [("in_progress", "done"), ("pending_review", "in_progress"),
                                      ("not_started", "pending_review"), ("done", "in_progress"),
                                      ("in_progress", "needs_fix"), ("pending_review", "not_started")])
def test_a_liaison_cannot_approve_reopen_or_skip(old, new):
    with pytest.raises(InvalidTransition):
        rules.check_status_move("liaison", old, new)


def test_the_office_sets_any_status_and_an_unchanged_status_is_no_move():
    for old in rules.ITEM_STATUSES:
        for new in rules.ITEM_STATUSES:
            rules.check_status_move("reviewer", old, new)
    rules.check_status_move("liaison", "done", "done")


# -- scores ----------------------------------------------------------------------------------------------


def test_a_score_lies_between_0_and_the_items_points():
    rules.check_scores({"self_score": 0, "estimated_score": 2.5}, 2.5, None)
    with pytest.raises(InvalidInput) as caught:
        rules.check_scores({"estimated_score": 2.51}, 2.5, None)
    assert caught.value.fields == {"estimated_score": ["must be between 0 and 2.5 (the item's points)"]}
    with pytest.raises(InvalidInput):
        rules.check_scores({"self_score": -0.5}, 3, None)


def test_a_bound_item_takes_no_estimate_its_score_comes_from_the_data():
    with pytest.raises(InvalidInput) as caught:
        rules.check_scores({"estimated_score": 1}, 3, "difficulty_resolution")
    assert "estimated_score" in caught.value.fields
    rules.check_scores({"estimated_score": None, "self_score": 3}, 3, "difficulty_resolution")


@pytest.mark.parametrize("points, rate, score", [
    (3, 0.9, 2.7), (3, 1.0, 3.0), (3, 0.0, 0.0), (4, 0.3333, 1.33), (2, 0.875, 1.75), (3, 0.45, 1.35),
    (2.5, 0.5, 1.25), (1, 0.005, 0.01),  # half-up, not banker's rounding
])
def test_a_bound_score_is_points_times_rate_to_two_places(points, rate, score):
    assert rules.metric_score(points, rate) == score


def test_a_bound_score_is_capped_by_the_items_points_and_never_negative():
    assert rules.metric_score(3, 1.7) == 3.0
    assert rules.metric_score(3, -0.2) == 0.0
    assert rules.metric_score(3, None) is None


def test_a_figure_gives_its_rate_and_no_rate_without_data():
    assert rules.MetricFigure("difficulty_resolution", 45, 50).rate == 0.9
    assert rules.MetricFigure("difficulty_resolution", 2, 3).rate == 0.6667
    assert rules.MetricFigure("difficulty_on_time", 0, 0).rate is None


def test_the_rule_shown_has_the_figures_and_the_result():
    figure = rules.MetricFigure("campaign_coverage:0b7d2cb1-8c1e-4b6a-9d9d-2f6a8e0c3a11", 45, 50)
    assert rules.metric_rule(figure, 4) == "走访慰问覆盖率 45/50 = 90.0% × 4 分 = 3.6 分"
    assert rules.metric_rule(rules.MetricFigure("difficulty_on_time", 0, 0), 2) == "困难诉求按期办结率：暂无数据 × 2 分"


def test_an_item_counts_its_bound_score_else_the_offices_estimate():
    figure = rules.MetricFigure("difficulty_resolution", 1, 4)
    assert rules.item_score({"metric": "difficulty_resolution", "points": 3, "estimated_score": 3}, figure) == 0.75
    assert rules.item_score({"metric": None, "points": 3, "estimated_score": 2.5}, None) == 2.5
    assert rules.item_score({"metric": None, "points": 3, "estimated_score": None}, None) is None


def test_totals_are_exact_to_two_places():
    assert rules.total([0.1, 0.2]) == 0.3
    assert rules.total([1.35] * 3) == 4.05
    assert rules.total([None, 2, None]) == 2.0
    assert rules.total([]) == 0.0


@pytest.mark.parametrize("metric, ok", [
    ("difficulty_resolution", True), ("difficulty_on_time", True),
    ("campaign_coverage:0b7d2cb1-8c1e-4b6a-9d9d-2f6a8e0c3a11", True), ("campaign_coverage:", False),
    ("campaign_coverage:0B7D2CB1-8C1E-4B6A-9D9D-2F6A8E0C3A11", False), ("visits", False),
])
def test_a_metric_is_one_of_the_three_figures(metric, ok):
    assert bool(rules.METRIC_RE.match(metric)) is ok


# -- loss notes, evidence, rectifications ----------------------------------------------------------------


def test_a_loss_note_with_a_deadline_orders_a_rectification_for_the_lead_unit():
    item = {"lead_unit_id": 7, "loss_notes": None}
    due = TODAY + timedelta(days=7)
    assert rules.rectification_order({"loss_notes": " 缺会议纪要 ", "rectification_deadline": due}, item) == \
        {"unit_id": 7, "deadline": due, "description": "缺会议纪要"}
    assert rules.rectification_order({"rectification_deadline": due, "rectification_unit_id": 9},
                                     {"lead_unit_id": 7, "loss_notes": "旧的失分点"})["unit_id"] == 9
    assert rules.rectification_order({"loss_notes": "只有失分点"}, item) is None


def test_a_rectification_needs_a_note_and_an_owner():
    with pytest.raises(InvalidInput) as caught:
        rules.rectification_order({"rectification_deadline": TODAY}, {"lead_unit_id": None, "loss_notes": " "})
    assert set(caught.value.fields) == {"loss_notes", "rectification_unit_id"}
    with pytest.raises(InvalidInput):
        rules.rectification_order({"rectification_unit_id": 3}, {"lead_unit_id": 1, "loss_notes": "x"})


def test_only_submitted_evidence_is_reviewed_and_a_return_says_why():
    assert rules.review_evidence("submitted", "accept", "  ") == ("accepted", None)
    assert rules.review_evidence("submitted", "return", " 缺照片 ") == ("returned", "缺照片")
    with pytest.raises(InvalidInput):
        rules.review_evidence("submitted", "return", "")
    for status in ("accepted", "returned"):
        with pytest.raises(InvalidTransition):
            rules.review_evidence(status, "accept", None)


def test_a_rectification_closes_once():
    assert rules.close_rectification("open") == "done"
    with pytest.raises(InvalidTransition):
        rules.close_rectification("done")


# -- deadlines -------------------------------------------------------------------------------------------


def test_overdue_is_past_the_deadline_and_not_done():
    assert rules.is_overdue("in_progress", TODAY - timedelta(days=1), TODAY)
    assert not rules.is_overdue("in_progress", TODAY, TODAY)
    assert not rules.is_overdue("done", TODAY - timedelta(days=9), TODAY)
    assert not rules.is_overdue("in_progress", None, TODAY)
    assert rules.is_overdue("open", TODAY - timedelta(days=1), TODAY)  # a rectification


def test_due_soon_is_today_to_three_days_ahead():
    assert [rules.is_due_soon("in_progress", TODAY + timedelta(days=d), TODAY) for d in (-1, 0, 1, 3, 4)] == \
        [False, True, True, True, False]
    assert not rules.is_due_soon("done", TODAY, TODAY)


# -- the standard ----------------------------------------------------------------------------------------


def _category(max_points, *points, numbers=None):
    numbers = numbers or [f"x{i}" for i in range(len(points))]
    return {"name": "c", "max_points": max_points, "items": [{"number": n, "points": p}
                                                            for n, p in zip(numbers, points, strict=True)]}


def test_a_categorys_items_add_up_to_its_maximum_exactly():
    assert rules.standard_errors([_category(1.0, 0.1, 0.2, 0.7)]) is None
    errors = rules.standard_errors([_category(10, 2, 3), _category(5, 2.5, 2.5, numbers=["a", "b"])])
    assert errors == {"categories": {0: {"max_points": ["the items add up to 5, not 10"]}}}


def test_item_numbers_are_unique_across_the_standard_and_a_category_has_items():
    errors = rules.standard_errors([_category(2, 2, numbers=["1.1"]), _category(2, 1, 1, numbers=["1.2", "1.1"]),
                                    {"name": "empty", "max_points": 0, "items": []}])
    assert errors == {"categories": {1: {"items": {1: {"number": ["already used"]}}},
                                     2: {"items": ["a category needs at least one item"]}}}


def test_the_demo_standard_sums_to_exactly_100_with_about_40_items_in_8_categories():
    categories = [{"name": name, "max_points": points,
                   "items": [{"number": row[0], "points": row[2]} for row in rows]} for name, points, rows in STANDARD]
    assert rules.standard_errors(categories) is None
    assert rules.max_total(categories) == 100.0
    assert len(categories) == 8 and sum(len(c["items"]) for c in categories) == 40
    assert TARGET == 90.0
    names = [c["name"] for c in categories]
    assert {"组织领导", "拥军优属", "政策法规落实", "拥政爱民", "宣传教育"} <= set(names)
    # The speech: 政策法规落实 weighs most (比重最大), 拥政爱民 second (占比居第二位).
    weights = sorted(((c["max_points"], c["name"]) for c in categories), reverse=True)
    assert [name for _, name in weights[:2]] == ["政策法规落实", "拥政爱民"] and weights[1][0] > weights[2][0]
