"""Wire shapes of the office's visits: list filters, the page, a visit's detail, the review."""

from marshmallow import RAISE, Schema, fields, validate

from ..models.visits import KINDS, STATUSES
from .common import bounded_date, bounded_int, text
from .paging import PageQuerySchema, PageSchema
from .sync import DifficultyDataSchema, RecipientDataSchema, VisitDataSchema


class VisitQuerySchema(PageQuerySchema):
    area = bounded_int()
    from_ = bounded_date(data_key="from")
    to = bounded_date()
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    q = text(50)
    author_id = bounded_int()
    recipient_id = text(36)
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class ReviewSchema(Schema):
    class Meta:
        unknown = RAISE

    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    comment = text(2000, multi_line=True, load_default=None, allow_none=True)


class VisitListItemSchema(VisitDataSchema):
    version = fields.Integer(required=True)
    recipient_name = fields.String(required=True)
    author_name = fields.String(required=True)
    village_name = fields.String(required=True)
    township_name = fields.String(required=True, allow_none=True)


class VisitPageSchema(PageSchema):
    items = fields.List(fields.Nested(VisitListItemSchema), required=True)


class VisitDetailSchema(VisitDataSchema):
    version = fields.Integer(required=True)
    reviewed_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    recipient = fields.Nested(RecipientDataSchema, required=True)
    author_name = fields.String(required=True, allow_none=True)
    village_name = fields.String(required=True, allow_none=True)
    township_name = fields.String(required=True, allow_none=True)
    difficulties = fields.List(fields.Nested(DifficultyDataSchema), required=True)
