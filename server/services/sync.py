"""Sync push: apply a device's mutations in order, each as if in its own savepoint, exactly once.

A batch is first *planned* in memory: every mutation is validated and checked against the records it
touches (loaded in a few queries, plus what earlier mutations of the batch made), giving its answer and
the rows it writes. The planned rows are then written with executemany inside one savepoint. If the
database refuses them (another request applied the same mutation or created the same id meanwhile: the
primary keys decide, never a check-then-insert), that savepoint is rolled back and the batch is applied
again one mutation per savepoint, each re-planned against what is now committed.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import orjson
from marshmallow import ValidationError
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import db
from ..models import AppliedMutation, Attachment, Difficulty, FollowUp, Recipient, Visit, VisitAttachment
from ..models.base import utcnow
from ..schemas.common import UtcDateTime
from ..schemas.fastload import FastLoader
from ..schemas.records import (
    DifficultySchema,
    FollowUpSchema,
    RecipientSchema,
    VisitSchema,
    cash_signature_errors,
)
from ..schemas.sync import OPS, MutationSchema
from . import bulk, changes, notifications, records
from .actors import Actor
from .scope import AreaPaths

log = logging.getLogger(__name__)

# FastLoader: marshmallow's own answer, through a compiled fast path for the input it is sure about.
MUTATION_SCHEMA = FastLoader(MutationSchema())
CREATE_SCHEMAS = {
    "recipient": FastLoader(RecipientSchema()),
    "visit": FastLoader(VisitSchema()),
    "difficulty": FastLoader(DifficultySchema()),
    "followup": FastLoader(FollowUpSchema()),
}
UPDATE_SCHEMAS = {
    "recipient": FastLoader(RecipientSchema(partial=True)),
    "visit": FastLoader(VisitSchema(partial=True)),
}
FUTURE_SLACK = timedelta(days=1)


class Rejected(Exception):
    """A mutation that cannot apply: answered `rejected` with this error; the batch goes on."""

    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.error = {"code": code, "message": message}
        if fields:
            self.error["fields"] = fields


class Conflict(Exception):
    def __init__(self, entity: dict):
        super().__init__("conflict")
        self.entity = entity


def payload_hash(mutation: dict) -> str:
    """Canonical JSON of what makes a mutation 'the same': op, data and base_version."""
    canonical = orjson.dumps(
        {"op": mutation.get("op"), "data": mutation.get("data"), "base_version": mutation.get("base_version")},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()


def device_time(mutation: dict, now):
    """When the device made the mutation (its client_time), never later than now; now if absent or bad."""
    try:
        made = UtcDateTime().deserialize(mutation.get("client_time"))
    except ValidationError:
        return now
    return min(made, now)


@dataclass
class State:
    """A record as the batch sees it: its row dict, whether it is new, and where it lived before."""

    row: dict
    new: bool
    old_area: int | None = None
    dirty: bool = False


@dataclass
class Plan:
    """What a planned batch writes, table by table."""

    states: dict = field(default_factory=dict)  # (type, id) -> State
    applied: list = field(default_factory=list)  # applied_mutations rows
    links: list = field(default_factory=list)  # visit_attachments rows
    audits: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    urgent: list = field(default_factory=list)  # difficulty rows to notify reviewers about


class Planner:
    """Plans mutations in order against preloaded rows and the batch's own earlier effects."""

    def __init__(self, actor: Actor):
        self.actor = actor
        self.paths = AreaPaths()
        self.plan = Plan()
        self.known: dict[str, dict] = {}
        self.attachments: set[str] = set()
        self.id_numbers: dict[str, str] = {}  # id_number -> recipient id
        self.latest_follow_up: dict[str, object] = {}  # difficulty id -> the newest follow-up's `at`
        # One clock reading per batch (like a database's transaction time), not one per row and column.
        self.now = utcnow()
        self._in_scope: dict[int | None, bool] = {}  # area id -> in the actor's scope
        self._handlers = {op: getattr(self, "_" + op.replace(".", "_")) for op in OPS}

    # -- loading ---------------------------------------------------------------------------------------

    def preload(self, mutations: list[dict]) -> None:
        """Load in a few queries everything the batch will look at."""
        wanted: dict[str, set] = {t: set() for t in CREATE_SCHEMAS}
        shas: set[str] = set()
        id_numbers: set[str] = set()
        followed: set[str] = set()
        for m in mutations:
            data = m.get("data") if isinstance(m, dict) else None
            if not isinstance(data, dict):
                continue
            entity_type = str(m.get("op", "")).split(".")[0]
            if entity_type == "followup" and isinstance(data.get("difficulty_id"), str):
                followed.add(data["difficulty_id"].lower())
            if entity_type in wanted and isinstance(data.get("id"), str):
                wanted[entity_type].add(data["id"].lower())
            for key, target in (("recipient_id", "recipient"), ("visit_id", "visit"),
                                ("difficulty_id", "difficulty")):
                if isinstance(data.get(key), str):
                    wanted[target].add(data[key].lower())
            photos = data.get("photos")
            if isinstance(photos, list):
                shas.update(p for p in photos if isinstance(p, str))
            if isinstance(data.get("signature"), str):
                shas.add(data["signature"])
            if isinstance(data.get("id_number"), str):
                id_numbers.add(data["id_number"].strip().upper())
        self.load_states(wanted)
        if shas:
            self.attachments = set(db.session.execute(
                select(Attachment.sha256).where(Attachment.sha256.in_(shas))).scalars())
        if id_numbers:
            self.id_numbers = dict(db.session.execute(
                select(Recipient.id_number, Recipient.id).where(Recipient.id_number.in_(id_numbers))).all())
        if followed:
            self.latest_follow_up = dict(db.session.execute(
                select(FollowUp.difficulty_id, func.max(FollowUp.at))
                .where(FollowUp.difficulty_id.in_(followed)).group_by(FollowUp.difficulty_id)).all())
        # Mutation ids last: on PostgreSQL each query sees what had committed when it began, so a record
        # another push created meanwhile comes with its mutation id (answered duplicate, not conflict).
        ids = [m["id"] for m in mutations if isinstance(m, dict) and isinstance(m.get("id"), str)]
        if ids:
            rows = db.session.execute(
                select(AppliedMutation.id, AppliedMutation.user_id, AppliedMutation.payload_hash,
                       AppliedMutation.entity_type, AppliedMutation.entity_id)
                .where(AppliedMutation.id.in_(ids))
            ).all()
            self.known = {r.id: {"user_id": r.user_id, "hash": r.payload_hash, "entity_type": r.entity_type,
                                 "entity_id": r.entity_id} for r in rows}

    def load_states(self, wanted: dict[str, set]) -> None:
        for entity_type, ids in wanted.items():
            ids = {i for i in ids if (entity_type, i) not in self.plan.states}
            if not ids:
                continue
            table = records.MODELS[entity_type].__table__
            for row in db.session.execute(select(table).where(table.c.id.in_(ids))).mappings():
                self.plan.states[(entity_type, row["id"])] = State(dict(row), new=False)
        self.paths.load(s.row["area_id"] for s in self.plan.states.values())

    # -- lookups ---------------------------------------------------------------------------------------

    def in_scope(self, area_id: int | None) -> bool:
        found = self._in_scope.get(area_id)
        if found is None:
            found = self._in_scope[area_id] = self.paths.in_scope(self.actor, area_id)
        return found

    def visible(self, entity_type: str, entity_id: str | None) -> State | None:
        if entity_id is None:
            return None
        state = self.plan.states.get((entity_type, entity_id))
        if state is None or not self.in_scope(state.row["area_id"]):
            return None
        return state

    def entity(self, entity_type: str, entity_id: str) -> dict:
        state = self.plan.states.get((entity_type, entity_id))
        if state is None:
            self.load_states({entity_type: {entity_id}})
            state = self.plan.states.get((entity_type, entity_id))
        if state is None or not self.in_scope(state.row["area_id"]):
            return records.tombstone(entity_type, entity_id)
        return records.entity(entity_type, state.row)

    # -- planning --------------------------------------------------------------------------------------

    def plan_one(self, raw) -> dict:
        """Answer one mutation, staging its writes only when it applies."""
        mutation_id = raw.get("id") if isinstance(raw, dict) else None
        try:
            mutation = MUTATION_SCHEMA.load(raw)
        except ValidationError as err:
            return {"id": mutation_id if isinstance(mutation_id, str) else None, "status": "rejected",
                    "error": {"code": "validation_error", "message": "Invalid mutation",
                              "fields": err.messages}}
        mutation_id = mutation["id"]
        digest = payload_hash(raw)
        known = self.known.get(mutation_id)
        if known is not None:
            if known["user_id"] == self.actor.user_id and known["hash"] == digest:
                return {"id": mutation_id, "status": "duplicate",
                        "entity": self.entity(known["entity_type"], known["entity_id"])}
            return {"id": mutation_id, "status": "rejected",
                    "error": {"code": "mutation_id_reused",
                              "message": "This mutation id was used before for another change"}}
        op = mutation["op"]
        if op not in OPS:
            return {"id": mutation_id, "status": "rejected",
                    "error": {"code": "validation_error", "message": "Unknown op",
                              "fields": {"op": [f"Must be one of: {', '.join(OPS)}."]}}}
        entity_type = op.split(".", 1)[0]
        try:
            state = self._handlers[op](mutation)
        except Rejected as err:
            return {"id": mutation_id, "status": "rejected", "error": err.error}
        except Conflict as err:
            return {"id": mutation_id, "status": "conflict", "entity": err.entity}
        entity_id = state.row["id"]
        actor = self.actor
        self.known[mutation_id] = {"user_id": actor.user_id, "hash": digest, "entity_type": entity_type,
                                   "entity_id": entity_id}
        self.plan.applied.append({
            "id": mutation_id, "user_id": actor.user_id, "device_id": actor.device_id, "op": op,
            "payload_hash": digest, "entity_type": entity_type, "entity_id": entity_id, "applied_at": self.now,
        })
        self.plan.audits.append({
            "at": self.now, "user_id": actor.user_id, "action": op, "entity_type": entity_type,
            "entity_id": entity_id, "device_id": actor.device_id, "ip": actor.ip,
            "details": {"mutation_id": mutation_id},
        })
        return {"id": mutation_id, "status": "applied", "entity": records.entity(entity_type, state.row)}

    def _load_data(self, entity_type: str, mutation: dict, partial: bool = False) -> dict:
        schema = (UPDATE_SCHEMAS if partial else CREATE_SCHEMAS)[entity_type]
        try:
            data = schema.load(mutation["data"])
        except ValidationError as err:
            raise Rejected("validation_error", "Invalid record", err.messages) from err
        latest = self.now + FUTURE_SLACK
        for key in ("visited_at", "at"):
            if data.get(key) and data[key] > latest:
                raise Rejected("validation_error", "Invalid record", {key: ["时间不能晚于现在 / in the future"]})
        return data

    def _require_new(self, entity_type: str, entity_id: str) -> None:
        """A create whose id exists: the server's record answers as a conflict, if the caller may see it."""
        if (entity_type, entity_id) not in self.plan.states:
            return
        state = self.visible(entity_type, entity_id)
        if state is None:
            raise Rejected("id_taken", "This id belongs to another record", {"id": ["already used"]})
        raise Conflict(records.entity(entity_type, state.row))

    def _require_village(self, area_id: int) -> None:
        if not self.in_scope(area_id) or self.paths.level(area_id) != "village":
            raise Rejected("validation_error", "Invalid record",
                           {"area_id": ["不是您辖区内的村(社区) / not a village in your area"]})

    def _check_id_number(self, value: str | None, recipient_id: str) -> None:
        if not value:
            return
        owner = self.id_numbers.get(value)
        if owner is not None and owner != recipient_id:
            raise Rejected("validation_error", "Invalid record",
                           {"id_number": ["身份证号已登记 / this ID number is already registered"]})

    def _check_attachments(self, data: dict) -> None:
        missing = [s for s in [*data.get("photos", []), data.get("signature")] if s and s not in self.attachments]
        if missing:
            raise Rejected("missing_attachment", "Upload the attachments first", {"attachments": missing})

    def _updatable(self, entity_type: str, mutation: dict) -> State:
        """The update checks, in DESIGN's order up to (not including) the staleness check."""
        data = mutation["data"]
        entity_id = data.get("id")
        state = self.visible(entity_type, entity_id.lower() if isinstance(entity_id, str) else None)
        if state is None:
            raise Rejected("not_found", "No such record", {"id": ["not found"]})
        return state

    def _check_base_version(self, entity_type: str, state: State, mutation: dict) -> None:
        if mutation["base_version"] is None:
            raise Rejected("validation_error", "base_version is required",
                           {"base_version": ["An update needs the version it was based on."]})
        if mutation["base_version"] != state.row["version"]:
            raise Conflict(records.entity(entity_type, state.row))

    def _stage(self, entity_type: str, state: State, old_area: int | None = None) -> State:
        key = (entity_type, state.row["id"])
        self.plan.states[key] = state
        state.dirty = True
        self.plan.changes.append((entity_type, state.row["id"], state.row["area_id"]))
        if old_area is not None and old_area != state.row["area_id"]:
            self.plan.changes.append((entity_type, state.row["id"], old_area))
        return state

    # -- ops -------------------------------------------------------------------------------------------

    def _recipient_create(self, mutation: dict) -> State:
        data = self._load_data("recipient", mutation)
        self._require_new("recipient", data["id"])
        if data.get("id_number") and "*" in data["id_number"]:
            data["id_number"] = None
        self._require_village(data["area_id"])
        self._check_id_number(data.get("id_number"), data["id"])
        now = self.now
        row = {**data, "created_by": self.actor.user_id, "created_at": now, "updated_at": now, "version": 1}
        if row.get("id_number"):
            self.id_numbers[row["id_number"]] = row["id"]
        return self._stage("recipient", State(row, new=True))

    def _recipient_update(self, mutation: dict) -> State:
        state = self._updatable("recipient", mutation)
        data = self._load_data("recipient", mutation, partial=True)
        self._check_base_version("recipient", state, mutation)
        data.pop("id", None)
        if data.get("id_number") and "*" in data["id_number"]:
            data.pop("id_number")  # a phone only holds the masked number: sending it back changes nothing
        if "area_id" in data:
            self._require_village(data["area_id"])
        if data.get("id_number"):
            self._check_id_number(data["id_number"], state.row["id"])
        for key in ("name", "category"):
            if key in data and data[key] is None:
                raise Rejected("validation_error", "Invalid record", {key: ["Field may not be null."]})
        old_area = state.row["area_id"]
        row = {**state.row, **data, "version": state.row["version"] + 1, "updated_at": self.now}
        if row.get("id_number"):
            self.id_numbers[row["id_number"]] = row["id"]
        staged = self._stage("recipient", State(row, new=state.new, old_area=state.old_area), old_area)
        if row["area_id"] != old_area:
            self._move_dependants(row["id"], old_area, row["area_id"])
        return staged

    def _move_dependants(self, recipient_id: str, old_area: int, new_area: int) -> None:
        """A recipient who moves takes their visits, difficulties and follow-ups to the new village."""
        for model, entity_type in ((Visit, "visit"), (Difficulty, "difficulty")):
            ids = set(db.session.execute(select(model.id).where(model.recipient_id == recipient_id)).scalars())
            ids |= {k[1] for k, s in self.plan.states.items()
                    if k[0] == entity_type and s.row["recipient_id"] == recipient_id}
            self.load_states({entity_type: ids})
            for entity_id in ids:
                state = self.plan.states[(entity_type, entity_id)]
                state.row = {**state.row, "area_id": new_area}
                self._stage(entity_type, state, old_area)
                if entity_type == "difficulty":
                    f_ids = set(db.session.execute(
                        select(FollowUp.id).where(FollowUp.difficulty_id == entity_id)).scalars())
                    self.load_states({"followup": f_ids})
                    for f_id in f_ids:
                        f_state = self.plan.states[("followup", f_id)]
                        f_state.row = {**f_state.row, "area_id": new_area}
                        self._stage("followup", f_state, old_area)

    def _visit_create(self, mutation: dict) -> State:
        data = self._load_data("visit", mutation)
        self._require_new("visit", data["id"])
        recipient = self.visible("recipient", data["recipient_id"])
        if recipient is None:
            raise Rejected("not_found", "The recipient is unknown or outside your area",
                           {"recipient_id": ["not found"]})
        errors = cash_signature_errors(data["cash_cents"], data.get("signature"), data.get("no_signature_reason"))
        if errors:
            raise Rejected("validation_error", "Invalid record", errors)
        self._check_attachments(data)
        now = self.now
        row = {**data, "author_id": self.actor.user_id, "area_id": recipient.row["area_id"],
               "status": "submitted", "review_comment": None, "reviewed_by": None, "reviewed_at": None,
               "created_at": now, "updated_at": now, "version": 1}
        self._link_attachments(row)
        return self._stage("visit", State(row, new=True))

    def _visit_update(self, mutation: dict) -> State:
        state = self._updatable("visit", mutation)
        if state.row["author_id"] != self.actor.user_id:
            raise Rejected("forbidden", "Only the author can edit a visit")
        if state.row["status"] == "approved":
            raise Rejected("visit_locked", "An approved visit can no longer be edited")
        data = self._load_data("visit", mutation, partial=True)
        self._check_base_version("visit", state, mutation)
        data.pop("id", None)
        if "recipient_id" in data and data["recipient_id"] != state.row["recipient_id"]:
            raise Rejected("validation_error", "Invalid record", {"recipient_id": ["cannot change"]})
        for key in ("visited_at", "kind", "cash_cents", "photos"):
            if key in data and data[key] is None:
                raise Rejected("validation_error", "Invalid record", {key: ["Field may not be null."]})
        row = {**state.row, **data}
        errors = cash_signature_errors(row["cash_cents"], row.get("signature"), row.get("no_signature_reason"))
        if errors:
            raise Rejected("validation_error", "Invalid record", errors)
        self._check_attachments(data)
        row.update(version=state.row["version"] + 1, updated_at=self.now)
        if row["status"] == "returned":
            row["status"] = "submitted"
        if "photos" in data or "signature" in data:
            self._link_attachments(row)
        return self._stage("visit", State(row, new=state.new))

    def _link_attachments(self, row: dict) -> None:
        for sha in {*(row.get("photos") or []), row.get("signature")} - {None}:
            self.plan.links.append({"visit_id": row["id"], "sha256": sha})

    def _difficulty_create(self, mutation: dict) -> State:
        data = self._load_data("difficulty", mutation)
        self._require_new("difficulty", data["id"])
        recipient = self.visible("recipient", data["recipient_id"])
        if recipient is None:
            raise Rejected("not_found", "The recipient is unknown or outside your area",
                           {"recipient_id": ["not found"]})
        if data.get("visit_id"):
            visit = self.visible("visit", data["visit_id"])
            if visit is None or visit.row["recipient_id"] != data["recipient_id"]:
                raise Rejected("not_found", "The visit is unknown or of another recipient",
                               {"visit_id": ["not found"]})
        now = self.now
        # Not `now`: follow-ups made offline after the difficulty but synced with it must still count.
        row = {**data, "author_id": self.actor.user_id, "area_id": recipient.row["area_id"], "status": "open",
               "status_changed_at": device_time(mutation, now), "assignee_id": None, "responsible_unit": None,
               "resolved_at": None, "created_at": now, "updated_at": now, "version": 1}
        if row["urgency"] == "urgent":
            self.plan.urgent.append(row)
        return self._stage("difficulty", State(row, new=True))

    def _followup_create(self, mutation: dict) -> State:
        data = self._load_data("followup", mutation)
        self._require_new("followup", data["id"])
        difficulty = self.visible("difficulty", data["difficulty_id"])
        if difficulty is None:
            raise Rejected("not_found", "The difficulty is unknown or outside your area",
                           {"difficulty_id": ["not found"]})
        row = {**data, "author_id": self.actor.user_id, "area_id": difficulty.row["area_id"],
               "created_at": self.now, "version": 1}
        self._apply_follow_up(difficulty, row)
        return self._stage("followup", State(row, new=True))

    def _apply_follow_up(self, difficulty: State, followup: dict) -> None:
        """The difficulty's status and next date follow its latest follow-up (never an older one, nor one
        older than the office's last status change): follow-ups synced out of order change nothing back."""
        current = difficulty.row
        latest = self.latest_follow_up.get(current["id"])
        if latest is not None and followup["at"] < latest:
            return
        self.latest_follow_up[current["id"]] = followup["at"]
        if followup["at"] < current["status_changed_at"]:
            return
        changed = dict(current)
        if followup.get("status"):
            changed["status"] = followup["status"]
            changed["status_changed_at"] = followup["at"]
            changed["resolved_at"] = followup["at"] if followup["status"] == "resolved" else None
        if followup.get("next_follow_up_at") or changed["status"] == "resolved":
            changed["follow_up_at"] = followup.get("next_follow_up_at")
        if changed != current:
            changed["version"] = current["version"] + 1
            changed["updated_at"] = self.now
            difficulty.row = changed
            self._stage("difficulty", difficulty)


