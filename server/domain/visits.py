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


# -- what changed since a return (the reviewer of the resubmission sees fields before → after) -------------

# The visit's own fields compared, in the order the review page lists them; photos are compared as sets.
COMPARED_FIELDS = ("visited_at", "kind", "occasion", "participants", "gifts", "cash_cents", "notes", "location",
                   "signature", "no_signature_reason")
DIFFICULTY_FIELDS = ("category", "description", "urgency")


def review_snapshot(visit: Mapping, difficulties: list[Mapping], returned_at: str, comment: str | None) -> dict:
    """What a return keeps of the visit (plain JSON values, as the records write them)."""
    return {
        "returned_at": returned_at, "review_comment": comment,
        "fields": {key: visit.get(key) for key in COMPARED_FIELDS},
        "photos": list(visit.get("photos") or []),
        "difficulties": [{"id": d["id"], **{key: d.get(key) for key in DIFFICULTY_FIELDS}} for d in difficulties],
    }


def _field_changes(before: Mapping, after: Mapping, keys: tuple[str, ...]) -> list[dict]:
    return [{"field": key, "before": before.get(key), "after": after.get(key)}
            for key in keys if before.get(key) != after.get(key)]


def changes_since_return(snapshot: Mapping, visit: Mapping, difficulties: list[Mapping]) -> dict:
    """The visit now against its snapshot at the return: changed fields (before → after), photos added and
    removed (in their order), and its difficulties added, removed or changed."""
    now = review_snapshot(visit, difficulties, snapshot["returned_at"], snapshot.get("review_comment"))
    before_photos, after_photos = snapshot.get("photos") or [], now["photos"]
    then = {d["id"]: d for d in snapshot.get("difficulties") or []}
    current = {d["id"]: d for d in now["difficulties"]}
    changed_difficulties = []
    for d in now["difficulties"]:
        if d["id"] not in then:
            changed_difficulties.append({**d, "change": "added", "fields": []})
        elif fields := _field_changes(then[d["id"]], d, DIFFICULTY_FIELDS):
            changed_difficulties.append({**d, "change": "changed", "fields": fields})
    changed_difficulties += [{**d, "change": "removed", "fields": []}
                             for d in snapshot.get("difficulties") or [] if d["id"] not in current]
    return {
        "returned_at": snapshot["returned_at"], "review_comment": snapshot.get("review_comment"),
        "fields": _field_changes(snapshot.get("fields") or {}, now["fields"], COMPARED_FIELDS),
        "photos_added": [p for p in after_photos if p not in before_photos],
        "photos_removed": [p for p in before_photos if p not in after_photos],
        "difficulties": changed_difficulties,
    }
