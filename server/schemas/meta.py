"""Wire shapes of the meta endpoints."""

from marshmallow import Schema, fields


class HealthSchema(Schema):
    status = fields.String(required=True)