WRITE_ORDER = ("recipient", "visit", "difficulty", "followup")
_INSERTS: dict = {}  # table -> its INSERT statement, built once (building one costs as much as 50 rows)


def _insert(table):
    stmt = _INSERTS.get(table)
    if stmt is None:
        stmt = _INSERTS[table] = insert(table)
    return stmt


def write_plan(plan: Plan) -> None:
    """Write a planned batch: inserts and updates with executemany, in dependency order."""
    session = db.session
    for entity_type in WRITE_ORDER:
        table = records.MODELS[entity_type].__table__
        staged = [s for (t, _), s in plan.states.items() if t == entity_type and s.dirty]
        # Sorted by id: concurrent batches take their row locks in one order, so they cannot deadlock.
        new_rows = sorted((s.row for s in staged if s.new), key=lambda r: r["id"])
        if new_rows:
            bulk.insert_many(session, _insert(table), new_rows)
        old_rows = sorted((s.row for s in staged if not s.new), key=lambda r: r["id"])
        if old_rows:
            columns = [c.key for c in table.columns if c.key != "id"]
            stmt = (update(table).where(table.c.id == bindparam("_id"))
                    .values({c: bindparam(c) for c in columns}))
            session.execute(stmt, [{"_id": r["id"], **{c: r[c] for c in columns}} for r in old_rows])
    if plan.links:
        unique_links = list({(r["visit_id"], r["sha256"]): r for r in plan.links}.values())
        existing = set(session.execute(
            select(VisitAttachment.visit_id, VisitAttachment.sha256)
            .where(VisitAttachment.visit_id.in_({r["visit_id"] for r in unique_links}))).all())
        fresh = [r for r in unique_links if (r["visit_id"], r["sha256"]) not in existing]
        if fresh:
            bulk.insert_many(session, _insert(VisitAttachment.__table__), fresh)
    if plan.applied:
        bulk.insert_many(session, _insert(AppliedMutation.__table__),
                         sorted(plan.applied, key=lambda r: r["id"]))
    session.flush()


