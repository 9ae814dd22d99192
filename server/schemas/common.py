"""Field types and validators shared by every schema."""

import re
from datetime import UTC, date, datetime

from marshmallow import Schema, ValidationError, fields, validate

# The ID number rules live with the other recipient rules; imported here for the schemas' older callers.
from ..domain.recipients import id_number_check_digit, id_number_errors, is_masked, mask_id_number  # noqa: F401

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class _Patterned(fields.String):
    """A string whose pattern reaches the OpenAPI document (a field's own `metadata` may still say more)."""

    pattern: re.Pattern

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": self.pattern.pattern, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)


class UuidString(_Patterned):
    """A UUID kept as its lower-case string (ids are made on the device)."""

    pattern = UUID_RE

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not UUID_RE.match(value):
            raise ValidationError("Not a valid UUID.")
        return value.lower()


class Sha256(_Patterned):
    pattern = SHA256_RE

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not SHA256_RE.match(value):
            raise ValidationError("Not a lower-case hex SHA-256.")
        return value


class UtcDateTime(fields.Field):
    """ISO-8601 in, naive UTC out; naive input is taken as UTC. Dumped as ISO with a trailing Z."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("Not a valid ISO-8601 date-time.")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        except ValueError as err:
            raise ValidationError("Not a valid ISO-8601 date-time.") from err
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed

    def _serialize(self, value, attr, obj, **kwargs):
        return iso_utc(value)


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds") + "Z"


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def text(max_len: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=max_len), **kwargs)


def required_text(max_len: int, **kwargs) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=max_len), **kwargs)


class ErrorSchema(Schema):
    code = fields.String(required=True, metadata={
        "description": "Stable and machine-readable (validation_error, not_found, conflict, …): what clients "
                       "translate"})
    message = fields.String(required=True, metadata={"description": "For API users; not translated"})
    fields_ = fields.Dict(data_key="fields", metadata={
        "description": "Input errors: each offending field's messages, for API users (a nested record's by "
                       "its fields, a list's items by index)"})
    field_codes = fields.Dict(metadata={
        "description": "With `fields`, the same tree with each message as a stable code to translate: "
                       "required, too_long, too_short, invalid_length, invalid_choice, invalid_type, "
                       "not_a_number, out_of_range, invalid_format, unknown_field, id_number_length, "
                       "id_number_format, id_number_birth_date, id_number_check_digit, id_number_taken, "
                       "not_in_scope, signature_required, in_future, cannot_change, resolved_needs_no_next, "
                       "not_found, taken, date_order, period_too_long, nothing_to_change, … else invalid"})


class ErrorEnvelopeSchema(Schema):
    error = fields.Nested(ErrorSchema, required=True)


class WholeNested(fields.Nested):
    """A nested object that is replaced as a whole: a patch that sends it sends all of it.

    marshmallow hands a partial load down to nested schemas, so `visit.update` with `{"location": {"lat": 1}}`
    would store a location without `lng`. Partial loading stops here.
    """

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        return super()._deserialize(value, attr, data, partial=False, **kwargs)

