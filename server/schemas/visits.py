"""Wire shapes of the office's visits: list filters, the page, a visit's detail, the review."""

from marshmallow import RAISE, Schema, fields, validate

from ..models.visits import KINDS, STATUSES
from .paging import PageQuerySchema, PageSchema
from .sync import DifficultyDataSchema, RecipientDataSchema, VisitDataSchema


class VisitQuerySchema(PageQuerySchema):
    area = fields.Integer()
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    q = fields.String(validate=validate.Length(max=50))
    author_id = fields.Integer()
    recipient_id = fields.String(validate=validate.Length(max=36))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class ReviewSchema(Schema):
    class Meta:
        unknown = RAISE

    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


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
