"""Office: the difficulties board and office changes (assignee, unit, deadline, status)."""

from flask import current_app, g

from ..schemas.difficulties import BoardPageSchema, BoardQuerySchema, DifficultyDetailSchema, DifficultyPatchSchema
from ..services import difficulties
from . import Blueprint, roles

bp = Blueprint("difficulties", __name__, url_prefix="/api/difficulties", description="The difficulties board")
OFFICE = ("reviewer", "admin")


@bp.get("")
@roles(*OFFICE)
@bp.arguments(BoardQuerySchema, location="query")
@bp.response(200, BoardPageSchema)
def board(query):
    """The board (filters: status, overdue 办结超期, follow_up_overdue 跟进逾期, area, category, urgency,
    assignee_id)"""
    page, per_page = query.pop("page"), query.pop("per_page")
    return difficulties.list_difficulties(g.actor, zone=current_app.config["TIMEZONE"], page=page,
                                          per_page=per_page, **query)


@bp.get("/<difficulty_id>")
@roles(*OFFICE)
@bp.response(200, DifficultyDetailSchema)
def get_difficulty(difficulty_id: str):
    """A difficulty with its follow-up history"""
    return difficulties.difficulty_detail(g.actor, difficulty_id)


@bp.patch("/<difficulty_id>")
@roles(*OFFICE)
@bp.arguments(DifficultyPatchSchema)
@bp.response(200, DifficultyDetailSchema)
@bp.alt_response(409, response="CONFLICT")
def patch_difficulty(body, difficulty_id: str):
    """Office changes: assignee, responsible unit, deadline, status (optional `version` for a stale check)"""
    return difficulties.update_difficulty(g.actor, difficulty_id, body)
