"""Wire shapes of the office's visits: list filters, the page, a visit's detail, the review."""

from marshmallow import RAISE, Schema, fields, validate

from ..domain.difficulties import CATEGORIES, URGENCIES
from ..domain.visits import COMPARED_FIELDS, DIFFICULTY_FIELDS
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


class FieldChangeSchema(Schema):
    field = fields.String(required=True)
    before = fields.Raw(required=True, allow_none=True, metadata={"description": "the value as the record writes it"})
    after = fields.Raw(required=True, allow_none=True)


class VisitFieldChangeSchema(FieldChangeSchema):
    field = fields.String(required=True, validate=validate.OneOf(COMPARED_FIELDS))


class DifficultyFieldChangeSchema(FieldChangeSchema):
    field = fields.String(required=True, validate=validate.OneOf(DIFFICULTY_FIELDS))


class DifficultyChangeSchema(Schema):
    id = fields.String(required=True)
    change = fields.String(required=True, validate=validate.OneOf(("added", "removed", "changed")))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    description = fields.String(required=True)
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    fields_ = fields.List(fields.Nested(DifficultyFieldChangeSchema), required=True, data_key="fields",
                          attribute="fields")


class VisitChangesSchema(Schema):
    """What the author changed since the visit was last returned."""

    returned_at = fields.String(required=True, metadata={"format": "date-time"})
    review_comment = fields.String(required=True, allow_none=True)
    fields_ = fields.List(fields.Nested(VisitFieldChangeSchema), required=True, data_key="fields",
                          attribute="fields")
    photos_added = fields.List(fields.String(), required=True)
    photos_removed = fields.List(fields.String(), required=True)
    difficulties = fields.List(fields.Nested(DifficultyChangeSchema), required=True)


class VisitDetailSchema(VisitDataSchema):
    version = fields.Integer(required=True)
    reviewed_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    recipient = fields.Nested(RecipientDataSchema, required=True)
    author_name = fields.String(required=True, allow_none=True)
    village_name = fields.String(required=True, allow_none=True)
    township_name = fields.String(required=True, allow_none=True)
    difficulties = fields.List(fields.Nested(DifficultyDataSchema), required=True)
    changes_since_return = fields.Nested(VisitChangesSchema, required=True, allow_none=True, metadata={
        "description": "after a return and a resubmission: what changed since the return (else null)"})
