"""The database epoch in sync: cursors and answers carry it; a cursor or epoch of another one answers 410.

A restore is stood in for by renewing the epoch (what `restore` does to the restored database). Without the
epoch, every test here that expects 410 would get 200: a restored database's change numbers grow past the
cursors phones hold, which then look valid and skip changes (the issue's measured loss).
"""

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import AppliedMutation, ChangeCounter, Visit
from server.services.sync.cursors import SEQ_SPAN, current_epoch, encode_cursor, epoch_of, renew_epoch
from tests.conftest import mutation, visit_data


def scalar(stmt):
    try:
        return db.session.execute(stmt).scalar()
    finally:
        db.session.rollback()


def epoch_id() -> str:
    try:
        return current_epoch().id
    finally:
        db.session.rollback()


def restore_stand_in() -> str:
    """Give the database a new epoch, as `restore` does; the new id."""
    db.session.rollback()
    with db.engine.begin() as connection:
        return renew_epoch(connection)[1]


def new_visits(client, recipient_id, count=1) -> list[str]:
    batch = [mutation("visit.create", visit_data(recipient_id)) for _ in range(count)]
    assert {r["status"] for r in client.push(*batch)} == {"applied"}
    return [m["data"]["id"] for m in batch]


def test_pull_and_push_answers_name_the_epoch_and_their_cursors_carry_its_tag(staff, own_recipient):
    epoch = epoch_of(epoch_id())
    pulled = staff.get("/api/sync/pull?cursor=0").json
    assert pulled["epoch"] == epoch.id
    assert divmod(pulled["cursor"], SEQ_SPAN) == (epoch.tag, scalar(select(ChangeCounter.value)))
    pushed = staff.post("/api/sync/push", json={"device_id": "d", "epoch": epoch.id, "mutations": [
        mutation("visit.create", visit_data(own_recipient["id"]))]}).json
    assert pushed["epoch"] == epoch.id
    assert pushed["cursor"] == encode_cursor(scalar(select(ChangeCounter.value)), epoch)
    assert pushed["cursor"] < 2**53  # JavaScript keeps it exactly


def test_a_cursor_from_before_cursors_carried_an_epoch_answers_410_cursor_expired(staff):
    # A plain change number, valid under the old encoding (0 < n <= newest): such phones pull again from 0.
    newest = scalar(select(ChangeCounter.value))
    for old in (1, newest):
        response = staff.get(f"/api/sync/pull?cursor={old}")
        assert response.status_code == 410, old
        assert response.json["error"]["code"] == "cursor_expired"


def test_after_a_restore_a_phones_cursor_answers_410_even_when_it_looks_valid(staff, own_recipient):
    _, cursor = staff.pull_all()
    before = new_visits(staff, own_recipient["id"])  # lost by the "restore" below in real life
    old_epoch = epoch_id()
    restore_stand_in()
    # Other phones write to the restored server: its change numbers pass the phone's cursor again.
    new_visits(staff, own_recipient["id"], count=5)
    assert scalar(select(ChangeCounter.value)) > cursor % SEQ_SPAN
    response = staff.get(f"/api/sync/pull?cursor={cursor}")
    assert response.status_code == 410
    assert response.json["error"]["code"] == "cursor_expired"
    # Starting again from 0 works, under the new epoch, and sees every record.
    changes, fresh = staff.pull_all()
    assert fresh // SEQ_SPAN == epoch_of(epoch_id()).tag != epoch_of(old_epoch).tag
    assert ("visit", before[0]) in changes


def test_pull_with_another_epoch_answers_410_even_from_cursor_0(staff):
    old = epoch_id()
    assert staff.get(f"/api/sync/pull?cursor=0&epoch={old}").status_code == 200
    restore_stand_in()
    response = staff.get(f"/api/sync/pull?cursor=0&epoch={old}")
    assert response.status_code == 410
    assert response.json["error"]["code"] == "cursor_expired"
    assert staff.get("/api/sync/pull?cursor=0").status_code == 200  # without it: a fresh phone
    assert staff.get("/api/sync/pull?cursor=0&epoch=").status_code == 200  # empty: none either


