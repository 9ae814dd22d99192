"""The sync ops: what each mutation checks (domain rules, scope, versions) and the rows it stages.

Each op is a function (planner, mutation) → the staged State; it raises a domain error (answered
`rejected`) or Stale (answered `conflict` with the server's record), and stages nothing then.
"""

from sqlalchemy import select

from ...domain import difficulties as difficulty_rules
from ...domain import recipients as recipient_rules
from ...domain import visits as visit_rules
from ...extensions import db
from ...models import Difficulty, FollowUp, Visit
from ...schemas.records import VisitSchema
from .. import records
from ..creation.evidence import evidence_row
from ..errors import IdTaken, InvalidInput, MissingAttachment, NotFound
from .write import State


class Stale(Exception):
    """A create of an existing id, or an update on a stale base_version: answered `conflict` with `entity`."""

    def __init__(self, entity: dict):
        super().__init__("conflict")
        self.entity = entity


# -- checks shared by the ops --------------------------------------------------------------------------


def require_new(planner, entity_type: str, entity_id: str) -> None:
    """A create whose id exists: the server's record answers as a conflict, if the caller may see it."""
    if (entity_type, entity_id) not in planner.plan.states:
        return
    state = planner.visible(entity_type, entity_id)
    if state is None:
        raise IdTaken("This id belongs to another record", {"id": ["already used"]})
    raise Stale(records.entity(entity_type, state.row))


def require_village(planner, area_id: int) -> None:
    if not planner.in_scope(area_id) or planner.paths.level(area_id) != "village":
        raise InvalidInput("Invalid record", {"area_id": ["不是您辖区内的村(社区) / not a village in your area"]})


def check_id_number(planner, value: str | None, recipient_id: str, mutation: dict) -> list[str]:
    """Whether a recipient may hold this full ID number: the other holders outside the actor's scope.

    A holder the actor can see refuses it ("already registered": it tells them nothing they cannot see,
    and the answer is audited, as is every check, under an hourly limit); one they cannot see is no
    refusal — the record is flagged for the office instead (`flag_duplicates`), so the answer is the same
    as for a number nobody holds.
    """
    if not value:
        return []
    planner.count_id_number_check(mutation)
    holders = {other: area for other, area in planner.id_numbers.get(value, {}).items() if other != recipient_id}
    inside = sorted(other for other, area in holders.items() if planner.in_scope(area))
    if inside:
        planner.audit("recipient.id_number_taken", "recipient", inside[0],
                      {"mutation_id": mutation["id"], "recipient_id": recipient_id})
        raise InvalidInput("Invalid record", {"id_number": ["身份证号已登记 / this ID number is already registered"]})
    return sorted(holders)


def hold_id_number(planner, row: dict, old_number: str | None) -> None:
    """Keep the planner's holders current: the batch's later mutations see this one's number."""
    if old_number and old_number != row.get("id_number"):
        planner.id_numbers.get(old_number, {}).pop(row["id"], None)
    if row.get("id_number"):
        planner.id_numbers.setdefault(row["id_number"], {})[row["id"]] = row["area_id"]


def flag_duplicates(planner, row: dict, others: list[str], mutation: dict) -> None:
    """Stage a possible-duplicate flag for the office per other holder, with an audit row each."""
    for other in others:
        planner.plan.flags.append({"recipient_id": row["id"], "other_recipient_id": other,
                                   "created_by": planner.actor.user_id, "created_at": planner.now,
                                   "status": "open"})
        planner.audit("recipient.duplicate_flagged", "recipient", row["id"],
                      {"mutation_id": mutation["id"], "other_recipient_id": other})


def check_attachments(planner, data: dict) -> None:
    missing = [s for s in [*data.get("photos", []), data.get("signature")] if s and s not in planner.attachments]
    if missing:
        raise MissingAttachment("Upload the attachments first", {"attachments": missing})


def updatable(planner, entity_type: str, mutation: dict) -> State:
    """The update checks, in DESIGN's order up to (not including) the staleness check."""
    entity_id = mutation["data"].get("id")
    state = planner.visible(entity_type, entity_id.lower() if isinstance(entity_id, str) else None)
    if state is None:
        raise NotFound("No such record", {"id": ["not found"]})
    return state


