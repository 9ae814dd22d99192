"""services.bulk.insert_many: its fast paths (SQLite's compiled executemany, PostgreSQL's COPY) store what
SQLAlchemy's own executemany stores, and fail as it fails."""

from datetime import datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.models import AppliedMutation, AuditLog, User
from server.services import bulk
from tests.conftest import is_postgres, new_id

ROWS = bulk.COPY_MIN_ROWS + 4  # enough for COPY on PostgreSQL


@pytest.fixture
def copies(monkeypatch):
    """The tables written by COPY (PostgreSQL): the tests check the fast path ran, not a fallback."""
    done, real = [], bulk._copy

    def spy(connection, stmt, rows):
        used = real(connection, stmt, rows)
        if used:
            done.append(stmt.table.name)
        return used

    monkeypatch.setattr(bulk, "_copy", spy)
    return done


def _audit_rows(action: str) -> list[dict]:
    at = datetime(2027, 2, 3, 4, 5, 6, 789000)
    details = [{"名": "王\t\\N 一", "n": 3, "nested": {"list": [1, None, "\\"]}}, None, {}, {"s": "a\nb\r\\.c"}]
    return [{"at": at, "user_id": None if i % 3 else 1, "action": action, "entity_type": "visit",
             "entity_id": new_id(), "device_id": "设备\\x" if i % 2 else None, "ip": "10.0.0.1",
             "details": details[i % len(details)]} for i in range(ROWS)]


def _stored(action: str) -> list[tuple]:
    table = AuditLog.__table__
    columns = [table.c.at, table.c.user_id, table.c.action, table.c.entity_type, table.c.entity_id,
               table.c.device_id, table.c.ip, table.c.details]
    return [tuple(r) for r in db.session.execute(
        select(*columns).where(table.c.action == action).order_by(table.c.entity_id)).all()]


def test_insert_many_stores_what_sqlalchemys_executemany_stores(app, copies):
    fast, plain = _audit_rows("bulk.fast"), _audit_rows("bulk.plain")
    for a, b in zip(fast, plain, strict=True):
        b["entity_id"] = a["entity_id"]
    bulk.insert_many(db.session, insert(AuditLog.__table__), fast)
    db.session.execute(insert(AuditLog.__table__), plain)
    db.session.commit()
    assert copies == (["audit_log"] if is_postgres() else [])
    stored = _stored("bulk.fast")
    assert len(stored) == ROWS
    assert [r[:2] + r[3:] for r in stored] == [r[:2] + r[3:] for r in _stored("bulk.plain")]
    # JSON null (not SQL NULL) for a None, as SQLAlchemy's JSON type stores it.
    assert {r[7] is None for r in stored} == {True, False}


def test_a_duplicate_key_in_a_bulk_insert_is_an_integrity_error_and_the_session_goes_on(app, copies):
    user_id = db.session.execute(select(User.id).order_by(User.id)).scalars().first()
    rows = [{"id": new_id(), "user_id": user_id, "device_id": None, "op": "visit.create", "payload_hash": "0" * 64,
             "entity_type": "visit", "entity_id": new_id(), "applied_at": datetime(2027, 1, 1)}
            for _ in range(ROWS)]
    bulk.insert_many(db.session, insert(AppliedMutation.__table__), rows[:1])
    db.session.commit()
    with pytest.raises(IntegrityError):
        bulk.insert_many(db.session, insert(AppliedMutation.__table__), rows[1:] + rows[:1])
    db.session.rollback()
    bulk.insert_many(db.session, insert(AppliedMutation.__table__), rows[1:])
    db.session.commit()
    assert copies == (["applied_mutations"] if is_postgres() else [])  # the refused COPY raised, so is not listed
    ids = {r["id"] for r in rows}
    assert len(db.session.execute(select(AppliedMutation.id).where(AppliedMutation.id.in_(ids))).all()) == ROWS


def _change_log_upsert():
    from server.services.changes import _upsert_change_log

    return _upsert_change_log(db.session)


def _log(entity_ids) -> dict:
    from server.models import ChangeLog

    return {(r.entity_id, r.area_id): r.seq for r in db.session.execute(
        select(ChangeLog.entity_id, ChangeLog.area_id, ChangeLog.seq).where(ChangeLog.entity_id.in_(entity_ids)))}


def test_a_bulk_upsert_inserts_new_rows_and_updates_those_already_there(app, monkeypatch):
    used = []
    real = bulk._unnest
    monkeypatch.setattr(bulk, "_unnest", lambda *a: used.append(real(*a)) or used[-1])
    ids = [new_id() for _ in range(ROWS)]
    first = [{"seq": 10_000 + i, "entity_type": "visit", "entity_id": e, "area_id": 1} for i, e in enumerate(ids)]
    bulk.insert_many(db.session, _change_log_upsert(), first[:5])
    db.session.commit()
    again = [{**row, "seq": 20_000 + i} for i, row in enumerate(first)]
    bulk.insert_many(db.session, _change_log_upsert(), again)
    db.session.commit()
    assert _log(ids) == {(r["entity_id"], 1): r["seq"] for r in again}
    assert used == ([True] if is_postgres() else [])  # one statement for the 20-odd rows on PostgreSQL


def test_a_bulk_upsert_naming_one_row_twice_goes_row_by_row(app):
    ids = [new_id() for _ in range(ROWS)]
    rows = [{"seq": 30_000 + i, "entity_type": "visit", "entity_id": e, "area_id": 1} for i, e in enumerate(ids)]
    rows.append({**rows[0], "seq": 40_000})  # one statement could not update that row twice; executemany can
    bulk.insert_many(db.session, _change_log_upsert(), rows)
    db.session.commit()
    assert _log(ids) == {**{(r["entity_id"], 1): r["seq"] for r in rows[:-1]}, (ids[0], 1): 40_000}
