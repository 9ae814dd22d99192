"""Admin: accounts (revoking a lost phone's sessions)."""

from flask import Blueprint, g

from ..services import auth as auth_service
from . import doc, roles

bp = Blueprint("admin", __name__, url_prefix="/api/admin")


@bp.post("/users/<int:user_id>/revoke-sessions")
@roles("admin")
@doc("End every session of a user (a lost phone)", roles=("admin",))
def revoke_sessions(user_id: int):
    user = auth_service.get_user_in_scope(g.actor, user_id)
    count = auth_service.revoke_sessions(user.id, g.actor)
    return {"revoked": count}
