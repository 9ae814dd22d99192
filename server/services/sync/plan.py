"""Planning a push batch in memory: each mutation's answer and the rows it would write, nothing written.

Every mutation is validated and checked against the records it touches (loaded in a few queries, plus what
earlier mutations of the batch made). `plan_batch` is the whole dry run: the roster import's check uses it,
and `push` writes its Plan (write.py).
"""

import hashlib
from datetime import timedelta

import orjson
from marshmallow import ValidationError
from sqlalchemy import func, select

from ...database import dict_rows, in_values
from ...extensions import db
from ...models import AppliedMutation, FollowUp, IdNumberCheck, Recipient
from ...models.base import utcnow
from ...schemas.common import UtcDateTime
from ...schemas.fastload import FastLoader
from ...schemas.records import DifficultySchema, EvidenceSchema, FollowUpSchema, RecipientSchema, VisitSchema
from ...schemas.sync import OPS, MutationSchema
from .. import records
from ..actors import Actor
from ..attachments import namable_attachments
from ..changes import audit_row
from ..creation.access import Access
from ..errors import DomainError, Forbidden, InvalidInput, MutationIdReused, RateLimited
from ..scope import AreaPaths
from .ops import HANDLERS, Stale, op_allowed
from .write import Plan, State

# FastLoader: marshmallow's own answer, through a compiled fast path for the input it is sure about.
MUTATION_SCHEMA = FastLoader(MutationSchema())
CREATE_SCHEMAS = {
    "recipient": FastLoader(RecipientSchema()),
    "visit": FastLoader(VisitSchema()),
    "difficulty": FastLoader(DifficultySchema()),
    "followup": FastLoader(FollowUpSchema()),
    "evidence": FastLoader(EvidenceSchema()),
}
UPDATE_SCHEMAS = {
    "recipient": FastLoader(RecipientSchema(partial=True)),
    "visit": FastLoader(VisitSchema(partial=True)),
}
# The hourly limit on full ID numbers a user sends (ops.check_id_number): counted over this window.
ID_NUMBER_CHECK_WINDOW = timedelta(hours=1)


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


