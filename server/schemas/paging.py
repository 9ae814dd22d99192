"""The paging every office list shares: `page`/`per_page` in the query, `items`/`total`/`page`/`per_page` back."""

from marshmallow import RAISE, Schema, fields, validate

from .common import bounded_int


class PageQuerySchema(Schema):
    """A list's filters extend this: unknown parameters are refused, pages count from 1."""

    class Meta:
        unknown = RAISE

    page = bounded_int(load_default=1)
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class PageSchema(Schema):
    """A page of a list; a subclass names its `items`."""

    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
