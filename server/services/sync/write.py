"""What a planned push batch writes (State, Plan) and the writing: executemany in dependency order."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import bindparam, delete, insert, select, tuple_, update

from ...database import in_values
from ...extensions import db
from ...models import AppliedMutation, DuplicateFlag, IdNumberCheck, VisitAttachment
from .. import bulk, changes, notifications, records


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
    flags: list = field(default_factory=list)  # duplicate_flags rows (possible duplicates for the office)
    checks: list = field(default_factory=list)  # id_number_checks rows (the hourly limit counts them)


WRITE_ORDER = ("recipient", "visit", "difficulty", "followup", "evidence")
CHECKS_KEPT = timedelta(days=1)  # id_number_checks rows older than this are no longer counted: dropped
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
            .where(in_values(VisitAttachment.visit_id, {r["visit_id"] for r in unique_links}))).all())
        fresh = [r for r in unique_links if (r["visit_id"], r["sha256"]) not in existing]
        if fresh:
            bulk.insert_many(session, _insert(VisitAttachment.__table__), fresh)
    if plan.flags:
        _write_flags(plan.flags)
    if plan.checks:
        users = {r["user_id"] for r in plan.checks}
        oldest = min(r["at"] for r in plan.checks) - CHECKS_KEPT
        session.execute(delete(IdNumberCheck).where(IdNumberCheck.user_id.in_(users), IdNumberCheck.at < oldest))
        bulk.insert_many(session, _insert(IdNumberCheck.__table__), plan.checks)
    if plan.applied:
        bulk.insert_many(session, _insert(AppliedMutation.__table__),
                         sorted(plan.applied, key=lambda r: r["id"]))
    session.flush()


def _write_flags(flags: list) -> None:
    """Insert the flags of pairs not flagged before (a number set again flags nothing new)."""
    unique = {(r["recipient_id"], r["other_recipient_id"]): r for r in flags}
    existing = set(db.session.execute(
        select(DuplicateFlag.recipient_id, DuplicateFlag.other_recipient_id)
        .where(tuple_(DuplicateFlag.recipient_id, DuplicateFlag.other_recipient_id).in_(list(unique)))).all())
    fresh = [r for key, r in sorted(unique.items()) if key not in existing]
    if fresh:
        bulk.insert_many(db.session, _insert(DuplicateFlag.__table__), fresh)


def queue_side_effects(plan: Plan) -> None:
    """Hand the plan's change-log rows, audit rows and notifications to the transaction."""
    changes.record_changes(plan.changes)
    changes.record_audits(plan.audits)
    for difficulty in plan.urgent:
        notifications.notify_urgent_difficulty(difficulty)
