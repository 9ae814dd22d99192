"""Difficulty rules: status transitions (office or follow-up) and the effect of a follow-up on its difficulty."""

from collections.abc import Mapping
from datetime import date, datetime

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


def is_overdue(status: str, due_date: date | None, today: date) -> bool:
    return status != RESOLVED and due_date is not None and due_date < today