def _queue_side_effects(plan: Plan) -> None:
    """Hand the plan's change-log rows, audit rows and notifications to the transaction."""
    for entity_type, entity_id, area_id in plan.changes:
        changes.record_change(entity_type, entity_id, area_id)
    db.session.info.setdefault(changes.AUDITS, []).extend(plan.audits)
    for difficulty in plan.urgent:
        notifications.notify_urgent_difficulty(difficulty)


def _apply(actor: Actor, mutations: list) -> list[dict]:
    """Plan and write mutations inside a savepoint; IntegrityError propagates after the rollback."""
    planner = Planner(actor)
    planner.preload(mutations)
    results = [planner.plan_one(m) for m in mutations]
    position = changes.mark()
    savepoint = db.session.begin_nested()
    try:
        write_plan(planner.plan)
        _queue_side_effects(planner.plan)
        savepoint.commit()
    except Exception:
        savepoint.rollback()
        changes.rollback_to(position)
        raise
    return results


# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and may run again.
RETRYABLE_SQLSTATES = ("40P01", "40001")
PUSH_ATTEMPTS = 5


def push(actor: Actor, mutations: list) -> dict:
    """Apply a device's batch in order; answer every mutation; commit once.

    When another push commits some of the same ids first (a retry, a second tab), the whole transaction is
    rolled back and planned again, so those now answer duplicate: holding no locks between attempts, and
    writing rows in one order, concurrent batches never deadlock. Only the last attempt falls back to one
    savepoint per mutation (which can deadlock, and is then run again too, while attempts remain).
    """
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        last = attempt == PUSH_ATTEMPTS
        try:
            return _push_once(actor, mutations, one_by_one_on_race=last)
        except IntegrityError:
            if last:
                raise
            log.info("push batch raced another writer; planning it again (attempt %d)", attempt + 1)
        except OperationalError as err:
            if last or getattr(err.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                raise
            log.info("push batch deadlocked with another writer; running it again (attempt %d)", attempt + 1)
        db.session.rollback()
        db.session.info.pop(changes.LAST_SEQ, None)
    raise AssertionError("unreachable")


def _push_once(actor: Actor, mutations: list, one_by_one_on_race: bool) -> dict:
    try:
        results = _apply(actor, mutations)
    except IntegrityError:
        if not one_by_one_on_race:
            raise
        log.info("push batch raced another writer; applying one mutation at a time")
        results = []
        for mutation in mutations:
            try:
                results.extend(_apply(actor, [mutation]))
            except IntegrityError:
                # Re-planned against what is now committed: the race's winner answers (duplicate/conflict).
                results.extend(_apply(actor, [mutation]))
    # Numbering the queued changes (at the savepoint's or the transaction's commit) leaves the newest
    # number in the session; read it only when this push changed nothing.
    info = db.session.info
    cursor = None if info.get(changes.CHANGES) or changes.LAST_SEQ in info else changes.newest_change()
    db.session.commit()
    found = db.session.info.pop(changes.LAST_SEQ, None)
    return {"results": results, "cursor": found if found is not None else cursor}
