"""Possible duplicates for the office: recipients written with an ID number another recipient, outside the
writer's scope, already held (the sync planner flags them instead of refusing: services/sync/ops.py)."""

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..domain.recipients import mask_id_number
from ..extensions import db
from ..models import Area, DuplicateFlag, Recipient, User
from .actors import Actor

LIST_LIMIT = 500


def _side(recipient, village) -> dict:
    return {"id": recipient.id, "name": recipient.name, "id_number": mask_id_number(recipient.id_number),
            "category": recipient.category, "area_id": recipient.area_id, "village_name": village.name}


def list_duplicate_flags(actor: Actor) -> list[dict]:
    """The open flags whose two recipients both lie in the actor's scope, newest first, numbers masked.

    Both, not one: a flag shows that a number is registered on its other side, which a reviewer whose scope
    holds only one side must not learn (an admin, or the office over both, resolves it).
    """
    mine, other = aliased(Recipient), aliased(Recipient)
    mine_area, other_area = aliased(Area), aliased(Area)
    query = (select(DuplicateFlag, mine, other, mine_area, other_area, User.display_name)
             .join(mine, mine.id == DuplicateFlag.recipient_id)
             .join(other, other.id == DuplicateFlag.other_recipient_id)
             .join(mine_area, mine_area.id == mine.area_id)
             .join(other_area, other_area.id == other.area_id)
             .outerjoin(User, User.id == DuplicateFlag.created_by)
             .where(DuplicateFlag.status == "open")
             .order_by(DuplicateFlag.created_at.desc(), DuplicateFlag.id.desc())
             .limit(LIST_LIMIT))
    if not actor.sees_all:
        query = query.where(mine_area.path.startswith(actor.area_path, autoescape=True),
                            other_area.path.startswith(actor.area_path, autoescape=True))
    return [{"id": flag.id, "created_at": flag.created_at, "status": flag.status, "created_by_name": author,
             "recipient": _side(a, a_area), "other": _side(b, b_area)}
            for flag, a, b, a_area, b_area, author in db.session.execute(query)]
