"""Difficulty rules: status transitions (office or follow-up), the effect of a follow-up on its difficulty, and
the two kinds of lateness: 跟进逾期 (a follow-up date passed without a follow-up) and 办结超期 (a deadline passed
unresolved)."""

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

CATEGORIES = ("living", "housing", "medical", "employment", "education", "legal", "psychological", "other")
URGENCIES = ("normal", "urgent")
STATUSES = ("open", "in_progress", "resolved")
RESOLVED = "resolved"


def status_effect(status: str, at: datetime) -> dict:
    """What setting the status at `at` changes: when it changed, when it was resolved, and a resolved
    difficulty needs no further follow-up."""
    effect = {"status": status, "status_changed_at": at, "resolved_at": at if status == RESOLVED else None}
    if status == RESOLVED:
        effect["follow_up_at"] = None
    return effect


def follow_up_effect(difficulty: Mapping, follow_up: Mapping, latest_at: datetime | None = None) -> dict:
    """The fields a follow-up changes on its difficulty ({} for none).

    A difficulty follows its latest follow-up: one older than the latest already seen (`latest_at`), or older
    than the last status change (the office's, say), changes nothing, so follow-ups synced out of order never
    set anything back. Its `status` sets the status; its `next_follow_up_at` the next date (a resolved
    difficulty has none).
    """
    at = follow_up["at"]
    if (latest_at is not None and at < latest_at) or at < difficulty["status_changed_at"]:
        return {}
    effect = status_effect(follow_up["status"], at) if follow_up.get("status") else {}
    status = effect.get("status", difficulty["status"])
    if follow_up.get("next_follow_up_at") or status == RESOLVED:
        effect["follow_up_at"] = follow_up.get("next_follow_up_at")
    return {k: v for k, v in effect.items() if difficulty.get(k) != v}


def follow_up_errors(follow_up: Mapping) -> dict | None:
    """A resolving follow-up schedules no next one."""
    if follow_up.get("status") == RESOLVED and follow_up.get("next_follow_up_at"):
        return {"next_follow_up_at": ["A resolved difficulty needs no next follow-up."]}
    return None


# The two names of "逾期", used exactly so everywhere (board, phone, workbook, reminders):
FOLLOW_UP_OVERDUE = "跟进逾期"  # a follow-up date passed without a follow-up
DEADLINE_OVERDUE = "办结超期"  # the deadline (due_date, 办结时限) passed and the difficulty is not resolved


def local_day_start(day: date, zone: str) -> datetime:
    """The naive UTC instant at which a local calendar day of `zone` begins (times are stored in UTC)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def is_deadline_overdue(status: str, due_date: date | None, today: date) -> bool:
    """办结超期: unresolved after its deadline's local day ended (`today` is the county's local date)."""
    return status != RESOLVED and due_date is not None and due_date < today


is_overdue = is_deadline_overdue  # the board's `overdue` filter and flag (DESIGN) mean 办结超期


def follow_up_cutoff(today: date, zone: str) -> datetime:
    """A follow-up date before this instant (the start of the county's local today) has passed."""
    return local_day_start(today, zone)


def is_follow_up_overdue(status: str, follow_up_at: datetime | None, last_follow_up_at: datetime | None,
                         today: date, zone: str) -> bool:
    """跟进逾期: unresolved, its follow-up date's local day is over, and no follow-up was recorded on or after
    that day (a follow-up that set no next date still counts as the one that was due).

    Times are naive UTC; days are the county's (`zone`), so 23:30 local on the 3rd is due on the 3rd.
    """
    if status == RESOLVED or follow_up_at is None:
        return False
    due_day = follow_up_at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()
    if due_day >= today:
        return False
    return last_follow_up_at is None or last_follow_up_at < local_day_start(due_day, zone)
