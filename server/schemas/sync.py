"""Schemas of the sync endpoints: the push envelope, its answer, and a pull page."""

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from .common import ErrorSchema, UtcDateTime, UuidString

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
    mutations = fields.List(fields.Raw(allow_none=True), required=True, metadata={
        "maxItems": 200, "description": "≤ 200 (413 batch_too_large), the body ≤ 2 MB (413 payload_too_large); "
                                        "each item is a Mutation"})


# -- the records as pull `data` and push `entity.data` (server/services/records.py writes them) --------


def _always(field: fields.Field) -> fields.Field:
    """An answer's field that is always present (null where the record has no value)."""
    field.required = True
    return field


def _time(**kwargs) -> fields.String:
    return _always(fields.String(allow_none=True, metadata={"format": "date-time"}, **kwargs))


def _date(**kwargs) -> fields.String:
    return _always(fields.String(allow_none=True, metadata={"format": "date"}, **kwargs))


class AreaDataSchema(Schema):
    id = _always(fields.Integer())
    code = _always(fields.String())
    name = _always(fields.String())
    level = _always(fields.String())
    parent_id = _always(fields.Integer(allow_none=True))


class UserDataSchema(Schema):
    id = _always(fields.Integer())
    display_name = _always(fields.String())


class RecipientDataSchema(Schema):
    id = _always(fields.String())
    name = _always(fields.String())
    gender = _always(fields.String(allow_none=True))
    id_number = _always(fields.String(allow_none=True, metadata={"description": "masked: 330102********1234"}))
    phone = _always(fields.String(allow_none=True))
    address = _always(fields.String(allow_none=True))
    area_id = _always(fields.Integer())
    category = _always(fields.String())
    tags = _always(fields.List(fields.String()))
    notes = _always(fields.String(allow_none=True))


class LocationSchema(Schema):
    lat = _always(fields.Raw(metadata={"type": "number"}))
    lng = _always(fields.Raw(metadata={"type": "number"}))
    accuracy_m = fields.Raw(allow_none=True, metadata={"type": "number", "nullable": True})


class VisitDataSchema(Schema):
    id = _always(fields.String())
    recipient_id = _always(fields.String())
    author_id = _always(fields.Integer())
    area_id = _always(fields.Integer())
    visited_at = _time()
    kind = _always(fields.String())
    occasion = _always(fields.String(allow_none=True))
    participants = _always(fields.String(allow_none=True))
    gifts = _always(fields.String(allow_none=True))
    cash_cents = _always(fields.Integer(allow_none=True))
    notes = _always(fields.String(allow_none=True))
    location = _always(fields.Nested(LocationSchema, allow_none=True))
    photos = _always(fields.List(fields.String()))
    signature = _always(fields.String(allow_none=True))
    no_signature_reason = _always(fields.String(allow_none=True))
    status = _always(fields.String(validate=validate.OneOf(("submitted", "returned", "approved"))))
    review_comment = _always(fields.String(allow_none=True))


class DifficultyDataSchema(Schema):
    id = _always(fields.String())
    recipient_id = _always(fields.String())
    visit_id = _always(fields.String(allow_none=True))
    author_id = _always(fields.Integer())
    area_id = _always(fields.Integer())
    category = _always(fields.String())
    description = _always(fields.String())
    urgency = _always(fields.String())
    status = _always(fields.String())
    assignee_id = _always(fields.Integer(allow_none=True))
    responsible_unit = _always(fields.String(allow_none=True))
    due_date = _date()
    follow_up_at = _time()
    resolved_at = _time()
    created_at = _time()


class FollowUpDataSchema(Schema):
    id = _always(fields.String())
    difficulty_id = _always(fields.String())
    author_id = _always(fields.Integer())
    at = _time()
    note = _always(fields.String(allow_none=True))
    status = _always(fields.String(allow_none=True))
    next_follow_up_at = _time()


class CampaignDataSchema(Schema):
    id = _always(fields.String())
    name = _always(fields.String())
    starts_on = _date()
    ends_on = _date()
    categories = _always(fields.List(fields.String()))
    area_id = _always(fields.Integer())


# The `data` of each entity type (documented as oneOf these; each matches its type's records only).
RECORD_DATA = {
    "area": AreaDataSchema,
    "user": UserDataSchema,
    "recipient": RecipientDataSchema,
    "visit": VisitDataSchema,
    "difficulty": DifficultyDataSchema,
    "followup": FollowUpDataSchema,
    "campaign": CampaignDataSchema,
}


class RecordData(fields.Raw):
    """A record's `data` as the serializers wrote it (answered as is): one of RECORD_DATA, or null for a
    tombstone. server/api documents it as `oneOf` the RECORD_DATA components."""


class EntitySchema(Schema):
    """A pull change, and a push result's entity: a record's current version, or its tombstone."""

    type = _always(fields.String(validate=validate.OneOf(tuple(RECORD_DATA))))
    id = _always(fields.String())
    version = _always(fields.Integer())
    deleted = _always(fields.Boolean())
    data = _always(RecordData(allow_none=True))


class MutationResultSchema(Schema):
    id = _always(fields.String(allow_none=True, metadata={"description": "null when the mutation had no "
                                                                         "string id"}))
    status = _always(fields.String(validate=validate.OneOf(("applied", "duplicate", "conflict", "rejected"))))
    entity = fields.Nested(EntitySchema, metadata={"description": "applied, duplicate, conflict"})
    error = fields.Nested(ErrorSchema, metadata={"description": "rejected; `fields` keys a list item by its "
                                                               "index"})


class PushResponseSchema(Schema):
    results = _always(fields.List(fields.Nested(MutationResultSchema)))
    cursor = _always(fields.Integer(metadata={"description": "the newest change number (informational)"}))


class PullQuerySchema(Schema):
    error_message = "cursor and limit must be integers"  # the 400's message (server/errors.py)

    class Meta:
        unknown = EXCLUDE  # a cache-buster (`_=…`) or a newer client's extra parameter is not an error

    cursor = fields.Integer(load_default=0)
    limit = fields.Integer(load_default=None, validate=validate.Range(1, 1000))


class PullResponseSchema(Schema):
    changes = _always(fields.List(fields.Nested(EntitySchema)))
    cursor = _always(fields.Integer())
    has_more = _always(fields.Boolean())


__all__ = ["OPS", "RECORD_DATA", "EntitySchema", "MutationSchema", "PushRequestSchema", "PushResponseSchema",
           "PullQuerySchema", "PullResponseSchema", "RecordData", "UtcDateTime"]
