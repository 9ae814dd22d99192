"""services.sync called directly: planning writes nothing, push applies once, the domain rules answer."""

from datetime import timedelta

from server.extensions import db
from server.models import AppliedMutation, Difficulty, Recipient, Visit
from server.services import changes, review, sync
from tests.conftest import difficulty_data, mutation, new_id, visit_data
from tests.services.conftest import change_count, count

SHA = "b" * 64


def recipient_create(area_id: int, **fields) -> dict:
    return mutation("recipient.create", {"id": new_id(), "name": "赵六", "gender": "male", "id_number": None,
                                         "phone": None, "address": None, "area_id": area_id,
                                         "category": "veteran", "tags": [], "notes": None, **fields})


def test_plan_batch_answers_like_push_and_writes_nothing(staff_actor, own_recipient_id):
    area_id = db.session.get(Recipient, own_recipient_id).area_id
    batch = [recipient_create(area_id), mutation("visit.create", visit_data(own_recipient_id)),
             mutation("visit.create", visit_data(new_id()))]
    before = (count(Recipient), count(Visit), count(AppliedMutation), change_count())

    planner, results = sync.plan_batch(staff_actor, batch)

    assert [r["status"] for r in results] == ["applied", "applied", "rejected"]
    assert results[2]["error"]["code"] == "not_found"
    assert len(planner.plan.applied) == 2 and len(planner.plan.changes) == 2
    db.session.commit()
    assert (count(Recipient), count(Visit), count(AppliedMutation), change_count()) == before

    pushed = sync.push(staff_actor, batch)["results"]
    assert [(r["status"], r.get("entity", {}).get("id")) for r in pushed] == [
        (r["status"], r.get("entity", {}).get("id")) for r in results]
    assert count(Visit) == before[1] + 1


def test_a_planner_reused_across_batches_sees_what_earlier_batches_staged(staff_actor, own_recipient_id):
    area_id = db.session.get(Recipient, own_recipient_id).area_id
    number = "11010519491231002X"
    planner, first = sync.plan_batch(staff_actor, [recipient_create(area_id, id_number=number)])
    _, second = sync.plan_batch(staff_actor, [recipient_create(area_id, id_number=number)], planner)
    assert first[0]["status"] == "applied"
    assert second[0]["status"] == "rejected" and set(second[0]["error"]["fields"]) == {"id_number"}


def test_push_twice_applies_once_and_answers_the_newest_change_number(staff_actor, own_recipient_id):
    batch = [mutation("visit.create", visit_data(own_recipient_id))]
    first = sync.push(staff_actor, batch)
    assert first["results"][0]["status"] == "applied"
    assert first["cursor"] == changes.newest_change()
    again = sync.push(staff_actor, batch)
    assert again["results"][0]["status"] == "duplicate"
    assert again["results"][0]["entity"] == first["results"][0]["entity"]
    assert again["cursor"] == first["cursor"]  # nothing new was numbered


def test_visit_update_refusals_follow_designs_order(staff_actor, reviewer_actor, admin_actor, own_recipient_id):
    created = sync.push(staff_actor, [mutation("visit.create", visit_data(own_recipient_id))])["results"][0]
    visit_id = created["entity"]["id"]
    patch = {"id": visit_id, "notes": "补记"}
    by_admin = sync.push(admin_actor, [mutation("visit.update", patch, base_version=1)])["results"][0]
    assert by_admin["error"]["code"] == "forbidden"

    review.review_visit(reviewer_actor, visit_id, "approve", None)
    locked = sync.push(staff_actor, [mutation("visit.update", patch, base_version=2)])["results"][0]
    assert locked["status"] == "rejected" and locked["error"]["code"] == "visit_locked"


def test_an_edit_of_a_returned_visit_submits_it_again(staff_actor, reviewer_actor, own_recipient_id):
    created = sync.push(staff_actor, [mutation("visit.create", visit_data(own_recipient_id))])["results"][0]
    visit_id = created["entity"]["id"]
    review.review_visit(reviewer_actor, visit_id, "return", "请补签字")
    edited = sync.push(staff_actor, [mutation("visit.update", {"id": visit_id, "cash_cents": 20_000,
                                                               "no_signature_reason": "卧床无法签字"},
                                              base_version=2)])["results"][0]
    assert edited["status"] == "applied" and edited["entity"]["data"]["status"] == "submitted"
    unsigned = sync.push(staff_actor, [mutation("visit.update", {"id": visit_id, "no_signature_reason": None},
                                                base_version=3)])["results"][0]
    assert unsigned["error"]["code"] == "validation_error" and set(unsigned["error"]["fields"]) == {"signature"}