def check_base_version(state: State, mutation: dict, entity_type: str) -> None:
    if mutation["base_version"] is None:
        raise InvalidInput("base_version is required",
                           {"base_version": ["An update needs the version it was based on."]})
    if mutation["base_version"] != state.row["version"]:
        raise Stale(records.entity(entity_type, state.row))


def visible_recipient(planner, recipient_id: str) -> State:
    recipient = planner.visible("recipient", recipient_id)
    if recipient is None:
        raise NotFound("The recipient is unknown or outside your area", {"recipient_id": ["not found"]})
    return recipient


# -- recipients ----------------------------------------------------------------------------------------


def recipient_create(planner, mutation: dict) -> State:
    data = planner.load_data("recipient", mutation)
    require_new(planner, "recipient", data["id"])
    if recipient_rules.is_masked(data.get("id_number")):
        data["id_number"] = None
    require_village(planner, data["area_id"])
    others = check_id_number(planner, data.get("id_number"), data["id"], mutation)
    now = planner.now
    row = {**data, "id_number_shared": bool(others), "created_by": planner.actor.user_id, "created_at": now,
           "updated_at": now, "version": 1}
    hold_id_number(planner, row, None)
    flag_duplicates(planner, row, others, mutation)
    return planner.stage("recipient", State(row, new=True))


def recipient_update(planner, mutation: dict) -> State:
    state = updatable(planner, "recipient", mutation)
    data = planner.load_data("recipient", mutation, partial=True)
    check_base_version(state, mutation, "recipient")
    data.pop("id", None)
    if recipient_rules.is_masked(data.get("id_number")):
        data.pop("id_number")  # a phone only holds the masked number: sending it back changes nothing
    if "area_id" in data:
        require_village(planner, data["area_id"])
    others = []
    if data.get("id_number"):
        others = check_id_number(planner, data["id_number"], state.row["id"], mutation)
    recipient_rules.check_patch(data)
    old_area, old_number = state.row["area_id"], state.row["id_number"]
    row = {**state.row, **data, "version": state.row["version"] + 1, "updated_at": planner.now}
    if "id_number" in data and data["id_number"] != old_number:
        row["id_number_shared"] = bool(others)
    else:
        others = []  # the number it already held: flagged (or not) when it was written
    hold_id_number(planner, row, old_number)
    flag_duplicates(planner, row, others, mutation)
    staged = planner.stage("recipient", State(row, new=state.new, old_area=state.old_area), old_area)
    if row["area_id"] != old_area:
        move_dependants(planner, row["id"], old_area, row["area_id"])
    return staged


def move_dependants(planner, recipient_id: str, old_area: int, new_area: int) -> None:
    """A recipient who moves takes their visits, difficulties and follow-ups to the new village."""
    states = planner.plan.states
    for model, entity_type in ((Visit, "visit"), (Difficulty, "difficulty")):
        ids = set(db.session.execute(select(model.id).where(model.recipient_id == recipient_id)).scalars())
        ids |= {k[1] for k, s in states.items() if k[0] == entity_type and s.row["recipient_id"] == recipient_id}
        planner.load_states({entity_type: ids})
        for entity_id in ids:
            state = states[(entity_type, entity_id)]
            state.row = {**state.row, "area_id": new_area}
            planner.stage(entity_type, state, old_area)
            if entity_type == "difficulty":
                f_ids = set(db.session.execute(
                    select(FollowUp.id).where(FollowUp.difficulty_id == entity_id)).scalars())
                planner.load_states({"followup": f_ids})
                for f_id in f_ids:
                    f_state = states[("followup", f_id)]
                    f_state.row = {**f_state.row, "area_id": new_area}
                    planner.stage("followup", f_state, old_area)


# -- visits --------------------------------------------------------------------------------------------


def visit_create(planner, mutation: dict) -> State:
    data = planner.load_data("visit", mutation)
    require_new(planner, "visit", data["id"])
    recipient = visible_recipient(planner, data["recipient_id"])
    VisitSchema.check_saved(data)
    check_attachments(planner, data)
    now = planner.now
    row = {**data, "author_id": planner.actor.user_id, "area_id": recipient.row["area_id"],
           "status": "submitted", "review_comment": None, "reviewed_by": None, "reviewed_at": None,
           "created_at": now, "updated_at": now, "version": 1}
    link_attachments(planner, row)
    return planner.stage("visit", State(row, new=True))


