"""Visit rules: cash needs a signature or a reason, who edits what, and review transitions."""

import pytest

from server.domain.visits import (
    cash_signature_errors,
    check_cash_signature,
    check_editable,
    check_patch,
    review,
    status_after_edit,
)
from server.services.errors import Forbidden, InvalidInput, InvalidTransition, VisitLocked

SHA = "a" * 64


def visit(**fields) -> dict:
    return {"author_id": 7, "status": "submitted", "recipient_id": "r-1", "cash_cents": 0, "signature": None,
            "no_signature_reason": None, **fields}


def test_cash_without_signature_or_reason_is_refused():
    errors = cash_signature_errors(50_000, None, None)
    assert list(errors) == ["signature"]
    with pytest.raises(InvalidInput) as caught:
        check_cash_signature(visit(cash_cents=50_000))
    assert caught.value.fields == errors and caught.value.message == "Invalid record"


@pytest.mark.parametrize(("cash", "signature", "reason"), [
    (0, None, None), (50_000, SHA, None), (50_000, None, "卧床无法签字"),
])
def test_no_cash_a_signature_or_a_reason_is_enough(cash, signature, reason):
    assert cash_signature_errors(cash, signature, reason) is None


def test_a_blank_reason_is_no_reason():
    assert cash_signature_errors(100, None, "   ") is not None


def test_only_the_author_edits_and_not_after_approval_forbidden_first():
    check_editable(visit(), 7)
    check_editable(visit(status="returned"), 7)
    with pytest.raises(Forbidden):
        check_editable(visit(), 8)
    with pytest.raises(Forbidden):  # DESIGN's order: not the author before approved
        check_editable(visit(status="approved"), 8)
    with pytest.raises(VisitLocked) as caught:
        check_editable(visit(status="approved"), 7)
    assert caught.value.code == "visit_locked"


def test_a_patch_keeps_the_recipient_and_required_fields():
    check_patch(visit(), {"recipient_id": "r-1", "notes": None})
    with pytest.raises(InvalidInput) as caught:
        check_patch(visit(), {"recipient_id": "r-2"})
    assert caught.value.fields == {"recipient_id": ["cannot change"]}
    for key in ("visited_at", "kind", "cash_cents", "photos"):
        with pytest.raises(InvalidInput) as caught:
            check_patch(visit(), {key: None})
        assert list(caught.value.fields) == [key]


def test_an_edit_submits_a_returned_visit_again():
    assert status_after_edit("returned") == "submitted"
    assert status_after_edit("submitted") == "submitted"


def test_review_approves_or_returns_a_submitted_visit():
    assert review("submitted", "approve", "  ") == ("approved", None)
    assert review("submitted", "return", " 补签字 ") == ("returned", "补签字")


@pytest.mark.parametrize("status", ["approved", "returned"])
def test_only_a_submitted_visit_is_reviewed(status):
    with pytest.raises(InvalidTransition) as caught:
        review(status, "approve", None)
    assert caught.value.code == "invalid_transition" and status in caught.value.message


def test_a_return_needs_a_comment():
    with pytest.raises(InvalidInput) as caught:
        review("submitted", "return", " ")
    assert caught.value.fields == {"comment": ["required when returning"]}


# -- what changed since a return --------------------------------------------------------------------------


def test_changes_since_return_lists_fields_photos_and_difficulties():
    from server.domain.visits import changes_since_return, review_snapshot

    visit = {"notes": "初稿", "cash_cents": 100, "signature": None, "no_signature_reason": "卧床",
             "photos": ["a", "b"], "kind": "routine"}
    kept = {"id": "d1", "category": "medical", "description": "看病难", "urgency": "normal"}
    edited = {"id": "d2", "category": "housing", "description": "漏雨", "urgency": "normal"}
    dropped = {"id": "d3", "category": "other", "description": "其他", "urgency": "normal"}
    snapshot = review_snapshot(visit, [kept, edited, dropped], "2026-12-04T01:00:00.000Z", "缺签字")
    now = {**visit, "notes": "已补", "signature": "s", "no_signature_reason": None, "photos": ["b", "c"]}
    added = {"id": "d4", "category": "legal", "description": "纠纷", "urgency": "urgent"}
    changes = changes_since_return(snapshot, now, [kept, {**edited, "urgency": "urgent"}, added])

    assert changes["fields"] == [
        {"field": "notes", "before": "初稿", "after": "已补"},
        {"field": "signature", "before": None, "after": "s"},
        {"field": "no_signature_reason", "before": "卧床", "after": None}]
    assert (changes["photos_added"], changes["photos_removed"]) == (["c"], ["a"])
    assert [(d["id"], d["change"], d["fields"]) for d in changes["difficulties"]] == [
        ("d2", "changed", [{"field": "urgency", "before": "normal", "after": "urgent"}]),
        ("d4", "added", []), ("d3", "removed", [])]
    assert (changes["returned_at"], changes["review_comment"]) == ("2026-12-04T01:00:00.000Z", "缺签字")


def test_nothing_changed_means_empty_lists():
    from server.domain.visits import changes_since_return, review_snapshot

    visit = {"notes": "x", "photos": ["a"]}
    changes = changes_since_return(review_snapshot(visit, [], "t", None), visit, [])
    assert changes["fields"] == changes["photos_added"] == changes["photos_removed"] == changes["difficulties"] == []
