"""POST /api/sync/push: idempotency, the update checks in DESIGN's order, batches, limits and side effects."""

import hashlib

import orjson
from sqlalchemy import func, select, update

from server.extensions import db
from server.models import (
    AppliedMutation,
    AuditLog,
    Difficulty,
    FollowUp,
    Notification,
    Recipient,
    User,
    Visit,
)
from tests.conftest import PNG_1PX, difficulty_data, mutation, new_id, visit_data


def scalar(stmt):
    """Read one value outside any request, ending the transaction (SQLite takes its write lock at BEGIN)."""
    try:
        return db.session.execute(stmt).scalar()
    finally:
        db.session.rollback()


def count(model, *where) -> int:
    return scalar(select(func.count()).select_from(model).where(*where))


def set_visit_status(visit_id: str, status: str) -> None:
    """Stand in for the office review (its API is another issue's)."""
    db.session.execute(update(Visit).where(Visit.id == visit_id).values(status=status))
    db.session.commit()


def user_id(username: str) -> int:
    return scalar(select(User.id).where(User.username == username))


def create_visit(client, recipient_id, **fields) -> dict:
    [result] = client.push(mutation("visit.create", visit_data(recipient_id, **fields)))
    assert result["status"] == "applied", result
    return result["entity"]


def png_variant(tag: bytes) -> tuple[bytes, str]:
    """A distinct valid PNG (bytes after IEND are ignored by decoders) and its SHA-256."""
    data = PNG_1PX + tag
    return data, hashlib.sha256(data).hexdigest()


# -- applied and duplicate ------------------------------------------------------------------------------


def test_push_visit_create_answers_applied_with_the_entity_as_pull_shows_it(staff, own_recipient):
    data = visit_data(own_recipient["id"])
    [result] = staff.push(mutation("visit.create", data))
    assert result["status"] == "applied"
    entity = result["entity"]
    assert entity["type"] == "visit" and entity["id"] == data["id"] and entity["version"] == 1
    assert entity["deleted"] is False
    assert entity["data"]["status"] == "submitted"
    assert entity["data"]["author_id"] == staff.user["id"]
    changes, _ = staff.pull_all()
    assert changes[("visit", data["id"])] == entity


def test_push_same_mutation_twice_answers_duplicate_and_changes_nothing(staff, own_recipient):
    m = mutation("visit.create", visit_data(own_recipient["id"]))
    [first] = staff.push(m)
    visits, audits, applied = count(Visit), count(AuditLog), count(AppliedMutation)
    _, cursor = staff.pull_all()
    [second] = staff.push(m)
    assert second["status"] == "duplicate"
    assert second["entity"] == first["entity"]
    assert (count(Visit), count(AuditLog), count(AppliedMutation)) == (visits, audits, applied)
    changes, new_cursor = staff.pull_all(cursor)
    assert changes == {} and new_cursor == cursor


def test_push_duplicate_returns_the_current_entity_after_a_later_update(staff, own_recipient):
    create = mutation("visit.create", visit_data(own_recipient["id"]))
    [created] = staff.push(create)
    staff.push(mutation("visit.update", {"id": created["entity"]["id"], "notes": "改过"}, base_version=1))
    [again] = staff.push(create)
    assert again["status"] == "duplicate"
    assert again["entity"]["version"] == 2 and again["entity"]["data"]["notes"] == "改过"


def test_push_same_mutation_twice_in_one_batch_applies_once(staff, own_recipient):
    m = mutation("visit.create", visit_data(own_recipient["id"]))
    first, second = staff.push(m, m)
    assert first["status"] == "applied"
    assert second["status"] == "duplicate" and second["entity"] == first["entity"]
    assert count(Visit, Visit.id == m["data"]["id"]) == 1


def test_push_same_mutation_with_reordered_keys_and_other_client_time_is_duplicate(staff, own_recipient):
    m = mutation("visit.create", visit_data(own_recipient["id"]))
    staff.push(m)
    reordered = {"client_time": "2027-01-01T00:00:00.000Z", "base_version": None,
                 "data": dict(reversed(list(m["data"].items()))), "op": m["op"], "id": m["id"]}
    [result] = staff.push(reordered)
    assert result["status"] == "duplicate"


def test_push_same_mutation_id_with_other_payload_answers_mutation_id_reused(staff, own_recipient):
    m = mutation("visit.create", visit_data(own_recipient["id"]))
    staff.push(m)
    other = {**m, "data": {**m["data"], "notes": "另一个内容"}}
    [result] = staff.push(other)
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "mutation_id_reused"
    assert scalar(select(Visit.notes).where(Visit.id == m["data"]["id"])) == "身体状况良好"


