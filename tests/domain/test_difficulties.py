"""Difficulty rules: status transitions and what a follow-up does to its difficulty (plain values only)."""

from datetime import date, datetime, timedelta

import pytest

from server.domain.difficulties import follow_up_effect, follow_up_errors, is_overdue, status_effect

T0 = datetime(2026, 11, 1, 8, 0)


def difficulty(**fields) -> dict:
    return {"status": "open", "status_changed_at": T0, "resolved_at": None, "follow_up_at": None, **fields}


def follow_up(hours: float, **fields) -> dict:
    return {"at": T0 + timedelta(hours=hours), "status": None, "next_follow_up_at": None, **fields}


def test_resolving_stamps_the_time_and_clears_the_next_follow_up():
    at = T0 + timedelta(days=2)
    assert status_effect("resolved", at) == {"status": "resolved", "status_changed_at": at, "resolved_at": at,
                                             "follow_up_at": None}


@pytest.mark.parametrize("status", ["open", "in_progress"])
def test_reopening_forgets_when_it_was_resolved_and_keeps_the_next_date(status):
    assert status_effect(status, T0) == {"status": status, "status_changed_at": T0, "resolved_at": None}


def test_a_follow_up_with_a_status_and_next_date_sets_both():
    next_at = T0 + timedelta(days=7)
    effect = follow_up_effect(difficulty(), follow_up(1, status="in_progress", next_follow_up_at=next_at))
    assert effect == {"status": "in_progress", "status_changed_at": T0 + timedelta(hours=1),
                      "follow_up_at": next_at}


def test_a_resolving_follow_up_resolves_and_clears_the_date():
    current = difficulty(follow_up_at=T0 + timedelta(days=3))
    effect = follow_up_effect(current, follow_up(2, status="resolved"))
    assert effect == {"status": "resolved", "status_changed_at": T0 + timedelta(hours=2),
                      "resolved_at": T0 + timedelta(hours=2), "follow_up_at": None}


def test_a_note_only_follow_up_changes_nothing():
    assert follow_up_effect(difficulty(follow_up_at=T0 + timedelta(days=3)), follow_up(1)) == {}


def test_a_follow_up_older_than_the_latest_seen_changes_nothing():
    late = T0 + timedelta(hours=5)
    assert follow_up_effect(difficulty(), follow_up(3, status="resolved"), latest_at=late) == {}
    assert follow_up_effect(difficulty(), follow_up(6, status="resolved"), latest_at=late)["status"] == "resolved"


def test_a_follow_up_older_than_the_offices_status_change_changes_nothing():
    current = difficulty(status="resolved", status_changed_at=T0 + timedelta(days=1), resolved_at=T0)
    assert follow_up_effect(current, follow_up(2, status="in_progress")) == {}


def test_the_same_status_again_moves_only_when_it_changed():
    current = difficulty(status="in_progress")
    assert follow_up_effect(current, follow_up(1, status="in_progress")) == {
        "status_changed_at": T0 + timedelta(hours=1)}


def test_a_follow_up_on_a_resolved_difficulty_without_status_keeps_it_without_a_date():
    current = difficulty(status="resolved", resolved_at=T0, follow_up_at=T0 + timedelta(days=1))
    assert follow_up_effect(current, follow_up(1)) == {"follow_up_at": None}


def test_resolving_and_scheduling_a_next_follow_up_contradict():
    assert follow_up_errors({"status": "resolved", "next_follow_up_at": T0}) == {
        "next_follow_up_at": ["A resolved difficulty needs no next follow-up."]}
    assert follow_up_errors({"status": "in_progress", "next_follow_up_at": T0}) is None
    assert follow_up_errors({"status": "resolved", "next_follow_up_at": None}) is None


def test_overdue_means_unresolved_past_its_due_date():
    today = date(2026, 12, 4)
    assert is_overdue("open", date(2026, 12, 3), today)
    assert not is_overdue("open", today, today)
    assert not is_overdue("resolved", date(2026, 12, 1), today)
    assert not is_overdue("in_progress", None, today)
