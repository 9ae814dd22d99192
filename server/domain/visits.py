"""Visit rules: cash needs a signature or a reason, who may edit which visit, and review transitions."""

from collections.abc import Mapping

from ..services.errors import Forbidden, InvalidInput, InvalidTransition, VisitLocked

KINDS = ("festival", "routine", "hardship", "birthday", "hospital", "other")
STATUSES = ("submitted", "returned", "approved")
DECISIONS = ("approve", "return")
CASH_CENTS_MAX = 100_000_000  # one million yuan: far above any condolence payment, below any typo overflow
MAX_PHOTOS = 20
# Fields a visit.update may not set to null (each has a value on every visit).
NOT_NULL_ON_UPDATE = ("visited_at", "kind", "cash_cents", "photos")


def cash_signature_errors(cash_cents: int, signature, reason) -> dict | None:
    """Cash given needs the recipient's signature or a reason why there is none."""
    if cash_cents and not signature and not (reason and reason.strip()):
        return {"signature": ["发放慰问金需要受助人签字或填写未签字原因 / cash needs a signature or a reason"]}
    return None


def check_cash_signature(visit: Mapping) -> None:
    errors = cash_signature_errors(visit["cash_cents"], visit.get("signature"), visit.get("no_signature_reason"))
    if errors:
        raise InvalidInput("Invalid record", errors)


def check_editable(visit: Mapping, user_id: int) -> None:
    """Only its author edits a visit, and only until it is approved (DESIGN's order: forbidden, then locked)."""
    if visit["author_id"] != user_id:
        raise Forbidden("Only the author can edit a visit")
    if visit["status"] == "approved":
        raise VisitLocked("An approved visit can no longer be edited")


def check_patch(visit: Mapping, patch: Mapping) -> None:
    """A patch keeps the recipient and nulls no required field."""
    if "recipient_id" in patch and patch["recipient_id"] != visit["recipient_id"]:
        raise InvalidInput("Invalid record", {"recipient_id": ["cannot change"]})
    for key in NOT_NULL_ON_UPDATE:
        if key in patch and patch[key] is None:
            raise InvalidInput("Invalid record", {key: ["Field may not be null."]})


def status_after_edit(status: str) -> str:
    """The author's edit of a returned visit submits it again."""
    return "submitted" if status == "returned" else status


def review(status: str, decision: str, comment: str | None) -> tuple[str, str | None]:
    """(new status, comment) of a review: only a submitted visit is reviewed; a return says what to correct."""
    if status != "submitted":
        raise InvalidTransition(f"只能审核待审核的走访 / a {status} visit cannot be reviewed")
    comment = (comment or "").strip() or None
    if decision == "return" and not comment:
        raise InvalidInput("退回需要填写意见 / say what to correct", {"comment": ["required when returning"]})
    return ("approved" if decision == "approve" else "returned"), comment
