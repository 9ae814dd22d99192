"""Schemas of the sync endpoints: the push envelope, its answer, and a pull page."""

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from ..models.areas import LEVELS
from .common import ONE_LINE, ErrorSchema, UtcDateTime, UuidString, bounded_int
from .creation import CreationItemDataSchema, RectificationDataSchema, UnitDataSchema
from .records import (
    OP_DATA,
    DifficultyDataSchema,
    EvidenceDataSchema,
    FollowUpDataSchema,
    LocationDataSchema,
    RecipientDataSchema,
    VisitDataSchema,
)

OPS = tuple(OP_DATA)


class MutationSchema(Schema):
    """One mutation; `data` is checked by the op's own schema so one bad record rejects only itself."""

    class Meta:
        unknown = RAISE

    id = UuidString(required=True)
    # An unknown op is answered `rejected` by the service, not by this schema: the enum is the document's.
    op = fields.String(required=True, metadata={"enum": list(OPS)})
    data = fields.Dict(required=True, metadata={
        "description": "`.create`: the whole record; `.update`: its id and the fields it changes. Checked by "
                       "the op's schema: the component x-data-by-op names",
        "x-data-by-op": {op: {"$ref": f"#/components/schemas/{name}"} for op, (name, _) in OP_DATA.items()}})
    base_version = bounded_int(0, load_default=None, allow_none=True, strict=True)
    client_time = fields.Raw(load_default=None, allow_none=True)


class PushRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    device_id = fields.String(required=True, validate=[validate.Length(min=1, max=64), ONE_LINE])
    epoch = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64), metadata={
        "description": "the database epoch the device last saw in an answer (optional): another one answers 410 "
                       "cursor_expired and applies nothing (the server was restored; re-send what it "
                       "acknowledged, then pull from 0)"})
    # Each item is checked one by one in the service, so a malformed item rejects only itself.
    mutations = fields.List(fields.Raw(allow_none=True), required=True, metadata={
        "maxItems": 200, "description": "≤ 200 (413 batch_too_large), the body ≤ 2 MB (413 payload_too_large); "
                                        "each item is a Mutation"})


# -- the records as pull `data` and push `entity.data` (server/services/records.py writes them) --------
# Recipients, visits, difficulties and follow-ups: derived from their record schemas (schemas/records.py).
# Areas, users and campaigns are never pushed by a device: their `data` is declared here, once.


def _always(field: fields.Field) -> fields.Field:
    """An answer's field that is always present (null where the record has no value)."""
    field.required = True
    return field



class AreaDataSchema(Schema):
    id = _always(fields.Integer())
    code = _always(fields.String())
    name = _always(fields.String())
    level = _always(fields.String(validate=validate.OneOf(LEVELS)))
    parent_id = _always(fields.Integer(allow_none=True))


class UserDataSchema(Schema):
    id = _always(fields.Integer())
    display_name = _always(fields.String())


class CampaignDataSchema(Schema):
    id = _always(fields.String())
    name = _always(fields.String())
    starts_on = _always(fields.String(metadata={"format": "date"}))
    ends_on = _always(fields.String(metadata={"format": "date"}))
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
    # The creation campaign: what liaisons' phones pull (and nothing above).
    "unit": UnitDataSchema,
    "creation_item": CreationItemDataSchema,
    "evidence": EvidenceDataSchema,
    "rectification": RectificationDataSchema,
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
    id = _always(fields.String(metadata={"description": "the mutation's id as sent; \"\" (empty) when it "
                                                        "had no string id (a malformed item)"}))
    status = _always(fields.String(validate=validate.OneOf(("applied", "duplicate", "conflict", "rejected"))))
    entity = fields.Nested(EntitySchema, metadata={"description": "applied, duplicate, conflict"})
    error = fields.Nested(ErrorSchema, metadata={"description": "rejected; `fields` keys a list item by its "
                                                               "index"})


EPOCH = "the database's epoch, a random id a restore replaces (always answered; send it back as `epoch`)"


class PushResponseSchema(Schema):
    results = _always(fields.List(fields.Nested(MutationResultSchema)))
    cursor = _always(fields.Integer(metadata={"description": "the newest change number, as a cursor "
                                                             "(informational)"}))
    epoch = fields.String(metadata={"description": EPOCH})


class PullQuerySchema(Schema):
    error_message = "cursor and limit must be integers"  # the 400's message (server/errors.py)

    class Meta:
        unknown = EXCLUDE  # a cache-buster (`_=…`) or a newer client's extra parameter is not an error

    cursor = fields.Integer(load_default=0, metadata={
        "description": "0, or the `cursor` of the last page: it carries the database's epoch, so one from "
                       "before a restore answers 410 cursor_expired"})
    limit = fields.Integer(load_default=None, validate=validate.Range(1, 1000))
    epoch = fields.String(load_default=None, validate=validate.Length(max=64), metadata={
        "description": "the epoch of the last answer (optional, empty = none): another one answers 410 "
                       "cursor_expired"})


class PullResponseSchema(Schema):
    changes = _always(fields.List(fields.Nested(EntitySchema)))
    cursor = _always(fields.Integer())
    has_more = _always(fields.Boolean())
    epoch = fields.String(metadata={"description": EPOCH})


__all__ = ["OPS", "OP_DATA", "RECORD_DATA", "DifficultyDataSchema", "EntitySchema", "FollowUpDataSchema",
           "LocationDataSchema", "MutationSchema", "PullQuerySchema", "PullResponseSchema", "PushRequestSchema",
           "PushResponseSchema", "RecipientDataSchema", "RecordData", "UtcDateTime", "VisitDataSchema"]