def test_a_visit_naming_an_unknown_attachment_is_refused(staff_actor, own_recipient_id):
    [result] = sync.push(staff_actor, [mutation("visit.create", visit_data(own_recipient_id, photos=[SHA]))])[
        "results"]
    assert result["error"] == {"code": "missing_attachment", "message": "Upload the attachments first",
                               "fields": {"attachments": [SHA]},
                               "field_codes": {"attachments": ["missing_attachment"]}}


def test_follow_ups_synced_out_of_order_leave_the_latest_status(staff_actor, own_recipient_id):
    difficulty = difficulty_data(own_recipient_id)
    sync.push(staff_actor, [mutation("difficulty.create", difficulty)])
    row = db.session.get(Difficulty, difficulty["id"])
    start = row.status_changed_at

    def follow_up(hours, status):
        return mutation("followup.create", {"id": new_id(), "difficulty_id": difficulty["id"],
                                            "at": (start + timedelta(hours=hours)).isoformat() + "Z",
                                            "note": "跟进", "status": status, "next_follow_up_at": None})

    results = sync.push(staff_actor, [follow_up(2, "resolved"), follow_up(1, "in_progress")])["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    db.session.expire_all()
    row = db.session.get(Difficulty, difficulty["id"])
    assert row.status == "resolved" and row.resolved_at == start + timedelta(hours=2) and row.version == 2


# -- races: a refused batch is rolled back and planned again; the last attempt falls back to savepoints ---


def _refuse_first_write(monkeypatch):
    """write_plan writes the batch, then (the first time only) reports the database refused it: as when a
    concurrent push committed one of its ids. Returns the list of write_plan calls (their batch sizes)."""
    import importlib

    from sqlalchemy.exc import IntegrityError

    push_module = importlib.import_module("server.services.sync.push")

    real, calls = push_module.write_plan, []

    def refusing(plan):
        real(plan)
        calls.append(len(plan.applied))
        if len(calls) == 1:
            raise IntegrityError("INSERT INTO visits …", {}, Exception("simulated duplicate key"))

    monkeypatch.setattr(push_module, "write_plan", refusing)
    return calls


BATCH = 20  # at least bulk.COPY_MIN_ROWS: on PostgreSQL the batch's rows go by COPY, in the savepoint too


def _counts():
    from server.models import AuditLog

    return count(Visit), count(AppliedMutation), count(AuditLog), change_count()


def test_a_refused_batch_is_rolled_back_whole_and_applied_once_when_planned_again(
        monkeypatch, staff_actor, own_recipient_id):
    batch = [mutation("visit.create", visit_data(own_recipient_id)) for _ in range(BATCH)]
    before = _counts()
    calls = _refuse_first_write(monkeypatch)

    answer = sync.push(staff_actor, batch)

    assert [r["status"] for r in answer["results"]] == ["applied"] * BATCH
    assert calls == [BATCH, BATCH]  # the whole batch twice: no one-mutation-at-a-time fallback before the last attempt
    # The first attempt's rows and its queued change-log and audit rows are gone: each counted once.
    assert _counts() == tuple(n + BATCH for n in before)
    assert answer["cursor"] == changes.newest_change()


def test_the_last_attempt_undoes_a_refused_batch_by_its_savepoint_and_applies_one_at_a_time(
        monkeypatch, staff_actor, own_recipient_id):
    import importlib

    push_module = importlib.import_module("server.services.sync.push")

    monkeypatch.setattr(push_module, "PUSH_ATTEMPTS", 1)
    batch = [mutation("visit.create", visit_data(own_recipient_id)) for _ in range(BATCH)]
    before = _counts()
    calls = _refuse_first_write(monkeypatch)

    answer = sync.push(staff_actor, batch)

    assert calls == [BATCH] + [1] * BATCH
    # Had the batch's rows survived its savepoint, the one-by-one pass would answer them duplicate.
    assert [r["status"] for r in answer["results"]] == ["applied"] * BATCH
    assert _counts() == tuple(n + BATCH for n in before)
    assert answer["cursor"] == changes.newest_change()


def test_a_batch_whose_id_another_push_committed_meanwhile_is_refused_by_the_database(
        staff_actor, own_recipient_id):
    """No simulation: the bulk write (COPY on PostgreSQL) meets the primary key, as a real race does."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    batch = [mutation("visit.create", visit_data(own_recipient_id)) for _ in range(BATCH)]
    planner, _ = sync.plan_batch(staff_actor, batch)  # every id is new now
    assert sync.push(staff_actor, batch[5:6])["results"][0]["status"] == "applied"  # the race's winner
    with pytest.raises(IntegrityError):
        sync.write_plan(planner.plan)
    db.session.rollback()
    before = _counts()
    statuses = [r["status"] for r in sync.push(staff_actor, batch)["results"]]
    assert statuses == ["applied"] * 5 + ["duplicate"] + ["applied"] * (BATCH - 6)
    assert _counts() == tuple(n + BATCH - 1 for n in before)
