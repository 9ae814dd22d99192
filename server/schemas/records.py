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

from ..models.difficulties import CATEGORIES as DIFFICULTY_CATEGORIES
from ..models.difficulties import STATUSES as DIFFICULTY_STATUSES
from ..models.difficulties import URGENCIES
from ..models.recipients import CATEGORIES as RECIPIENT_CATEGORIES
from ..models.recipients import GENDERS
from ..models.visits import KINDS
from .common import Sha256, UtcDateTime, UuidString, id_number_errors, is_masked, required_text, text

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
    name = required_text(50)
    gender = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GENDERS))
    id_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=18))
    phone = text(32, load_default=None, allow_none=True)
    address = text(255, load_default=None, allow_none=True)
    area_id = fields.Integer(required=True, strict=True)
    category = fields.String(required=True, validate=validate.OneOf(RECIPIENT_CATEGORIES))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list,
                       validate=validate.Length(max=20))
    notes = text(2000, load_default=None, allow_none=True)

    @pre_load
    def _normalise_id_number(self, data, **kwargs):
        value = data.get("id_number") if isinstance(data, dict) else None
        if isinstance(value, str):
            value = value.strip().upper() or None
            data = {**data, "id_number": value}
        return data

    @validates("id_number")
    def _valid_id_number(self, value, **kwargs):
        # A masked number (what phones hold) is dropped by the service, not an error.
        if value and not is_masked(value):
            errors = id_number_errors(value)
            if errors:
                raise ValidationError(errors)


class VisitSchema(RecordSchema):
    server_fields = SERVER_FIELDS | {"area_id"}

    id = UuidString(required=True)
    recipient_id = UuidString(required=True)
    visited_at = UtcDateTime(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    occasion = text(100, load_default=None, allow_none=True)
    participants = text(255, load_default=None, allow_none=True)
    gifts = text(255, load_default=None, allow_none=True)
    cash_cents = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 100_000_000))
    notes = text(4000, load_default=None, allow_none=True)
    location = fields.Nested(LocationSchema, load_default=None, allow_none=True)
    photos = fields.List(Sha256(), load_default=list, validate=validate.Length(max=20))
    signature = Sha256(load_default=None, allow_none=True)
    no_signature_reason = text(255, load_default=None, allow_none=True)


class DifficultySchema(RecordSchema):
    server_fields = SERVER_FIELDS | {"area_id"}

    id = UuidString(required=True)
    recipient_id = UuidString(required=True)
    visit_id = UuidString(load_default=None, allow_none=True)
    category = fields.String(required=True, validate=validate.OneOf(DIFFICULTY_CATEGORIES))
    description = required_text(4000)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    due_date = fields.Date(load_default=None, allow_none=True)
    follow_up_at = UtcDateTime(load_default=None, allow_none=True)


class FollowUpSchema(RecordSchema):
    server_fields = SERVER_FIELDS - {"status"} | {"area_id"}

    id = UuidString(required=True)
    difficulty_id = UuidString(required=True)
    at = UtcDateTime(required=True)
    note = required_text(4000)
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(DIFFICULTY_STATUSES))
    next_follow_up_at = UtcDateTime(load_default=None, allow_none=True)

    @validates_schema
    def _resolved_needs_no_next(self, data, **kwargs):
        if data.get("status") == "resolved" and data.get("next_follow_up_at"):
            raise ValidationError("A resolved difficulty needs no next follow-up.", "next_follow_up_at")


def cash_signature_errors(cash_cents: int, signature, reason) -> dict | None:
    """Cash given needs the recipient's signature or a reason why there is none."""
    if cash_cents and not signature and not (reason and reason.strip()):
        return {"signature": ["发放慰问金需要受助人签字或填写未签字原因 / cash needs a signature or a reason"]}
    return None
