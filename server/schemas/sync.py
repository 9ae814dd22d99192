"""Schemas of the sync endpoints: the push envelope, its answer, and a pull page."""

from marshmallow import EXCLUDE, INCLUDE, RAISE, Schema, fields, validate

from .common import UtcDateTime, UuidString

OPS = ("recipient.create", "recipient.update", "visit.create", "visit.update", "difficulty.create",
       "followup.create")


class MutationSchema(Schema):
    """One mutation; `data` is checked by the op's own schema so one bad record rejects only itself."""

    class Meta:
        unknown = RAISE

    id = UuidString(required=True)
    op = fields.String(required=True)
    data = fields.Dict(required=True)
    base_version = fields.Integer(load_default=None, allow_none=True, strict=True)
    client_time = fields.Raw(load_default=None, allow_none=True)


class PushRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    device_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    # Each item is checked one by one in the service, so a malformed item rejects only itself.
    mutations = fields.List(fields.Raw(allow_none=True), required=True)


class EntitySchema(Schema):
    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    deleted = fields.Boolean(required=True)
    data = fields.Dict(allow_none=True)


class MutationResultSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("applied", "duplicate", "conflict",
                                                                     "rejected")))
    entity = fields.Nested(EntitySchema)
    error = fields.Dict()


class PushResponseSchema(Schema):
    results = fields.List(fields.Nested(MutationResultSchema), required=True)
    cursor = fields.Integer(required=True)


class PullQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # a cache-buster (`_=…`) or a newer client's extra parameter is not an error

    cursor = fields.Integer(load_default=0)
    limit = fields.Integer(load_default=None, validate=validate.Range(1, 1000))


class PullResponseSchema(Schema):
    changes = fields.List(fields.Nested(EntitySchema), required=True)
    cursor = fields.Integer(required=True)
    has_more = fields.Boolean(required=True)


__all__ = ["OPS", "MutationSchema", "PushRequestSchema", "PushResponseSchema", "PullQuerySchema",
           "PullResponseSchema", "UtcDateTime"]
