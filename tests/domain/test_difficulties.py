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


# -- 跟进逾期 and 办结超期, days in the county's zone -------------------------------------------------------

ZONE = "Asia/Shanghai"  # UTC+8: 16:00 UTC is midnight local


def test_the_two_names_are_the_ones_the_papers_use():
    from server.domain.difficulties import DEADLINE_OVERDUE, FOLLOW_UP_OVERDUE

    assert (FOLLOW_UP_OVERDUE, DEADLINE_OVERDUE) == ("跟进逾期", "办结超期")


@pytest.mark.parametrize("due, today, late", [
    (date(2026, 12, 3), date(2026, 12, 3), False),  # the deadline day itself is still in time
    (date(2026, 12, 3), date(2026, 12, 4), True),
    (None, date(2026, 12, 4), False),
])
def test_deadline_overdue_counts_whole_local_days(due, today, late):
    from server.domain.difficulties import is_deadline_overdue

    assert is_deadline_overdue("open", due, today) is late
    assert is_deadline_overdue("resolved", due, today) is False


@pytest.mark.parametrize("follow_up_at, today, late", [
    # 15:59 UTC on the 3rd is 23:59 local on the 3rd: due on the 3rd, late on the 4th.
    (datetime(2026, 12, 3, 15, 59), date(2026, 12, 3), False),
    (datetime(2026, 12, 3, 15, 59), date(2026, 12, 4), True),
    # 16:00 UTC on the 3rd is already the 4th locally: not late on the 4th (UTC's date would say so).
    (datetime(2026, 12, 3, 16, 0), date(2026, 12, 4), False),
    (datetime(2026, 12, 3, 16, 0), date(2026, 12, 5), True),
    (None, date(2026, 12, 5), False),
])
def test_follow_up_overdue_is_decided_on_the_local_day(follow_up_at, today, late):
    from server.domain.difficulties import is_follow_up_overdue

    assert is_follow_up_overdue("in_progress", follow_up_at, None, today, ZONE) is late
    assert is_follow_up_overdue("resolved", follow_up_at, None, today, ZONE) is False


@pytest.mark.parametrize("last, late", [
    (datetime(2026, 12, 2, 15, 59), True),  # 23:59 local the day before: too early to count
    (datetime(2026, 12, 2, 16, 0), False),  # 00:00 local on the due day, before the stated hour: counts
    (datetime(2026, 12, 4, 1, 0), False),  # late, but made
])
def test_a_follow_up_made_on_or_after_the_due_day_ends_follow_up_overdue(last, late):
    from server.domain.difficulties import is_follow_up_overdue

    due = datetime(2026, 12, 3, 2, 0)  # 10:00 local on the 3rd
    assert is_follow_up_overdue("open", due, last, date(2026, 12, 5), ZONE) is late


def test_the_two_lists_are_independent():
    from server.domain.difficulties import is_deadline_overdue, is_follow_up_overdue

    today = date(2026, 12, 10)
    assert is_deadline_overdue("open", date(2026, 12, 1), today)
    assert not is_follow_up_overdue("open", datetime(2026, 12, 20, 2), None, today, ZONE)
    assert not is_deadline_overdue("open", date(2026, 12, 20), today)
    assert is_follow_up_overdue("open", datetime(2026, 12, 1, 2), None, today, ZONE)
