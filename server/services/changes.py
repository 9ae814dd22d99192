"""The change log: every write records its record here; a pull reads what changed in the caller's scope.

Writes only queue (type, id, area) on the session; just before commit the queue takes its numbers from the
one-row counter (`UPDATE … RETURNING`) and upserts the log. The counter's row lock is held until commit, so
a transaction holding number 11 commits before any transaction can take 12: a reader at cursor 11 can
never later see a 10 appear (the PostgreSQL visibility trap of plain sequences).
"""

from sqlalchemy import event, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..database import dict_rows, in_values, reading_deferred, write_connection
from ..domain.creation import LIAISON
from ..extensions import db
from ..models import AuditLog, ChangeCounter, ChangeLog
from ..models.base import utcnow
from . import bulk, records
from .actors import Actor
from .errors import CursorExpired
from .scope import AreaPaths, directory_area_ids, subtree_ids

# The recorder's queues live in the session's `info` (they must follow its transaction): a private detail;
# callers use the functions below.
_CHANGES = "zf_changes"
_AUDITS = "zf_audits"
_LAST_SEQ = "zf_last_seq"


def record_change(entity_type: str, entity_id, area_id: int) -> None:
    """Queue a change of a record living in `area_id` (call again with the old area when it moves)."""
    db.session.info.setdefault(_CHANGES, []).append((entity_type, str(entity_id), area_id))


def record_changes(rows) -> None:
    """Queue many (type, id, area) changes at once (a planned sync batch)."""
    db.session.info.setdefault(_CHANGES, []).extend((t, str(e), a) for t, e, a in rows)


def audit_row(actor: Actor | None, action: str, entity_type: str | None = None, entity_id=None,
              details: dict | None = None, user_id: int | None = None, at=None) -> dict:
    """An append-only audit row: who, what, when (`at`, default now), from which device."""
    return {
        "at": at or utcnow(),
        "user_id": actor.user_id if actor else user_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "device_id": actor.device_id if actor else None,
        "ip": actor.ip if actor else None,
        "details": details,
    }


def record_audit(actor: Actor | None, action: str, entity_type: str | None = None, entity_id=None,
                 details: dict | None = None, user_id: int | None = None) -> None:
    """Queue an audit row (`audit_row`); written at commit."""
    db.session.info.setdefault(_AUDITS, []).append(
        audit_row(actor, action, entity_type, entity_id, details, user_id))


def record_audits(rows: list[dict]) -> None:
    """Queue audit rows built by the caller (a planned sync batch: one per applied mutation)."""
    db.session.info.setdefault(_AUDITS, []).extend(rows)


def mark() -> tuple[int, int]:
    """Where the queues stand, to roll them back with a savepoint."""
    info = db.session.info
    return len(info.get(_CHANGES, ())), len(info.get(_AUDITS, ()))


def rollback_to(position: tuple[int, int]) -> None:
    info = db.session.info
    if _CHANGES in info:
        del info[_CHANGES][position[0]:]
    if _AUDITS in info:
        del info[_AUDITS][position[1]:]


def changed() -> bool:
    """This transaction has recorded changes (still queued, or numbered at a savepoint's commit)."""
    info = db.session.info
    return bool(info.get(_CHANGES)) or _LAST_SEQ in info


def has_numbered(session: Session) -> bool:
    """This session's transaction has taken its change numbers (true from the numbering to the next take)."""
    return _LAST_SEQ in session.info


def take_last_seq() -> int | None:
    """The newest change number the last commit handed out (None when it numbered nothing); forgotten after."""
    return db.session.info.pop(_LAST_SEQ, None)


def discard_pending(session: Session) -> None:
    session.info.pop(_CHANGES, None)
    session.info.pop(_AUDITS, None)


_UPSERTS: dict = {}  # dialect name -> the change log upsert, built once


def _upsert_change_log(session: Session):
    dialect = session.get_bind().dialect.name
    found = _UPSERTS.get(dialect)
    if found is None:
        module = postgresql if dialect == "postgresql" else sqlite
        stmt = module.insert(ChangeLog.__table__)
        found = _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=["entity_type", "entity_id", "area_id"], set_={"seq": stmt.excluded.seq}
        )
    return found


_AUDIT_INSERT = insert(AuditLog.__table__)


def flush_pending(session: Session) -> None:
    """Write the queued audit rows, then number and log the queued changes: the last step before commit."""
    audits = session.info.pop(_AUDITS, None)
    if audits and reading_deferred() and session.get_bind().dialect.name == "sqlite":
        # A read-only request's audit rows (an export, a reveal) go through their own write transaction.
        with write_connection(session.get_bind()) as connection:
            connection.execute(insert(AuditLog.__table__), audits)
        audits = None
    if audits:
        bulk.insert_many(session, _AUDIT_INSERT, audits)
    changes = session.info.pop(_CHANGES, None)
    if not changes:
        return
    unique = list(dict.fromkeys(changes))
    top = session.execute(
        update(ChangeCounter.__table__)
        .where(ChangeCounter.id == 1)
        .values(value=ChangeCounter.value + len(unique))
        .returning(ChangeCounter.value)
    ).scalar_one()
    first = top - len(unique) + 1
    rows = [{"seq": first + i, "entity_type": t, "entity_id": e, "area_id": a}
            for i, (t, e, a) in enumerate(unique)]
    bulk.insert_many(session, _upsert_change_log(session), rows)
    session.info[_LAST_SEQ] = top


