"""ID numbers stay protected (issue 12, findings 1 and 2): no free oracle for a full number, nothing about
numbers outside the caller's scope, every reveal and every "already registered" answer audited.

The attacks as the audit ran them: a staff member builds candidates from a masked number (region + birth
dates + the last four) and pushes them as recipients until one is answered "already registered"; a staff
member or a reviewer learns that a number is registered in another township or county from a refusal.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.domain.recipients import id_number_check_digit, mask_id_number
from server.extensions import db
from server.models import AuditLog, Recipient, User
from server.services import sync
from server.services.auth import actor_for
from tests.api.test_import import good_row, other_county, upload, xlsx
from tests.conftest import mutation, new_id

LIMIT = 5


@pytest.fixture(autouse=True)
def small_limit(app):
    """Few ID-number checks an hour, so a test reaches the limit quickly (production: config.py)."""
    app.config["ID_NUMBER_CHECKS_PER_HOUR"] = LIMIT


def full_number(recipient_id: str) -> str:
    return db.session.execute(select(Recipient.id_number).where(Recipient.id == recipient_id)).scalar_one()


def candidates(masked: str, count: int) -> list[str]:
    """Valid numbers that share the masked value (region and last four): what a prober would try."""
    found, born = [], date(1930, 1, 1)
    while len(found) < count:
        first17 = f"{masked[:6]}{born:%Y%m%d}{masked[-4:-1]}"
        if id_number_check_digit(first17) == masked[-1]:
            found.append(first17 + masked[-1])
        born += timedelta(days=1)
    return found


def recipient(area_id: int, id_number: str | None, **fields) -> dict:
    return {"id": new_id(), "name": "探针", "gender": "male", "id_number": id_number, "phone": None,
            "address": None, "area_id": area_id, "category": "veteran", "tags": [], "notes": None, **fields}


def audits(action: str) -> list[AuditLog]:
    db.session.expire_all()
    return db.session.execute(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).scalars().all()


def flags() -> list:
    from server.models import DuplicateFlag

    db.session.expire_all()
    return db.session.execute(select(DuplicateFlag).order_by(DuplicateFlag.id)).scalars().all()


def shape(result: dict) -> tuple:
    """What a caller can tell one answer from another by (ids and the masked number aside)."""
    error = result.get("error") or {}
    entity = result.get("entity") or {}
    data = {k: v for k, v in (entity.get("data") or {}).items() if k not in ("id", "id_number")}
    return result["status"], error.get("code"), repr(error.get("field_codes")), entity.get("version"), repr(data)


# -- 1. candidates built from a masked number: no free oracle ------------------------------------------


def test_guessing_a_masked_number_by_creating_probes_is_cut_off_before_the_right_candidate(staff, own_recipient):
    real = full_number(own_recipient["id"])
    tries = [c for c in candidates(own_recipient["id_number"], 40) if c != real][:2 * LIMIT]
    tries.insert(LIMIT + 2, real)  # the right one comes after the limit, as it would in a real search
    results = staff.push(*[mutation("recipient.create", recipient(own_recipient["area_id"], c)) for c in tries])

    answers = [shape(r) for r in results]
    assert [r["status"] for r in results[:LIMIT]] == ["applied"] * LIMIT
    # After the limit every candidate is answered alike, the right one included: nothing tells it apart.
    assert set(answers[LIMIT:]) == {("rejected", "rate_limited", "None", None, "{}")}
    assert all("id_number_taken" not in str(r) for r in results)
    [limited] = audits("recipient.id_number_rate_limited")
    assert limited.user_id == staff.user["id"] and limited.details["refused"] == len(tries) - LIMIT


def test_the_limit_holds_across_requests_and_lifts_after_an_hour(app, staff, own_recipient):
    area = own_recipient["area_id"]
    tries = candidates(own_recipient["id_number"], LIMIT + 3)
    real = full_number(own_recipient["id"])
    tries = [c for c in tries if c != real]
    for number in tries[:LIMIT]:
        [result] = staff.push(mutation("recipient.create", recipient(area, number)))
        assert result["status"] == "applied"
    [refused] = staff.push(mutation("recipient.create", recipient(area, tries[LIMIT])))
    assert refused["error"]["code"] == "rate_limited"
    # A recipient without a number, or with the masked one sent back, is no check and still applies.
    [plain] = staff.push(mutation("recipient.create", recipient(area, None)))
    assert plain["status"] == "applied"
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=61)):
        # A read first: after an idle hour a write request's session touch waits on its own lock (auth.py).
        assert staff.get("/api/auth/me").status_code == 200
        [later] = staff.push(mutation("recipient.create", recipient(area, tries[LIMIT])))
    assert later["status"] == "applied"


def test_updating_a_probe_with_candidates_counts_too(staff, own_recipient):
    area = own_recipient["area_id"]
    [probe] = staff.push(mutation("recipient.create", recipient(area, None)))
    real = full_number(own_recipient["id"])
    tries = [c for c in candidates(own_recipient["id_number"], 3 * LIMIT) if c != real][:LIMIT] + [real]
    version, results = probe["entity"]["version"], []
    for number in tries:
        [result] = staff.push(mutation("recipient.update", {"id": probe["entity"]["id"], "id_number": number},
                                       base_version=version))
        results.append(result)
        version = result.get("entity", {}).get("version", version)
    assert [r["status"] for r in results[:LIMIT]] == ["applied"] * LIMIT
    assert results[LIMIT]["error"]["code"] == "rate_limited"


def test_an_id_number_taken_in_scope_is_still_refused_and_every_such_answer_is_audited(staff, own_recipient):
    real = full_number(own_recipient["id"])
    [result] = staff.push(mutation("recipient.create", recipient(own_recipient["area_id"], real)))
    assert result["status"] == "rejected"
    assert result["error"]["field_codes"] == {"id_number": ["id_number_taken"]}
    [audit] = audits("recipient.id_number_taken")
    assert audit.user_id == staff.user["id"] and audit.entity_id == own_recipient["id"]
    assert audit.device_id == staff.device_id and audit.details["mutation_id"] == result["id"]
    assert real not in str(audit.details)


def test_the_roster_import_is_not_limited(reviewer):
    body = upload(reviewer, xlsx([good_row(n) for n in range(1, 3 * LIMIT)])).json
    assert body["created"] == 3 * LIMIT - 1 and body["invalid"] == 0


# -- 2. numbers registered outside the caller's scope: accepted and flagged, never told ----------------


def test_a_number_registered_in_another_township_is_accepted_like_a_fresh_one_and_flagged(
        staff, reviewer, admin, own_recipient, foreign_recipient):
    elsewhere = full_number(foreign_recipient["id"])
    fresh = next(c for c in candidates(own_recipient["id_number"], 20) if c != full_number(own_recipient["id"]))
    taken, new = staff.push(mutation("recipient.create", recipient(own_recipient["area_id"], elsewhere)),
                            mutation("recipient.create", recipient(own_recipient["area_id"], fresh)))
    assert shape(taken) == shape(new) and taken["status"] == "applied"
    assert taken["entity"]["data"]["id_number"] == mask_id_number(elsewhere)

    [flag] = flags()
    assert (flag.recipient_id, flag.other_recipient_id) == (taken["entity"]["id"], foreign_recipient["id"])
    assert flag.created_by == staff.user["id"] and flag.status == "open"
    [audit] = audits("recipient.duplicate_flagged")
    assert audit.entity_id == taken["entity"]["id"] and audit.details["other_recipient_id"] == foreign_recipient["id"]

    # The county office sees it (masked); the staff member neither sees the list nor anything in a pull.
    listed = reviewer.get("/api/recipients/duplicates")
    assert listed.status_code == 200
    [item] = listed.json["items"]
    assert item["recipient"]["id"] == taken["entity"]["id"] and item["other"]["id"] == foreign_recipient["id"]
    assert elsewhere not in listed.get_data(as_text=True)
    assert item["recipient"]["id_number"] == item["other"]["id_number"] == mask_id_number(elsewhere)
    assert staff.get("/api/recipients/duplicates").status_code == 403
    changes, _ = staff.pull_all()
    assert ("recipient", foreign_recipient["id"]) not in changes
    assert "duplicate" not in str(changes[("recipient", taken["entity"]["id"])])


def test_a_probe_updated_to_a_number_of_another_township_applies_and_is_flagged(staff, own_recipient,
                                                                              foreign_recipient):
    [probe] = staff.push(mutation("recipient.create", recipient(own_recipient["area_id"], None)))
    [result] = staff.push(mutation("recipient.update", {"id": probe["entity"]["id"],
                                                        "id_number": full_number(foreign_recipient["id"])},
                                   base_version=1))
    assert result["status"] == "applied"
    assert [(f.recipient_id, f.other_recipient_id) for f in flags()] == [(probe["entity"]["id"],
                                                                           foreign_recipient["id"])]


def test_the_import_answers_a_number_of_another_county_like_a_fresh_one(app, reviewer, admin):
    _, village = other_county()
    admin_actor = actor_for(_user("admin_demo"))
    stranger = recipient(village.id, good_row(99)[2], name="邻县人")
    assert sync.push(admin_actor, [mutation("recipient.create", stranger)])["results"][0]["status"] == "applied"

    body = upload(reviewer, xlsx([good_row(99), good_row(98)])).json
    assert [r["action"] for r in body["rows"]] == ["created", "created"] and body["invalid"] == 0
    again = upload(reviewer, xlsx([good_row(99), good_row(98)])).json
    assert [r["action"] for r in again["rows"]] == ["unchanged", "unchanged"]  # in scope now: updates it
    [flag] = flags()
    assert flag.other_recipient_id == stranger["id"]
    # The county reviewer's scope does not hold the other county's record: only the admin sees the pair.
    assert reviewer.get("/api/recipients/duplicates").json["items"] == []
    assert [i["other"]["id"] for i in admin.get("/api/recipients/duplicates").json["items"]] == [stranger["id"]]
    assert db.session.execute(select(func.count()).select_from(Recipient).where(
        Recipient.id_number == good_row(99)[2])).scalar_one() == 2


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def test_the_database_keeps_one_unflagged_holder_per_number(app, own_recipient, foreign_recipient):
    """Two pushes that both saw a number as fresh cannot both write it: the database decides the race."""
    number = full_number(own_recipient["id"])
    row = {c.key: getattr(db.session.get(Recipient, foreign_recipient["id"]), c.key)
           for c in Recipient.__table__.columns}
    db.session.rollback()
    twin = {**row, "id": new_id(), "id_number": number, "id_number_shared": False}
    with pytest.raises(IntegrityError):
        db.session.execute(Recipient.__table__.insert().values(**twin))
        db.session.flush()
    db.session.rollback()
    db.session.execute(Recipient.__table__.insert().values(**{**twin, "id_number_shared": True}))
    db.session.commit()


def test_a_push_that_lost_the_race_for_a_fresh_number_is_planned_again_and_flagged(app, own_recipient,
                                                                                   foreign_recipient):
    """Planned while the number was fresh, written after another township's push took it."""
    staff_actor = actor_for(_user("staff_demo"), device_id="race")
    number = next(c for c in candidates(own_recipient["id_number"], 20) if c != full_number(own_recipient["id"]))
    mine = mutation("recipient.create", recipient(own_recipient["area_id"], number))
    planner, _ = sync.plan_batch(staff_actor, [mine])  # the number is fresh now
    admin_actor = actor_for(_user("admin_demo"), device_id="race")
    theirs = mutation("recipient.create", recipient(foreign_recipient["area_id"], number))
    assert sync.push(admin_actor, [theirs])["results"][0]["status"] == "applied"
    with pytest.raises(IntegrityError):
        sync.write_plan(planner.plan)
    db.session.rollback()
    [result] = sync.push(staff_actor, [mine])["results"]
    assert result["status"] == "applied"
    assert [f.other_recipient_id for f in flags()] == [theirs["data"]["id"]]


