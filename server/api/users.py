"""Colleagues in scope, for the office to pick an assignee (names and areas only; accounts are admin.py)."""

from flask import Blueprint, g
from marshmallow import RAISE, Schema, fields, validate

from ..models.users import ROLES
from ..services import users as user_service
from . import doc, load_query, roles

bp = Blueprint("users", __name__, url_prefix="/api/users")
OFFICE = ("reviewer", "admin")


class ColleagueQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    q = fields.String(validate=validate.Length(max=50))
    role = fields.String(validate=validate.OneOf(ROLES))
    area = fields.Integer()


@bp.get("")
@roles(*OFFICE)
@doc("Active users in scope (id, display name, role, area), e.g. to assign a difficulty",
     query=ColleagueQuerySchema, roles=OFFICE)
def colleagues():
    query = load_query(ColleagueQuerySchema())
    page = user_service.list_users(g.actor, active=True, per_page=200, **query)
    return {"items": [{k: u[k] for k in ("id", "display_name", "role", "area_id", "area_name")}
                      for u in page["items"]]}