class Planner:
    """Plans mutations in order against preloaded rows and the batch's own earlier effects."""

    def __init__(self, actor: Actor, id_number_limit: int | None = None):
        self.actor = actor
        self.paths = AreaPaths()
        self.plan = Plan()
        self.known: dict[str, dict] = {}
        self.attachments: set[str] = set()  # the attachments the actor may name (attachments.py)
        self.id_numbers: dict[str, dict[str, int]] = {}  # id_number -> {recipient id: its area id}
        # At most this many full ID numbers per user per ID_NUMBER_CHECK_WINDOW (None: no limit, e.g. the
        # office's roster import); checks made before this batch are counted on the first one.
        self.id_number_limit = id_number_limit
        self._checks_before: int | None = None
        self._limited: dict | None = None  # the batch's audit row of refused checks
        self.latest_follow_up: dict[str, object] = {}  # difficulty id -> the newest follow-up's `at`
        # One clock reading per batch (like a database's transaction time), not one per row and column.
        self.now = utcnow()
        self._in_scope: dict[int | None, bool] = {}  # area id -> in the actor's scope
        self._creation: Access | None = None  # the creation records' scope (by unit), made when first needed

    # -- loading ---------------------------------------------------------------------------------------

    def preload(self, mutations: list[dict]) -> None:
        """Load in a few queries everything the batch will look at (again for each batch of a long run)."""
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
            for key in ("signature", "sha256"):
                if isinstance(data.get(key), str):
                    shas.add(data[key])
            if isinstance(data.get("id_number"), str):
                id_numbers.add(data["id_number"].strip().upper())
        self.load_states(wanted)
        # What earlier batches of the same planner staged wins over what the database holds.
        shas -= self.attachments
        if shas:
            self.attachments.update(namable_attachments(self.actor, shas))
        id_numbers -= self.id_numbers.keys()
        if id_numbers:
            for number in id_numbers:
                self.id_numbers[number] = {}
            rows = db.session.execute(select(Recipient.id_number, Recipient.id, Recipient.area_id)
                                      .where(Recipient.id_number.in_(id_numbers))).all()
            for number, recipient_id, area_id in rows:
                self.id_numbers[number][recipient_id] = area_id
            self.paths.load(r.area_id for r in rows)
        followed -= self.latest_follow_up.keys()
        if followed:
            self.latest_follow_up.update(db.session.execute(
                select(FollowUp.difficulty_id, func.max(FollowUp.at))
                .where(FollowUp.difficulty_id.in_(followed)).group_by(FollowUp.difficulty_id)).all())
        # Mutation ids last: on PostgreSQL each query sees what had committed when it began, so a record
        # another push created meanwhile comes with its mutation id (answered duplicate, not conflict).
        ids = [m["id"] for m in mutations if isinstance(m, dict) and isinstance(m.get("id"), str)]
        if ids:
            rows = db.session.execute(
                select(AppliedMutation.id, AppliedMutation.user_id, AppliedMutation.payload_hash,
                       AppliedMutation.entity_type, AppliedMutation.entity_id)
                .where(in_values(AppliedMutation.id, ids))
            ).all()
            self.known.update({r.id: {"user_id": r.user_id, "hash": r.payload_hash,
                                      "entity_type": r.entity_type, "entity_id": r.entity_id}
                               for r in rows if r.id not in self.known})

    def load_states(self, wanted: dict[str, set]) -> None:
        for entity_type, ids in wanted.items():
            ids = {i for i in ids if (entity_type, i) not in self.plan.states}
            if not ids:
                continue
            table = records.MODELS[entity_type].__table__
            for row in dict_rows(db.session.execute(select(table).where(in_values(table.c.id, ids)))):
                self.plan.states[(entity_type, row["id"])] = State(row, new=False)
        self.paths.load(s.row.get("area_id") for s in self.plan.states.values())

    # -- lookups ---------------------------------------------------------------------------------------

    def in_scope(self, area_id: int | None) -> bool:
        found = self._in_scope.get(area_id)
        if found is None:
            found = self._in_scope[area_id] = self.paths.in_scope(self.actor, area_id)
        return found

    def creation_access(self) -> Access:
        if self._creation is None:
            self._creation = Access(self.actor)
        return self._creation

    def sees(self, entity_type: str, row: dict) -> bool:
        """Whether the actor may see a record: by its area, or a creation record by its unit."""
        if entity_type in records.UNIT_SCOPED:
            return self.creation_access().sees(entity_type, row)
        return self.in_scope(row["area_id"])

    def visible(self, entity_type: str, entity_id: str | None) -> State | None:
        if entity_id is None:
            return None
        state = self.plan.states.get((entity_type, entity_id))
        if state is None or not self.sees(entity_type, state.row):
            return None
        return state

    def entity(self, entity_type: str, entity_id: str) -> dict:
        state = self.plan.states.get((entity_type, entity_id))
        if state is None:
            self.load_states({entity_type: {entity_id}})
            state = self.plan.states.get((entity_type, entity_id))
        if state is None or not self.sees(entity_type, state.row):
            return records.tombstone(entity_type, entity_id)
        return records.entity(entity_type, state.row)

    # -- planning --------------------------------------------------------------------------------------

    def plan_one(self, raw) -> dict:
        """Answer one mutation, staging its writes only when it applies."""
        mutation_id = raw.get("id") if isinstance(raw, dict) else None
        try:
            mutation = MUTATION_SCHEMA.load(raw)
        except ValidationError as err:
            # The answer's id is always a string (the schema says so): "" for a mutation without one.
            return {"id": mutation_id if isinstance(mutation_id, str) else "", "status": "rejected",
                    "error": InvalidInput("Invalid mutation", err.messages, raw).to_dict()}
        mutation_id = mutation["id"]
        digest = payload_hash(raw)
        known = self.known.get(mutation_id)
        if known is not None:
            if known["user_id"] == self.actor.user_id and known["hash"] == digest:
                return {"id": mutation_id, "status": "duplicate",
                        "entity": self.entity(known["entity_type"], known["entity_id"])}
            return {"id": mutation_id, "status": "rejected",
                    "error": MutationIdReused("This mutation id was used before for another change").to_dict()}
        op = mutation["op"]
        if op not in OPS:
            return {"id": mutation_id, "status": "rejected",
                    "error": InvalidInput("Unknown op", {"op": [f"Must be one of: {', '.join(OPS)}."]}).to_dict()}
        entity_type = op.split(".", 1)[0]
        if not op_allowed(self.actor.role, op):
            return {"id": mutation_id, "status": "rejected",
                    "error": Forbidden("您的角色不能提交此类记录 / not an op for your role").to_dict()}
        try:
            state = HANDLERS[op](self, mutation)
        except DomainError as err:
            return {"id": mutation_id, "status": "rejected", "error": err.to_dict()}
        except Stale as err:
            return {"id": mutation_id, "status": "conflict", "entity": err.entity}
        entity_id = state.row["id"]
        actor = self.actor
        self.known[mutation_id] = {"user_id": actor.user_id, "hash": digest, "entity_type": entity_type,
                                   "entity_id": entity_id}
        self.plan.applied.append({
            "id": mutation_id, "user_id": actor.user_id, "device_id": actor.device_id, "op": op,
            "payload_hash": digest, "entity_type": entity_type, "entity_id": entity_id, "applied_at": self.now,
        })
        self.audit(op, entity_type, entity_id, {"mutation_id": mutation_id})
        return {"id": mutation_id, "status": "applied", "entity": records.entity(entity_type, state.row)}

    def audit(self, action: str, entity_type: str | None, entity_id: str | None, details: dict) -> dict:
        row = audit_row(self.actor, action, entity_type, entity_id, details, at=self.now)
        self.plan.audits.append(row)
        return row

    def count_id_number_check(self, mutation: dict) -> None:
        """Count one full ID number the actor sent, whatever it will be answered; over the limit, refuse it.

        Every check counts, not only the "already registered" answers: finding one number by its candidates
        takes a single such answer, but hundreds of checks. Refusing the check itself (not its answer) keeps
        the refusal independent of whether the number exists.
        """
        if self.id_number_limit is None:
            return
        if self._checks_before is None:
            since = self.now - ID_NUMBER_CHECK_WINDOW
            self._checks_before = db.session.execute(
                select(func.count()).select_from(IdNumberCheck)
                .where(IdNumberCheck.user_id == self.actor.user_id, IdNumberCheck.at > since)).scalar_one()
        if self._checks_before + len(self.plan.checks) >= self.id_number_limit:
            if self._limited is None:
                self._limited = self.audit("recipient.id_number_rate_limited", None, None,
                                           {"limit": self.id_number_limit, "refused": 0, "mutation_ids": []})
            details = self._limited["details"]
            details["refused"] += 1
            if len(details["mutation_ids"]) < 20:
                details["mutation_ids"].append(mutation["id"])
            raise RateLimited("身份证号核验过于频繁，请一小时后再试 / too many ID numbers sent; try again in an hour")
        self.plan.checks.append({"user_id": self.actor.user_id, "at": self.now})

    # -- what the ops use (ops.py) ---------------------------------------------------------------------

    def load_data(self, entity_type: str, mutation: dict, partial: bool = False) -> dict:
        schema = (UPDATE_SCHEMAS if partial else CREATE_SCHEMAS)[entity_type]
        try:
            data = schema.load(mutation["data"])
        except ValidationError as err:
            raise InvalidInput("Invalid record", err.messages, mutation["data"]) from err
        return data

    def device_time(self, mutation: dict):
        return device_time(mutation, self.now)

    def stage(self, entity_type: str, state: State, old_area: int | None = None, keys=None) -> State:
        """Stage a record's write and its change-log rows: under its area, or under `keys` (a creation
        record's units)."""
        key = (entity_type, state.row["id"])
        self.plan.states[key] = state
        state.dirty = True
        for area in keys if keys is not None else (state.row["area_id"],):
            self.plan.changes.append((entity_type, state.row["id"], area))
        if old_area is not None and old_area != state.row["area_id"]:
            self.plan.changes.append((entity_type, state.row["id"], old_area))
        return state


def plan_batch(actor: Actor, mutations: list, planner: Planner | None = None,
               id_number_limit: int | None = None) -> tuple[Planner, list[dict]]:
    """Plan mutations in order, writing nothing: (the planner, whose `plan` holds the rows, one answer each).

    Pass the same planner again to plan a long run batch by batch as if each earlier batch had been written.
    """
    planner = planner or Planner(actor, id_number_limit)
    planner.preload(mutations)
    return planner, [planner.plan_one(m) for m in mutations]
