"""Wire shapes of the office's difficulties board: filters, the page, a difficulty's detail, changes."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..models.difficulties import CATEGORIES, STATUSES, URGENCIES
from .common import ONE_LINE, bounded_date, bounded_int
from .paging import PageQuerySchema, PageSchema
from .sync import DifficultyDataSchema, FollowUpDataSchema


class BoardQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    overdue = fields.Boolean(load_default=False, metadata={
        "description": "办结超期: the deadline (due_date) passed and the difficulty is not resolved"})
    follow_up_overdue = fields.Boolean(load_default=False, metadata={
        "description": "跟进逾期: the follow-up date's local day passed and no follow-up was recorded since"})
    area = bounded_int()
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    assignee_id = bounded_int()


class DifficultyPatchSchema(Schema):
    class Meta:
        unknown = RAISE

    assignee_id = bounded_int(allow_none=True)
    responsible_unit = fields.String(allow_none=True, validate=[validate.Length(max=100), ONE_LINE])
    due_date = bounded_date(allow_none=True)
    status = fields.String(validate=validate.OneOf(STATUSES))
    version = bounded_int(0, metadata={"description": "when given, must be current (409 conflict otherwise)"})

    @validates_schema
    def _something(self, data, **kwargs):
        if not set(data) - {"version"}:
            raise ValidationError("Nothing to change.", "_schema")


class BoardItemSchema(DifficultyDataSchema):
    version = fields.Integer(required=True)
    recipient_name = fields.String(required=True)
    village_name = fields.String(required=True)
    assignee_name = fields.String(required=True, allow_none=True)
    overdue = fields.Boolean(required=True, metadata={"description": "办结超期"})
    follow_up_overdue = fields.Boolean(required=True, metadata={"description": "跟进逾期"})


class BoardCountsSchema(Schema):
    overdue = fields.Integer(required=True, metadata={"description": "办结超期, under the area/category filters"})
    follow_up_overdue = fields.Integer(required=True, metadata={"description": "跟进逾期, the same way"})


class BoardPageSchema(PageSchema):
    items = fields.List(fields.Nested(BoardItemSchema), required=True)
    counts = fields.Nested(BoardCountsSchema, required=True)


class DifficultyDetailSchema(DifficultyDataSchema):
    version = fields.Integer(required=True)
    recipient_name = fields.String(required=True)
    village_name = fields.String(required=True)
    assignee_name = fields.String(required=True, allow_none=True)
    follow_ups = fields.List(fields.Nested(FollowUpDataSchema), required=True)
