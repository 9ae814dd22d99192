"""Office: the difficulties board and office changes (assignee, unit, deadline, status)."""

from flask import Blueprint, current_app, g
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..models.difficulties import CATEGORIES, STATUSES, URGENCIES
from ..services import difficulties
from . import doc, load_json, load_query, roles

bp = Blueprint("difficulties", __name__, url_prefix="/api/difficulties")
OFFICE = ("reviewer", "admin")


class BoardQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(validate=validate.OneOf(STATUSES))
    overdue = fields.Boolean(load_default=False)
    area = fields.Integer()
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    assignee_id = fields.Integer()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class DifficultyPatchSchema(Schema):
    class Meta:
        unknown = RAISE

    assignee_id = fields.Integer(allow_none=True)
    responsible_unit = fields.String(allow_none=True, validate=validate.Length(max=100))
    due_date = fields.Date(allow_none=True)
    status = fields.String(validate=validate.OneOf(STATUSES))
    version = fields.Integer()

    @validates_schema
    def _something(self, data, **kwargs):
        if not set(data) - {"version"}:
            raise ValidationError("Nothing to change.", "_schema")


class BoardPageSchema(Schema):
    items = fields.List(fields.Dict())
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


@bp.get("")
@roles(*OFFICE)
@doc("The board (filters: status, overdue, area, category, urgency, assignee_id)", query=BoardQuerySchema,
     response=BoardPageSchema, roles=OFFICE)
def board():
    query = load_query(BoardQuerySchema())
    page, per_page = query.pop("page"), query.pop("per_page")
    return difficulties.list_difficulties(g.actor, zone=current_app.config["TIMEZONE"], page=page,
                                          per_page=per_page, **query)


@bp.get("/<difficulty_id>")
@roles(*OFFICE)
@doc("A difficulty with its follow-up history", roles=OFFICE)
def get_difficulty(difficulty_id: str):
    return difficulties.difficulty_detail(g.actor, difficulty_id)


@bp.patch("/<difficulty_id>")
@roles(*OFFICE)
@doc("Office changes: assignee, responsible unit, deadline, status (optional `version` for a stale check)",
     body=DifficultyPatchSchema, roles=OFFICE)
def patch_difficulty(difficulty_id: str):
    body = load_json(DifficultyPatchSchema())
    return difficulties.update_difficulty(g.actor, difficulty_id, body)