def test_push_with_another_epoch_answers_410_and_applies_nothing(staff, own_recipient):
    old = epoch_id()
    restore_stand_in()
    batch = [mutation("visit.create", visit_data(own_recipient["id"]))]
    visits = scalar(select(func.count()).select_from(Visit))
    response = staff.post("/api/sync/push", json={"device_id": "d", "epoch": old, "mutations": batch})
    assert response.status_code == 410
    assert response.json["error"]["code"] == "cursor_expired"
    assert scalar(select(func.count()).select_from(Visit)) == visits
    assert scalar(select(func.count()).select_from(AppliedMutation).where(AppliedMutation.id == batch[0]["id"])) == 0
    # The re-send (with the new epoch, or none) applies it, once.
    again = staff.post("/api/sync/push", json={"device_id": "d", "epoch": epoch_id(), "mutations": batch})
    assert again.status_code == 200
    assert [r["status"] for r in again.json["results"]] == ["applied"]


def test_push_without_an_epoch_is_accepted_as_before(staff, own_recipient):
    [result] = staff.push(mutation("visit.create", visit_data(own_recipient["id"])))
    assert result["status"] == "applied"


@pytest.mark.parametrize("epoch", ["x" * 65, 7])
def test_a_malformed_epoch_answers_the_validation_envelope(staff, epoch):
    response = staff.post("/api/sync/push", json={"device_id": "d", "epoch": epoch, "mutations": []})
    assert response.status_code == 422
    assert "epoch" in response.json["error"]["fields"]


def test_renewing_the_epoch_never_keeps_its_tag(app, monkeypatch):
    import uuid

    from server.services.sync import cursors

    old = epoch_id()
    fresh = next(u for u in iter(uuid.uuid4, None) if epoch_of(u.hex).tag != epoch_of(old).tag)
    # The first id drawn has the old tag (it is the old id): it must be drawn again.
    drawn = iter([uuid.UUID(hex=old), fresh])
    monkeypatch.setattr(cursors.uuid, "uuid4", lambda: next(drawn))
    assert restore_stand_in() == fresh.hex


def test_epoch_command_shows_and_renews_the_epoch(runner):
    shown = runner.invoke(args=["epoch"])
    assert shown.exit_code == 0
    old = shown.output.strip()
    assert old == epoch_id()
    renewed = runner.invoke(args=["epoch", "--renew"])
    assert renewed.exit_code == 0, renewed.output
    assert epoch_id() != old
    assert epoch_id() in renewed.output


def test_the_epoch_read_with_the_session_serves_only_its_own_transaction(app):
    from server.services.sync.cursors import remember_epoch

    real = epoch_id()
    db.session.execute(select(1))  # a transaction is under way, as the guard's session query begins one
    remember_epoch("read-by-the-guard")  # what that query read
    assert current_epoch().id == "read-by-the-guard"
    db.session.rollback()
    assert current_epoch().id == real  # a new transaction reads it again: a restore in between is seen
    db.session.rollback()


def test_a_push_reads_the_epoch_with_its_session_query_and_not_again_on_postgresql(staff, own_recipient):
    from sqlalchemy import event

    from tests.conftest import is_postgres

    statements = []

    def seen(_conn, _cursor, statement, *_args):
        if "database_meta" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        pushed = staff.post("/api/sync/push", json={"device_id": "d", "mutations": [
            mutation("visit.create", visit_data(own_recipient["id"]))]})
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert pushed.status_code == 200 and pushed.json["epoch"] == epoch_id()
    assert "user_sessions" in statements[0]
    # PostgreSQL: the push goes on in the guard's transaction. SQLite: the guard ends its read first, so the
    # push (in its own write transaction) reads the epoch again.
    assert len(statements) == (1 if is_postgres() else 2)
