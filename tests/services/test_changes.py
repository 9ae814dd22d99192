"""The change recorder (services.changes): queued changes and audits, numbers at commit, savepoint rollback."""

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditLog, ChangeLog
from server.services import changes
from server.services.errors import CursorExpired


def test_a_commit_numbers_the_recorded_changes_and_hands_back_the_last(app):
    newest = changes.newest_change()
    assert not changes.changed()
    changes.record_change("area", 1, 1)
    changes.record_changes([("area", 2, 2), ("area", 1, 1)])  # the same record twice: numbered once
    assert changes.changed()
    db.session.commit()
    assert changes.take_last_seq() == newest + 2
    assert changes.take_last_seq() is None  # handed back once
    logged = db.session.execute(select(ChangeLog.entity_id).where(ChangeLog.seq > newest)
                                .order_by(ChangeLog.seq)).scalars().all()
    assert logged == ["1", "2"]


def test_rolling_back_to_a_mark_drops_what_was_recorded_after_it(app):
    newest = changes.newest_change()
    changes.record_change("area", 1, 1)
    position = changes.mark()
    changes.record_change("area", 2, 2)
    changes.record_audits([{"at": None, "user_id": None, "action": "test.dropped", "entity_type": None,
                            "entity_id": None, "device_id": None, "ip": None, "details": None}])
    changes.rollback_to(position)
    changes.record_audit(None, "test.kept")
    db.session.commit()
    assert changes.take_last_seq() == newest + 1
    actions = set(db.session.execute(select(AuditLog.action).where(AuditLog.action.like("test.%"))).scalars())
    assert actions == {"test.kept"}


def test_a_rolled_back_transaction_leaves_nothing_queued(app):
    newest = changes.newest_change()
    changes.record_change("area", 1, 1)
    db.session.rollback()
    assert not changes.changed()
    db.session.commit()
    assert changes.newest_change() == newest and changes.take_last_seq() is None


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_cursor_outside_the_known_numbers_has_expired(reviewer_actor, offset):
    cursor = -1 if offset < 0 else changes.newest_change() + 1
    with pytest.raises(CursorExpired):
        changes.list_changes_since(reviewer_actor, cursor, 100)


def test_a_pull_from_the_newest_number_is_empty_and_stays_there(reviewer_actor):
    newest = changes.newest_change()
    page = changes.list_changes_since(reviewer_actor, newest, 100)
    assert page == {"changes": [], "cursor": newest, "has_more": False}
