"""Office: the visit list, a visit's detail and its review."""

from flask import current_app, g

from ..schemas.sync import EntitySchema
from ..schemas.visits import ReviewSchema, VisitDetailSchema, VisitPageSchema, VisitQuerySchema
from ..services import review
from . import Blueprint, roles

bp = Blueprint("visits", __name__, url_prefix="/api/visits", description="Synced visits and their review")
OFFICE = ("reviewer", "admin")


@bp.get("")
@roles(*OFFICE)
@bp.arguments(VisitQuerySchema, location="query")
@bp.response(200, VisitPageSchema)
def list_visits(query):
    """Synced visits in scope (filters: area, from, to, kind, status, q, author_id, recipient_id)"""
    return review.list_visits(
        g.actor, zone=current_app.config["TIMEZONE"], area=query.get("area"), date_from=query.get("from_"),
        date_to=query.get("to"), kind=query.get("kind"), status=query.get("status"), q=query.get("q"),
        author_id=query.get("author_id"), recipient_id=query.get("recipient_id"), page=query["page"],
        per_page=query["per_page"])


@bp.get("/<visit_id>")
@roles(*OFFICE)
@bp.response(200, VisitDetailSchema)
def get_visit(visit_id: str):
    """A visit with its recipient, photos, signature, location and the difficulties found"""
    return review.visit_detail(g.actor, visit_id)


@bp.post("/<visit_id>/review")
@roles(*OFFICE)
@bp.arguments(ReviewSchema)
@bp.response(200, EntitySchema, description="The visit as a pull change")
@bp.alt_response(409, response="CONFLICT", description="invalid_transition")
def review_visit(body, visit_id: str):
    """Approve or return a submitted visit (409 invalid_transition otherwise)"""
    return review.review_visit(g.actor, visit_id, body["decision"], body.get("comment"))