def _before_commit(session: Session) -> None:
    if session.info.get(_CHANGES) or session.info.get(_AUDITS):
        flush_pending(session)


def _after_soft_rollback(session: Session, previous) -> None:
    # A rolled-back transaction's queue must not leak into the next one (savepoints use mark()). Not
    # after_rollback: the session still counts as in its transaction there, so nothing was ever discarded.
    if previous.parent is None:
        discard_pending(session)


def init_app(app) -> None:
    """Hook the queues into every session's commit (once per process, however many apps are made)."""
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


def newest_change() -> int:
    found = db.session.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar_one_or_none()
    return found or 0


def _scope_clause(actor: Actor):
    if actor.role == LIAISON:
        from .creation.access import pull_clause

        return pull_clause(actor)  # their unit's creation records, never an area's
    if actor.sees_all:
        return ChangeLog.entity_type.not_in(records.UNIT_SCOPED)
    directory = directory_area_ids(actor)
    is_directory = ChangeLog.entity_type.in_(records.DIRECTORY_TYPES)
    return (is_directory & ChangeLog.area_id.in_(directory)) | (
        ~is_directory & ChangeLog.area_id.in_(subtree_ids(actor))
    )


def list_changes_since(actor: Actor, cursor: int, limit: int, min_cursor: int = 0) -> dict:
    """One page of the changes in the actor's scope after `cursor`: each record once, as it is now."""
    newest = newest_change()
    if cursor < 0 or cursor > newest or (0 < cursor < min_cursor):
        raise CursorExpired("The cursor is unknown; pull again from 0")
    # The log in change order, read as far as the page goes: a record in two villages (moved) has a row in
    # each, so it may come twice; the page lists it once, at its newest row. No GROUP BY over everything
    # after the cursor, which a phone pulling from 0 paid again on every page.
    query = (
        select(ChangeLog.entity_type, ChangeLog.entity_id, ChangeLog.seq)
        .where(ChangeLog.seq > cursor)
        .order_by(ChangeLog.seq)
        .limit(limit + 1)
    )
    clause = _scope_clause(actor)
    if clause is not None:
        query = query.where(clause)
    read = db.session.execute(query).all()
    has_more = len(read) > limit
    read = read[:limit]
    newest_in_page: dict[tuple[str, str], int] = {}
    for entity_type, entity_id, seq in read:
        newest_in_page.pop((entity_type, entity_id), None)
        newest_in_page[(entity_type, entity_id)] = seq
    rows = [(entity_type, entity_id, seq) for (entity_type, entity_id), seq in newest_in_page.items()]
    by_type: dict[str, list[str]] = {}
    for entity_type, entity_id, _ in rows:
        by_type.setdefault(entity_type, []).append(entity_id)
    current = load_records(by_type)
    paths = AreaPaths()
    paths.load(records.scope_area(t, r) for (t, _), r in current.items())
    unit_sees = None
    if actor.role == LIAISON:
        from .creation.access import pull_visibility

        unit_sees = pull_visibility(actor, current)
    changes = []
    for entity_type, entity_id, _ in rows:
        row = current.get((entity_type, entity_id))
        if row is None:
            changes.append(records.tombstone(entity_type, entity_id))
            continue
        area = records.scope_area(entity_type, row)
        if entity_type in records.UNIT_SCOPED:
            visible = unit_sees is not None and unit_sees(entity_type, row)
        else:
            visible = (paths.in_directory(actor, area) if entity_type in records.DIRECTORY_TYPES
                       else paths.in_scope(actor, area))
        changes.append(records.entity(entity_type, row) if visible
                       else records.tombstone(entity_type, entity_id, row["version"]))
    # The last page ends at the newest number read before the query: every change up to it had committed
    # (the counter orders commits), so changes outside the caller's scope after their last one are skipped.
    next_cursor = read[-1][2] if has_more else max(newest, read[-1][2]) if read else newest
    return {"changes": changes, "cursor": next_cursor, "has_more": has_more}


def load_records(by_type: dict[str, list[str]]) -> dict[tuple[str, str], dict]:
    """Load current rows as dicts, keyed by (type, id as string)."""
    found = {}
    for entity_type, ids in by_type.items():
        model = records.MODELS[entity_type]
        key_ids = [int(i) for i in ids] if entity_type in records.INTEGER_KEYS else ids
        table = model.__table__
        loader = records.LOADERS.get(entity_type)
        query = loader() if loader is not None else select(table)
        for chunk_start in range(0, len(key_ids), 500):
            chunk = key_ids[chunk_start:chunk_start + 500]
            for row in dict_rows(db.session.execute(query.where(in_values(table.c.id, chunk)))):
                found[(entity_type, str(row["id"]))] = row
    return found
