"""A new version of the standard (services/creation/standards.py): the carry-over rule (domain) and what the
service moves, records and leaves behind, called directly on the demo campaign."""

from sqlalchemy import func, select

from server.domain import creation as rules
from server.extensions import db
from server.models import AuditLog, Evidence, Item, Rectification, Standard
from server.services.creation import standards
from tests.services.conftest import actor

DONE_ITEM = {"number": "1", "content": "成立领导小组", "points": 2.0, "rule": "未成立扣2分", "evidence_required": None,
             "metric": None, "status": "done", "self_score": 2.0, "estimated_score": 1.5, "loss_notes": "纪要不全"}


def test_an_unchanged_item_carries_all_its_work_and_spacing_is_not_a_change():
    new = {**DONE_ITEM, "content": " 成立 领导小组 ", "points": 2}
    assert rules.changed_fields(DONE_ITEM, new) == []
    assert rules.carried_work(DONE_ITEM, [], 2) == {"status": "done", "self_score": 2.0, "estimated_score": 1.5,
                                                    "loss_notes": "纪要不全"}


def test_a_changed_item_keeps_its_notes_loses_its_scores_and_is_reviewed_again():
    new = {**DONE_ITEM, "points": 3, "rule": "未成立扣3分"}
    changed = rules.changed_fields(DONE_ITEM, new)
    assert changed == ["points", "rule"]
    assert rules.carried_work(DONE_ITEM, changed, 1) == {"status": "pending_review", "self_score": None,
                                                         "estimated_score": None, "loss_notes": "纪要不全"}
    for status, expected in (("needs_fix", "pending_review"), ("pending_review", "pending_review"),
                             ("in_progress", "in_progress"), ("not_started", "not_started")):
        assert rules.carried_work({**DONE_ITEM, "status": status}, changed, 0)["status"] == expected
    assert rules.carried_work({**DONE_ITEM, "status": "not_started"}, changed, 1)["status"] == "in_progress"
    assert rules.changed_fields(DONE_ITEM, {**DONE_ITEM, "metric": "difficulty_on_time"}) == ["metric"]


def _tree() -> list[dict]:
    tree = standards.standard_tree()
    return [{"name": c["name"], "max_points": c["max_points"], "items": [dict(i, id=None) for i in c["items"]]}
            for c in tree["categories"]]


def test_the_service_moves_records_and_leaves_a_dropped_items_behind(app):
    admin = actor("admin_demo")
    old = {i.number: i for i in db.session.execute(select(Item)).scalars()}
    old_6_3, old_2_6 = old["6.3"].id, old["2.6"].id
    categories = _tree()
    second = next(c for c in categories if any(i["number"] == "2.6" for i in c["items"]))
    second["items"] = [i if i["number"] != "2.6" else {**i, "number": "2.9"} for i in second["items"]]
    standard = standards.create_standard(admin, "修订版", 90, categories)

    new = {i.number: i for i in db.session.execute(select(Item).where(Item.standard_id == standard.id)).scalars()}
    assert db.session.execute(select(func.count()).select_from(Rectification)
                              .where(Rectification.item_id == old_6_3)).scalar_one() == 0
    moved = db.session.execute(select(Rectification).where(Rectification.item_id == new["6.3"].id)).scalars().all()
    assert moved and all(r.version >= 2 for r in moved)
    # 2.6 renumbered is a removal and an addition: its evidence stays with the old item.
    assert db.session.execute(select(func.count()).select_from(Evidence)
                              .where(Evidence.item_id == old_2_6)).scalar_one() == 2
    assert new["2.9"].status == "not_started"
    assert (new["6.3"].previous_item_id, new["2.9"].previous_item_id) == (old_6_3, None)
    record = db.session.get(Standard, standard.id).changes
    assert [e["number"] for e in record["added"]] == ["2.9"] and [e["number"] for e in record["removed"]] == ["2.6"]
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "standard.create")
                               .order_by(AuditLog.id.desc())).scalars().first()
    assert (audit.details["added"], audit.details["removed"], audit.details["changed"]) == (1, 1, 0)
