"""A recipient's archive 档案 (profile, every visit, every difficulty with its follow-ups) and the audited
reveal of a full ID number."""

from sqlalchemy import select

from ..extensions import db
from ..models import Area, Difficulty, FollowUp, Recipient, User, Visit
from . import records
from .actors import Actor
from .changes import record_audit
from .errors import NotFound
from .scope import area_in_scope


def get_recipient(actor: Actor, recipient_id: str) -> Recipient:
    recipient = db.session.get(Recipient, recipient_id)
    if recipient is None or area_in_scope(actor, recipient.area_id) is None:
        raise NotFound("No such recipient")
    return recipient


def reveal_id_number(actor: Actor, recipient_id: str) -> str | None:
    """The full ID number for a reviewer who opened the record; every read is in the audit log."""
    recipient = get_recipient(actor, recipient_id)
    record_audit(actor, "recipient.reveal_id_number", "recipient", recipient.id)
    db.session.commit()
    return recipient.id_number


def recipient_archive(actor: Actor, recipient_id: str) -> dict:
    """Everything about one recipient, oldest first, ID number masked; exporting it is audited."""
    recipient = get_recipient(actor, recipient_id)
    data = archive_data(recipient)
    record_audit(actor, "recipient.archive", "recipient", recipient.id)
    db.session.commit()
    return data


def archive_data(recipient: Recipient) -> dict:
    """The archive of a recipient already checked to be in scope (the caller audits the export)."""
    visits = db.session.execute(
        select(Visit).where(Visit.recipient_id == recipient.id).order_by(Visit.visited_at)).scalars().all()
    difficulties = db.session.execute(
        select(Difficulty).where(Difficulty.recipient_id == recipient.id).order_by(Difficulty.created_at)
    ).scalars().all()
    follow_ups: dict[str, list] = {}
    if difficulties:
        for follow_up in db.session.execute(
                select(FollowUp).where(FollowUp.difficulty_id.in_([d.id for d in difficulties]))
                .order_by(FollowUp.at)).scalars():
            follow_ups.setdefault(follow_up.difficulty_id, []).append(
                records.followup_data(records.row_dict(follow_up)))
    user_ids = {v.author_id for v in visits} | {d.author_id for d in difficulties} | {
        f["author_id"] for items in follow_ups.values() for f in items}
    names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
    village = db.session.get(Area, recipient.area_id)
    township = db.session.get(Area, village.parent_id) if village.parent_id else None
    return {
        "recipient": {**records.recipient_data(records.row_dict(recipient)), "village_name": village.name,
                      "township_name": township.name if township else None},
        "visits": [{**records.visit_data(records.row_dict(v)), "author_name": names.get(v.author_id)}
                   for v in visits],
        "difficulties": [{**records.difficulty_data(records.row_dict(d)), "author_name": names.get(d.author_id),
                          "follow_ups": [{**f, "author_name": names.get(f["author_id"])}
                                         for f in follow_ups.get(d.id, [])]}
                         for d in difficulties],
        "names": {str(k): v for k, v in names.items()},
    }