def test_push_mutation_id_of_another_user_answers_mutation_id_reused(staff, reviewer, own_recipient):
    m = mutation("visit.create", visit_data(own_recipient["id"]))
    staff.push(m)
    [result] = reviewer.push(m)
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "mutation_id_reused"
    assert "entity" not in result
    visit = scalar(select(Visit).where(Visit.id == m["data"]["id"]))
    assert visit.author_id == staff.user["id"]


def test_push_mutation_id_of_another_user_with_a_new_record_stores_nothing(staff, reviewer, own_recipient):
    m = mutation("visit.create", visit_data(own_recipient["id"]))
    staff.push(m)
    reused = mutation("visit.create", visit_data(own_recipient["id"]), mutation_id=m["id"])
    [result] = reviewer.push(reused)
    assert result["error"]["code"] == "mutation_id_reused"
    assert count(Visit, Visit.id == reused["data"]["id"]) == 0


def test_push_create_with_an_existing_id_answers_conflict_with_the_server_record(staff, own_recipient):
    data = visit_data(own_recipient["id"])
    staff.push(mutation("visit.create", data))
    [result] = staff.push(mutation("visit.create", {**data, "notes": "第二次"}))
    assert result["status"] == "conflict"
    assert result["entity"]["data"]["notes"] == "身体状况良好"


def test_push_create_reusing_an_out_of_scope_id_is_rejected_without_its_data(staff, admin, foreign_recipient):
    data = visit_data(foreign_recipient["id"])
    admin.push(mutation("visit.create", data))
    [result] = staff.push(mutation("visit.create", {**data, "recipient_id": foreign_recipient["id"]}))
    assert result["status"] == "rejected"
    assert "entity" not in result
    assert foreign_recipient["name"] not in orjson.dumps(result).decode()


# -- updates: order of the checks -----------------------------------------------------------------------


