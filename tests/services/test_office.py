"""Office services called directly: difficulties board changes, review, users, areas, errors they raise."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Area, AuditLog, Difficulty, User
from server.services import auth, difficulties, review, sync, users
from server.services.areas import create_area
from server.services.errors import (
    AreaCodeTaken,
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    UsernameTaken,
    WeakPassword,
)
from tests.conftest import difficulty_data, mutation, visit_data

POLICY = {"PASSWORD_MIN_LENGTH": 8, "PASSWORD_MIN_CLASSES": 3, "PASSWORD_MAX_AGE_DAYS": 0}


@pytest.fixture
def difficulty_id(staff_actor, own_recipient_id):
    data = difficulty_data(own_recipient_id, follow_up_at="2026-12-10T01:00:00.000Z")
    sync.push(staff_actor, [mutation("difficulty.create", data)])
    return data["id"]


def test_resolving_a_difficulty_stamps_it_and_clears_its_follow_up(reviewer_actor, difficulty_id):
    detail = difficulties.update_difficulty(reviewer_actor, difficulty_id, {"status": "resolved", "version": 1})
    assert detail["status"] == "resolved" and detail["follow_up_at"] is None and detail["resolved_at"]
    assert detail["version"] == 2
    reopened = difficulties.update_difficulty(reviewer_actor, difficulty_id, {"status": "in_progress"})
    assert reopened["resolved_at"] is None and reopened["version"] == 3


def test_a_stale_version_is_a_conflict_naming_the_current_one(reviewer_actor, difficulty_id):
    difficulties.update_difficulty(reviewer_actor, difficulty_id, {"responsible_unit": "民政办"})
    with pytest.raises(Conflict) as caught:
        difficulties.update_difficulty(reviewer_actor, difficulty_id, {"status": "resolved", "version": 1})
    assert caught.value.code == "conflict" and caught.value.fields == {"version": ["2"]}
    db.session.rollback()
    assert db.session.get(Difficulty, difficulty_id).status == "open"


def test_an_unchanged_office_edit_bumps_no_version(reviewer_actor, difficulty_id):
    assert difficulties.update_difficulty(reviewer_actor, difficulty_id, {"status": "open"})["version"] == 1


def test_out_of_scope_difficulties_do_not_exist(app, difficulty_id):
    from tests.services.conftest import actor

    other_township = db.session.execute(
        select(Area).where(Area.level == "township").order_by(Area.code.desc())).scalars().first()
    users.create_user("staff_far", "远方干事", "Far-away-2026", "staff", other_township.id)
    with pytest.raises(NotFound):
        difficulties.get_difficulty(actor("staff_far"), difficulty_id)


def test_overdue_is_the_domains_rule_on_the_board(reviewer_actor, difficulty_id):
    difficulties.update_difficulty(reviewer_actor, difficulty_id, {"due_date": (
        db.session.get(Difficulty, difficulty_id).created_at - timedelta(days=1)).date()})
    board = difficulties.list_difficulties(reviewer_actor, zone="Asia/Shanghai", overdue=True)
    assert [item["id"] for item in board["items"] if item["id"] == difficulty_id] == [difficulty_id]
    assert all(item["overdue"] for item in board["items"])


def test_review_accepts_a_submitted_visit_once(staff_actor, reviewer_actor, own_recipient_id):
    data = visit_data(own_recipient_id)
    sync.push(staff_actor, [mutation("visit.create", data)])
    with pytest.raises(InvalidInput):
        review.review_visit(reviewer_actor, data["id"], "return", "")
    db.session.rollback()
    entity = review.review_visit(reviewer_actor, data["id"], "approve", None)
    assert entity["data"]["status"] == "approved" and entity["version"] == 2
    with pytest.raises(InvalidTransition):
        review.review_visit(reviewer_actor, data["id"], "return", "再看看")


def test_one_create_user_for_the_system_and_for_an_admin(admin_actor):
    township = db.session.execute(select(Area).where(Area.level == "township")).scalars().first()
    assert not hasattr(auth, "create_user")  # one way accounts are made: users.create_user

    by_system = users.create_user("cli_made", "命令行", "short", "staff", township.id)
    assert by_system.must_change_password is False  # the CLI checks its own passwords

    with pytest.raises(WeakPassword) as caught:
        users.create_user("weak", "弱密码", "short", "staff", township.id, admin_actor, policy=POLICY)
    assert caught.value.code == "weak_password" and caught.value.fields["password"]
    db.session.rollback()

    by_admin = users.create_user("admin_made", "管理员建", "Strong-2026", "staff", township.id, admin_actor,
                                 policy=POLICY, temporary_password=True)
    assert by_admin.must_change_password is True
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "user.create",
                                                      AuditLog.entity_id == str(by_admin.id))).scalar_one()
    assert audit.user_id == admin_actor.user_id and audit.details == {"role": "staff", "area_id": township.id}

    with pytest.raises(UsernameTaken) as caught:
        users.create_user("cli_made", "重名", "Strong-2026", "staff", township.id, admin_actor, policy=POLICY)
    assert caught.value.fields == {"username": ["exists"]}


def test_an_admin_cannot_place_a_user_outside_their_scope(staff_actor):
    elsewhere = db.session.execute(select(Area).where(~Area.path.startswith(staff_actor.area_path))
                                   .order_by(Area.id)).scalars().first()
    with pytest.raises(InvalidInput) as caught:
        users.create_user("outsider", "外人", "Strong-2026", "staff", elsewhere.id, staff_actor, policy=POLICY)
    assert caught.value.fields == {"area_id": ["not an area in your scope"]}
    db.session.rollback()
    assert db.session.execute(select(User).where(User.username == "outsider")).first() is None


def test_an_area_code_is_unique(app):
    county = db.session.execute(select(Area).where(Area.level == "county")).scalars().first()
    with pytest.raises(AreaCodeTaken) as caught:
        create_area(county.code, "重复", "county")
    assert caught.value.code == "code_taken"
