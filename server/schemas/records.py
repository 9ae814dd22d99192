"""Schemas of the records the sync ops write: a `.create` carries all of it, an `.update` a patch."""

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from ..domain import difficulties, recipients, visits
from ..domain.recipients import MAX_LENGTHS
from ..domain.visits import cash_signature_errors  # noqa: F401  (its older import path)
from .common import Sha256, UtcDateTime, UuidString, required_text, text

# Fields the server owns: a device echoing them back (it keeps the pulled record) is not an error.
SERVER_FIELDS = {"author_id", "status", "review_comment", "reviewed_by", "reviewed_at", "version",
                 "created_at", "updated_at", "created_by", "resolved_at", "assignee_id",
                 "responsible_unit", "status_changed_at"}


class RecordSchema(Schema):
    class Meta:
        unknown = RAISE

    server_fields: set[str] = SERVER_FIELDS

    @pre_load
    def _drop_server_fields(self, data, **kwargs):
        if isinstance(data, dict) and not self.server_fields.isdisjoint(data):
            data = {k: v for k, v in data.items() if k not in self.server_fields}
        return data


class LocationSchema(Schema):
    class Meta:
        unknown = RAISE

    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(load_default=None, allow_none=True, validate=validate.Range(0, 100000))


class RecipientSchema(RecordSchema):
    id = UuidString(required=True)
    name = required_text(MAX_LENGTHS["name"])
    gender = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(recipients.GENDERS))
    id_number = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(max=MAX_LENGTHS["id_number"]))
    phone = text(MAX_LENGTHS["phone"], load_default=None, allow_none=True)
    address = text(MAX_LENGTHS["address"], load_default=None, allow_none=True)
    area_id = fields.Integer(required=True, strict=True)
    category = fields.String(required=True, validate=validate.OneOf(recipients.CATEGORIES))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=recipients.MAX_TAG_LENGTH)),
                       load_default=list, validate=validate.Length(max=recipients.MAX_TAGS))
    notes = text(MAX_LENGTHS["notes"], load_default=None, allow_none=True)

    @pre_load
    def _normalise_id_number(self, data, **kwargs):
        value = data.get("id_number") if isinstance(data, dict) else None
        if isinstance(value, str):
            value = recipients.normalise_id_number(value) or None
            data = {**data, "id_number": value}
        return data

    @validates("id_number")
    def _valid_id_number(self, value, **kwargs):
        # A masked number (what phones hold) is dropped by the service, not an error.
        if value and not recipients.is_masked(value):
            errors = recipients.id_number_errors(value)
            if errors:
                raise ValidationError(errors)


class VisitSchema(RecordSchema):
    server_fields = SERVER_FIELDS | {"area_id"}

    id = UuidString(required=True)
    recipient_id = UuidString(required=True)
    visited_at = UtcDateTime(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(visits.KINDS))
    occasion = text(100, load_default=None, allow_none=True)
    participants = text(255, load_default=None, allow_none=True)
    gifts = text(255, load_default=None, allow_none=True)
    cash_cents = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, visits.CASH_CENTS_MAX))
    notes = text(4000, load_default=None, allow_none=True)
    location = fields.Nested(LocationSchema, load_default=None, allow_none=True)
    photos = fields.List(Sha256(), load_default=list, validate=validate.Length(max=visits.MAX_PHOTOS))
    signature = Sha256(load_default=None, allow_none=True)
    no_signature_reason = text(255, load_default=None, allow_none=True)


class DifficultySchema(RecordSchema):
    server_fields = SERVER_FIELDS | {"area_id"}

    id = UuidString(required=True)
    recipient_id = UuidString(required=True)
    visit_id = UuidString(load_default=None, allow_none=True)
    category = fields.String(required=True, validate=validate.OneOf(difficulties.CATEGORIES))
    description = required_text(4000)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(difficulties.URGENCIES))
    due_date = fields.Date(load_default=None, allow_none=True)
    follow_up_at = UtcDateTime(load_default=None, allow_none=True)


class FollowUpSchema(RecordSchema):
    server_fields = SERVER_FIELDS - {"status"} | {"area_id"}

    id = UuidString(required=True)
    difficulty_id = UuidString(required=True)
    at = UtcDateTime(required=True)
    note = required_text(4000)
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(difficulties.STATUSES))
    next_follow_up_at = UtcDateTime(load_default=None, allow_none=True)

    @validates_schema
    def _resolved_needs_no_next(self, data, **kwargs):
        errors = difficulties.follow_up_errors(data)
        if errors:
            raise ValidationError(errors)