def test_update_with_stale_base_version_answers_conflict_with_the_server_entity(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"])
    [first] = staff.push(mutation("visit.update", {"id": visit["id"], "notes": "第一次修改"}, base_version=1))
    assert first["status"] == "applied" and first["entity"]["version"] == 2
    [stale] = staff.push(mutation("visit.update", {"id": visit["id"], "notes": "过时的修改"}, base_version=1))
    assert stale["status"] == "conflict"
    assert stale["entity"]["version"] == 2
    assert stale["entity"]["data"]["notes"] == "第一次修改"
    assert scalar(select(Visit.notes).where(Visit.id == visit["id"])) == "第一次修改"


def test_update_with_base_version_ahead_of_the_server_answers_conflict(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"])
    [result] = staff.push(mutation("visit.update", {"id": visit["id"], "notes": "x"}, base_version=5))
    assert result["status"] == "conflict"


def test_update_replaces_a_location_whole_and_refuses_half_of_one(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"])
    [half] = staff.push(mutation("visit.update", {"id": visit["id"], "location": {"lat": 1.5}}, base_version=1))
    assert half["status"] == "rejected"
    assert "lng" in half["error"]["fields"]["location"]
    moved = {"lat": 29.9, "lng": 119.8, "accuracy_m": 8}
    [whole] = staff.push(mutation("visit.update", {"id": visit["id"], "location": moved}, base_version=1))
    assert whole["status"] == "applied"
    assert scalar(select(Visit.location).where(Visit.id == visit["id"])) == moved


def test_update_without_base_version_is_rejected_on_field_base_version(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"])
    for op, entity_id in (("visit.update", visit["id"]), ("recipient.update", own_recipient["id"])):
        [result] = staff.push(mutation(op, {"id": entity_id, "notes": "没有版本"}))
        assert result["status"] == "rejected"
        assert "base_version" in result["error"]["fields"]
    assert scalar(select(Visit.version).where(Visit.id == visit["id"])) == 1


def test_update_of_unknown_record_answers_not_found_before_base_version(staff):
    [result] = staff.push(mutation("visit.update", {"id": new_id(), "notes": "x"}))
    assert result["status"] == "rejected" and result["error"]["code"] == "not_found"


def test_update_of_out_of_scope_visit_answers_not_found_not_forbidden(staff, admin, foreign_recipient):
    foreign = create_visit(admin, foreign_recipient["id"])
    set_visit_status(foreign["id"], "approved")
    [result] = staff.push(mutation("visit.update", {"id": foreign["id"], "notes": "x"}, base_version=9))
    assert result["status"] == "rejected" and result["error"]["code"] == "not_found"
    assert "entity" not in result


def test_update_of_out_of_scope_recipient_answers_not_found(staff, foreign_recipient):
    [result] = staff.push(mutation("recipient.update", {"id": foreign_recipient["id"], "notes": "x"},
                                   base_version=1))
    assert result["error"]["code"] == "not_found"


def test_update_of_someone_elses_visit_answers_forbidden_before_locked_and_conflict(staff, admin,
                                                                                    own_recipient):
    others = create_visit(admin, own_recipient["id"])
    set_visit_status(others["id"], "approved")
    [result] = staff.push(mutation("visit.update", {"id": others["id"], "notes": "x"}, base_version=9))
    assert result["status"] == "rejected" and result["error"]["code"] == "forbidden"
    [result] = staff.push(mutation("visit.update", {"id": others["id"], "notes": "x"}))
    assert result["error"]["code"] == "forbidden"


def test_update_of_approved_visit_answers_visit_locked_before_base_version_and_conflict(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"])
    set_visit_status(visit["id"], "approved")
    for base_version in (9, None, 1):
        [result] = staff.push(mutation("visit.update", {"id": visit["id"], "notes": "x"},
                                       base_version=base_version))
        assert result["status"] == "rejected" and result["error"]["code"] == "visit_locked"
    assert scalar(select(Visit.notes).where(Visit.id == visit["id"])) == "身体状况良好"


def test_update_of_own_submitted_visit_with_stale_version_answers_conflict_last(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"])
    staff.push(mutation("visit.update", {"id": visit["id"], "notes": "v2"}, base_version=1))
    [result] = staff.push(mutation("visit.update", {"id": visit["id"], "notes": "v3"}, base_version=1))
    assert result["status"] == "conflict"


def test_editing_a_returned_visit_sets_it_back_to_submitted(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"])
    set_visit_status(visit["id"], "returned")
    [result] = staff.push(mutation("visit.update", {"id": visit["id"], "notes": "已补充"}, base_version=1))
    assert result["status"] == "applied"
    assert result["entity"]["data"]["status"] == "submitted"
    assert scalar(select(Visit.status).where(Visit.id == visit["id"])) == "submitted"


def test_update_cannot_change_server_owned_fields(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"])
    [result] = staff.push(mutation("visit.update", {"id": visit["id"], "status": "approved",
                                                    "author_id": 999, "notes": "改"}, base_version=1))
    assert result["status"] == "applied"
    row = scalar(select(Visit).where(Visit.id == visit["id"]))
    assert (row.status, row.author_id, row.notes) == ("submitted", staff.user["id"], "改")


def test_update_is_a_patch_leaving_other_fields(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"], gifts="棉被")
    [result] = staff.push(mutation("visit.update", {"id": visit["id"], "notes": "补记"}, base_version=1))
    assert result["entity"]["data"]["gifts"] == "棉被" and result["entity"]["data"]["notes"] == "补记"


# -- batches and retries -------------------------------------------------------------------------------


def test_one_invalid_mutation_in_a_batch_of_fifty_is_rejected_and_the_other_49_apply(staff, own_recipient):
    batch = [mutation("visit.create", visit_data(own_recipient["id"])) for _ in range(50)]
    batch[17] = mutation("visit.create", visit_data(own_recipient["id"], kind="party"))
    results = staff.push(*batch)
    assert [r["id"] for r in results] == [m["id"] for m in batch]
    statuses = [r["status"] for r in results]
    assert statuses.count("applied") == 49
    assert statuses[17] == "rejected" and "kind" in results[17]["error"]["fields"]
    assert count(Visit, Visit.id.in_([m["data"]["id"] for m in batch])) == 49
    assert count(Visit, Visit.id == batch[17]["data"]["id"]) == 0


def test_rejected_mutation_id_may_be_sent_again_fixed_and_apply(staff, own_recipient):
    m = mutation("visit.create", visit_data(own_recipient["id"], cash_cents=20000))
    [first] = staff.push(m)
    assert first["status"] == "rejected"
    fixed = {**m, "data": {**m["data"], "no_signature_reason": "卧床无法签字"}}
    [second] = staff.push(fixed)
    assert second["status"] == "applied"
    [third] = staff.push(fixed)
    assert third["status"] == "duplicate"


def test_conflict_mutation_id_may_be_sent_again_rebased_and_apply(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"])
    staff.push(mutation("visit.update", {"id": visit["id"], "notes": "办公室版本"}, base_version=1))
    m = mutation("visit.update", {"id": visit["id"], "gifts": "手机版本"}, base_version=1)
    [first] = staff.push(m)
    assert first["status"] == "conflict"
    [second] = staff.push({**m, "base_version": first["entity"]["version"]})
    assert second["status"] == "applied" and second["entity"]["version"] == 3


def test_later_mutations_in_a_batch_see_earlier_ones(staff, own_recipient):
    recipient = {"id": new_id(), "name": "新对象", "gender": "male", "id_number": None, "phone": None,
                 "address": None, "area_id": own_recipient["area_id"], "category": "veteran", "tags": [],
                 "notes": None}
    visit = visit_data(recipient["id"])
    difficulty = difficulty_data(recipient["id"], visit_id=visit["id"])
    results = staff.push(mutation("recipient.create", recipient), mutation("visit.create", visit),
                         mutation("visit.update", {"id": visit["id"], "notes": "同批修改"}, base_version=1),
                         mutation("difficulty.create", difficulty))
    assert [r["status"] for r in results] == ["applied"] * 4
    assert scalar(select(Visit.notes).where(Visit.id == visit["id"])) == "同批修改"


def test_push_writes_an_audit_row_per_applied_mutation_with_the_device(staff, own_recipient):
    m = mutation("visit.create", visit_data(own_recipient["id"]))
    staff.push(m, device_id="phone-42")
    row = scalar(select(AuditLog).where(AuditLog.entity_id == m["data"]["id"]))
    assert (row.user_id, row.action, row.device_id) == (staff.user["id"], "visit.create", "phone-42")
    assert row.details == {"mutation_id": m["id"]}


def test_push_with_201_mutations_answers_413_batch_too_large_and_applies_none(staff, own_recipient):
    batch = [mutation("visit.create", visit_data(own_recipient["id"])) for _ in range(201)]
    before = count(Visit)
    response = staff.post("/api/sync/push", json={"device_id": "d", "mutations": batch})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "batch_too_large"
    assert count(Visit) == before


def test_push_with_200_mutations_applies_them_all(staff, own_recipient):
    batch = [mutation("visit.create", visit_data(own_recipient["id"])) for _ in range(200)]
    results = staff.push(*batch)
    assert [r["status"] for r in results] == ["applied"] * 200


def test_push_over_2_mb_answers_413_payload_too_large_and_applies_none(staff, own_recipient):
    batch = [mutation("visit.create", visit_data(own_recipient["id"], notes="长" * 3900)) for _ in range(190)]
    body = orjson.dumps({"device_id": "d", "mutations": batch})
    assert len(body) > 2 * 1024 * 1024
    before = count(Visit)
    response = staff.post("/api/sync/push", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    assert count(Visit) == before


# -- records ---------------------------------------------------------------------------------------------


def test_cash_without_signature_or_reason_is_rejected_as_validation_error(staff, own_recipient):
    m = mutation("visit.create", visit_data(own_recipient["id"], cash_cents=50000))
    [result] = staff.push(m)
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "validation_error"
    assert "signature" in result["error"]["fields"]
    assert count(Visit, Visit.id == m["data"]["id"]) == 0


def test_cash_with_blank_reason_is_rejected(staff, own_recipient):
    [result] = staff.push(mutation("visit.create", visit_data(own_recipient["id"], cash_cents=100,
                                                              no_signature_reason="   ")))
    assert result["error"]["code"] == "validation_error"


def test_cash_with_a_reason_or_an_uploaded_signature_applies(staff, own_recipient):
    data, sha = png_variant(b"signature")
    assert staff.put(f"/api/attachments/{sha}", data=data, content_type="image/png").status_code == 201
    results = staff.push(
        mutation("visit.create", visit_data(own_recipient["id"], cash_cents=50000,
                                            no_signature_reason="卧床无法签字")),
        mutation("visit.create", visit_data(own_recipient["id"], cash_cents=50000, signature=sha)))
    assert [r["status"] for r in results] == ["applied", "applied"]


def test_update_removing_the_signature_of_a_cash_visit_is_rejected(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"], cash_cents=100, no_signature_reason="卧床")
    [result] = staff.push(mutation("visit.update", {"id": visit["id"], "no_signature_reason": None},
                                   base_version=1))
    assert result["error"]["code"] == "validation_error" and "signature" in result["error"]["fields"]


def test_visit_naming_a_missing_attachment_is_rejected_then_applies_after_upload(staff, own_recipient):
    data, sha = png_variant(b"photo")
    m = mutation("visit.create", visit_data(own_recipient["id"], photos=[sha]))
    [first] = staff.push(m)
    assert first["status"] == "rejected"
    assert first["error"]["code"] == "missing_attachment"
    assert count(Visit, Visit.id == m["data"]["id"]) == 0
    assert staff.put(f"/api/attachments/{sha}", data=data, content_type="image/png").status_code == 201
    [second] = staff.push(m)
    assert second["status"] == "applied"
    assert second["entity"]["data"]["photos"] == [sha]


def test_visit_update_naming_a_missing_signature_is_rejected(staff, own_recipient):
    visit = create_visit(staff, own_recipient["id"])
    [result] = staff.push(mutation("visit.update", {"id": visit["id"], "signature": "a" * 64},
                                   base_version=1))
    assert result["error"]["code"] == "missing_attachment"


def test_visit_for_an_out_of_scope_recipient_is_rejected_not_found(staff, foreign_recipient):
    m = mutation("visit.create", visit_data(foreign_recipient["id"]))
    [result] = staff.push(m)
    assert result["status"] == "rejected" and result["error"]["code"] == "not_found"
    assert count(Visit, Visit.id == m["data"]["id"]) == 0


def test_visit_in_the_future_is_rejected(staff, own_recipient):
    [result] = staff.push(mutation("visit.create", visit_data(own_recipient["id"],
                                                              visited_at="2099-01-01T00:00:00Z")))
    assert result["error"]["code"] == "validation_error" and "visited_at" in result["error"]["fields"]


def test_masked_id_number_sent_back_in_recipient_update_is_ignored(staff, own_recipient):
    real = scalar(select(Recipient.id_number).where(Recipient.id == own_recipient["id"]))
    assert "*" in own_recipient["id_number"] and real and "*" not in real
    [result] = staff.push(mutation("recipient.update", {**own_recipient, "phone": "13900000000"},
                                   base_version=1))
    assert result["status"] == "applied"
    row = scalar(select(Recipient).where(Recipient.id == own_recipient["id"]))
    assert row.id_number == real and row.phone == "13900000000"


def test_recipient_update_with_an_invalid_id_number_is_rejected(staff, own_recipient):
    [result] = staff.push(mutation("recipient.update", {"id": own_recipient["id"],
                                                        "id_number": "110105194912310021"}, base_version=1))
    assert result["error"]["code"] == "validation_error" and "id_number" in result["error"]["fields"]


def test_recipient_create_with_an_id_number_already_registered_is_rejected(staff, admin, own_recipient):
    real = scalar(select(Recipient.id_number).where(Recipient.id == own_recipient["id"]))
    data = {"id": new_id(), "name": "重复", "gender": "male", "id_number": real, "phone": None,
            "address": None, "area_id": own_recipient["area_id"], "category": "veteran", "tags": [],
            "notes": None}
    [result] = staff.push(mutation("recipient.create", data))
    assert result["status"] == "rejected" and "id_number" in result["error"]["fields"]


def test_recipient_create_outside_own_villages_is_rejected(staff, foreign_recipient):
    data = {"id": new_id(), "name": "外乡", "gender": "male", "id_number": None, "phone": None,
            "address": None, "area_id": foreign_recipient["area_id"], "category": "veteran", "tags": [],
            "notes": None}
    [result] = staff.push(mutation("recipient.create", data))
    assert result["status"] == "rejected" and "area_id" in result["error"]["fields"]
    assert count(Recipient, Recipient.id == data["id"]) == 0


# -- difficulties and follow-ups ------------------------------------------------------------------------


def followup(difficulty_id: str, at: str, **fields) -> dict:
    return {"id": new_id(), "difficulty_id": difficulty_id, "at": at, "note": "已电话回访", "status": None,
            "next_follow_up_at": None, **fields}


def test_followups_append_and_the_latest_sets_difficulty_status_and_follow_up_at(staff, own_recipient):
    difficulty = difficulty_data(own_recipient["id"])
    staff.push(mutation("difficulty.create", difficulty))
    later = followup(difficulty["id"], "2026-11-28T10:00:00Z", status="in_progress",
                     next_follow_up_at="2026-12-05T01:00:00Z")
    earlier = followup(difficulty["id"], "2026-11-28T09:00:00Z", status="open",
                       next_follow_up_at="2026-12-01T01:00:00Z")
    results = staff.push(mutation("followup.create", later), mutation("followup.create", earlier))
    assert [r["status"] for r in results] == ["applied", "applied"]
    row = scalar(select(Difficulty).where(Difficulty.id == difficulty["id"]))
    assert row.status == "in_progress"
    assert row.follow_up_at.isoformat() == "2026-12-05T01:00:00"
    assert count(FollowUp, FollowUp.difficulty_id == difficulty["id"]) == 2


def test_an_older_followup_synced_later_does_not_move_the_next_date_back(staff, own_recipient):
    difficulty = difficulty_data(own_recipient["id"])
    staff.push(mutation("difficulty.create", difficulty))
    newer = followup(difficulty["id"], "2026-11-28T10:00:00Z", next_follow_up_at="2026-12-05T01:00:00Z")
    older = followup(difficulty["id"], "2026-11-28T09:00:00Z", next_follow_up_at="2026-12-01T01:00:00Z")
    [first] = staff.push(mutation("followup.create", newer))
    [second] = staff.push(mutation("followup.create", older))  # another phone, synced later
    assert (first["status"], second["status"]) == ("applied", "applied")
    row = scalar(select(Difficulty).where(Difficulty.id == difficulty["id"]))
    assert row.follow_up_at.isoformat() == "2026-12-05T01:00:00"
    assert row.version == 2  # the newer follow-up changed it; the older one changed nothing


def test_followups_never_conflict_and_resolve_clears_the_next_date(staff, reviewer, own_recipient):
    difficulty = difficulty_data(own_recipient["id"], follow_up_at="2026-12-01T00:00:00Z")
    staff.push(mutation("difficulty.create", difficulty))
    [a] = staff.push(mutation("followup.create", followup(difficulty["id"], "2026-11-28T09:00:00Z",
                                                          status="in_progress")))
    [b] = reviewer.push(mutation("followup.create", followup(difficulty["id"], "2026-11-28T10:00:00Z",
                                                             status="resolved"), base_version=None))
    assert (a["status"], b["status"]) == ("applied", "applied")
    changes, _ = staff.pull_all()
    pulled = changes[("difficulty", difficulty["id"])]["data"]
    assert pulled["status"] == "resolved" and pulled["follow_up_at"] is None
    assert pulled["resolved_at"] == "2026-11-28T10:00:00.000Z"


def test_followup_on_an_out_of_scope_difficulty_is_rejected_not_found(staff, admin, foreign_recipient):
    difficulty = difficulty_data(foreign_recipient["id"])
    admin.push(mutation("difficulty.create", difficulty))
    m = mutation("followup.create", followup(difficulty["id"], "2026-11-28T05:00:00Z", status="resolved"))
    [result] = staff.push(m)
    assert result["error"]["code"] == "not_found"
    assert scalar(select(Difficulty.status).where(Difficulty.id == difficulty["id"])) == "open"


def test_urgent_difficulty_notifies_reviewer_demo_and_not_staff(staff, own_recipient):
    reviewer_id, staff_id = user_id("reviewer_demo"), staff.user["id"]
    reviewer_before = count(Notification, Notification.user_id == reviewer_id)
    difficulty = difficulty_data(own_recipient["id"], urgency="urgent")
    [result] = staff.push(mutation("difficulty.create", difficulty))
    assert result["status"] == "applied"
    rows = scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == reviewer_id, Notification.url.contains(difficulty["id"])))
    assert rows == 1
    assert count(Notification, Notification.user_id == reviewer_id) == reviewer_before + 1
    assert count(Notification, Notification.user_id == staff_id) == 0
    assert count(Notification, Notification.url.contains(difficulty["id"])) == 1
    body = scalar(select(Notification.body).where(Notification.url.contains(difficulty["id"])))
    assert own_recipient["name"] not in body


def test_normal_difficulty_notifies_nobody(staff, own_recipient):
    before = count(Notification)
    staff.push(mutation("difficulty.create", difficulty_data(own_recipient["id"])))
    assert count(Notification) == before


def test_urgent_difficulty_pushed_twice_notifies_once(staff, own_recipient):
    m = mutation("difficulty.create", difficulty_data(own_recipient["id"], urgency="urgent"))
    staff.push(m)
    staff.push(m)
    assert count(Notification, Notification.url.contains(m["data"]["id"])) == 1
