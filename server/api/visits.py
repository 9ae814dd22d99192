"""Office: the visit list, a visit's detail and its review."""

from flask import Blueprint, current_app, g
from marshmallow import RAISE, Schema, fields, validate

from ..models.visits import KINDS, STATUSES
from ..services import review
from . import doc, load_json, load_query, roles

bp = Blueprint("visits", __name__, url_prefix="/api/visits")
OFFICE = ("reviewer", "admin")


class VisitQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    area = fields.Integer()
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    q = fields.String(validate=validate.Length(max=50))
    author_id = fields.Integer()
    recipient_id = fields.String(validate=validate.Length(max=36))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class ReviewSchema(Schema):
    class Meta:
        unknown = RAISE

    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class VisitPageSchema(Schema):
    items = fields.List(fields.Dict())
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


@bp.get("")
@roles(*OFFICE)
@doc("Synced visits in scope (filters: area, from, to, kind, status, q, author_id, recipient_id)",
     query=VisitQuerySchema, response=VisitPageSchema, roles=OFFICE)
def list_visits():
    query = load_query(VisitQuerySchema())
    return review.list_visits(
        g.actor, zone=current_app.config["TIMEZONE"], area=query.get("area"), date_from=query.get("from_"),
        date_to=query.get("to"), kind=query.get("kind"), status=query.get("status"), q=query.get("q"),
        author_id=query.get("author_id"), recipient_id=query.get("recipient_id"), page=query["page"],
        per_page=query["per_page"])


@bp.get("/<visit_id>")
@roles(*OFFICE)
@doc("A visit with its recipient, photos, signature, location and the difficulties found", roles=OFFICE)
def get_visit(visit_id: str):
    return review.visit_detail(g.actor, visit_id)


@bp.post("/<visit_id>/review")
@roles(*OFFICE)
@doc("Approve or return a submitted visit (409 invalid_transition otherwise)", body=ReviewSchema,
     roles=OFFICE)
def review_visit(visit_id: str):
    body = load_json(ReviewSchema())
    return review.review_visit(g.actor, visit_id, body["decision"], body.get("comment"))