# -- every full-number reveal is audited ---------------------------------------------------------------


def test_a_reviewer_reveal_is_audited_and_one_outside_scope_reveals_nothing(app, reviewer, own_recipient):
    response = reviewer.get(f"/api/recipients/{own_recipient['id']}/id-number")
    assert response.status_code == 200 and response.json["id_number"] == full_number(own_recipient["id"])
    [audit] = audits("recipient.reveal_id_number")
    assert (audit.user_id, audit.entity_id) == (reviewer.user["id"], own_recipient["id"])
    _, village = other_county()
    outside = recipient(village.id, good_row(77)[2])
    sync.push(actor_for(_user("admin_demo")), [mutation("recipient.create", outside)])
    hidden = reviewer.get(f"/api/recipients/{outside['id']}/id-number")
    assert hidden.status_code == 404 and outside["id_number"] not in hidden.get_data(as_text=True)
    assert len(audits("recipient.reveal_id_number")) == 1


# -- the migration keeps a populated database's rows and foreign keys ----------------------------------


def test_migration_0007_round_trips_a_populated_database(app, staff, own_recipient):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from server.models import Visit

    before = {model.__tablename__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
              for model in (Recipient, Visit)}
    assert before["visits"] > 0  # recipients referenced by visits: the rebuild must keep them
    db.session.remove()
    downgrade(revision="0003")
    upgrade()
    db.session.remove()
    after = {model.__tablename__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
             for model in (Recipient, Visit)}
    assert after == before
    db.session.commit()  # SQLite: end this reader's write-locked transaction before inspecting
    indexes = {i["name"]: i for i in inspect(db.engine).get_indexes("recipients")}
    assert indexes["uq_recipients_id_number_unshared"]["unique"]
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    # Still enforced after the round trip.
    [result] = staff.push(mutation("recipient.create", recipient(own_recipient["area_id"],
                                                                 full_number(own_recipient["id"]))))
    assert result["error"]["field_codes"] == {"id_number": ["id_number_taken"]}