def visit_update(planner, mutation: dict) -> State:
    state = updatable(planner, "visit", mutation)
    visit_rules.check_editable(state.row, planner.actor.user_id)
    data = planner.load_data("visit", mutation, partial=True)
    check_base_version(state, mutation, "visit")
    data.pop("id", None)
    visit_rules.check_patch(state.row, data)
    row = {**state.row, **data}
    VisitSchema.check_saved(row)
    check_attachments(planner, data)
    row.update(version=state.row["version"] + 1, updated_at=planner.now,
               status=visit_rules.status_after_edit(row["status"]))
    if "photos" in data or "signature" in data:
        link_attachments(planner, row)
    return planner.stage("visit", State(row, new=state.new))


def link_attachments(planner, row: dict) -> None:
    for sha in {*(row.get("photos") or []), row.get("signature")} - {None}:
        planner.plan.links.append({"visit_id": row["id"], "sha256": sha})


# -- difficulties and follow-ups -----------------------------------------------------------------------


def difficulty_create(planner, mutation: dict) -> State:
    data = planner.load_data("difficulty", mutation)
    require_new(planner, "difficulty", data["id"])
    recipient = visible_recipient(planner, data["recipient_id"])
    if data.get("visit_id"):
        visit = planner.visible("visit", data["visit_id"])
        if visit is None or visit.row["recipient_id"] != data["recipient_id"]:
            raise NotFound("The visit is unknown or of another recipient", {"visit_id": ["not found"]})
    now = planner.now
    # Not `now`: follow-ups made offline after the difficulty but synced with it must still count.
    row = {**data, "author_id": planner.actor.user_id, "area_id": recipient.row["area_id"], "status": "open",
           "status_changed_at": planner.device_time(mutation), "assignee_id": None, "responsible_unit": None,
           "assignments": [], "resolved_at": None, "created_at": now, "updated_at": now, "version": 1}
    if row["urgency"] == "urgent":
        planner.plan.urgent.append(row)
    return planner.stage("difficulty", State(row, new=True))


def followup_create(planner, mutation: dict) -> State:
    data = planner.load_data("followup", mutation)
    require_new(planner, "followup", data["id"])
    difficulty = planner.visible("difficulty", data["difficulty_id"])
    if difficulty is None:
        raise NotFound("The difficulty is unknown or outside your area", {"difficulty_id": ["not found"]})
    row = {**data, "author_id": planner.actor.user_id, "area_id": difficulty.row["area_id"],
           "created_at": planner.now, "version": 1}
    apply_follow_up(planner, difficulty, row)
    return planner.stage("followup", State(row, new=True))


def apply_follow_up(planner, difficulty: State, followup: dict) -> None:
    """The difficulty takes the follow-up's effect (domain rule); the newest follow-up seen is remembered."""
    current = difficulty.row
    latest = planner.latest_follow_up.get(current["id"])
    effect = difficulty_rules.follow_up_effect(current, followup, latest)
    if latest is None or followup["at"] > latest:
        planner.latest_follow_up[current["id"]] = followup["at"]
    if effect:
        difficulty.row = {**current, **effect, "version": current["version"] + 1, "updated_at": planner.now}
        planner.stage("difficulty", difficulty)


# -- creation campaign evidence (a liaison's phone) -------------------------------------------------------


def evidence_create(planner, mutation: dict) -> State:
    data = planner.load_data("evidence", mutation)
    require_new(planner, "evidence", data["id"])
    row, keys = evidence_row(planner.creation_access(), data, planner.attachments, planner.now)
    return planner.stage("evidence", State(row, new=True), keys=keys)


HANDLERS = {
    "recipient.create": recipient_create,
    "recipient.update": recipient_update,
    "visit.create": visit_create,
    "visit.update": visit_update,
    "difficulty.create": difficulty_create,
    "followup.create": followup_create,
    "evidence.create": evidence_create,
}
# Who may send each op: field work is staff's (and the office's); evidence is liaisons' (and the office's).
FIELD_ROLES = ("staff", "reviewer", "admin")
OP_ROLES = {"evidence.create": ("liaison", "reviewer", "admin")}


def op_allowed(role: str, op: str) -> bool:
    return role in OP_ROLES.get(op, FIELD_ROLES)
