"""Field types and validators shared by every schema, and the bounds every loaded value stays within."""

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


# -- bounds: what SQLite, PostgreSQL and Python's date arithmetic all take ------------------------------

# An `Integer` column is PostgreSQL's int4; SQLite and Python take more, so this is the bound everywhere.
INT32_MAX = 2**31 - 1
# Dates and times people record: a visit, a deadline, a birth date. Python's datetime stops at years 1 and
# 9999, and a local date at either end overflows when it becomes UTC (or a report adds a day), so values
# far from both ends are refused at the schema rather than failing somewhere inside.
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2100, 12, 31)
DATE_RANGE_MESSAGE = f"日期超出范围 / out of range ({MIN_DATE} … {MAX_DATE})"


def bounded_int(minimum: int = 1, maximum: int = INT32_MAX, **kwargs) -> fields.Integer:
    """An integer within its column's range: by default an id (1 … 2³¹−1). The range is documented
    (`minimum`/`maximum`), so clients and the phone know it too."""
    return fields.Integer(validate=[*_validators(kwargs), validate.Range(minimum, maximum)], **kwargs)


class DateRange(validate.Validator):
    """A date or naive date-time within MIN_DATE … MAX_DATE (no `min`/`max` attributes: apispec would
    document those as `x-minimum`, which JSON Schema and the phone do not know)."""

    def __call__(self, value):
        day = value.date() if isinstance(value, datetime) else value
        if not MIN_DATE <= day <= MAX_DATE:
            raise ValidationError(DATE_RANGE_MESSAGE)
        return value


IN_DATE_RANGE = DateRange()


def bounded_date(**kwargs) -> fields.Date:
    """A YYYY-MM-DD date within MIN_DATE … MAX_DATE."""
    return fields.Date(validate=[*_validators(kwargs), IN_DATE_RANGE], **kwargs)


def _validators(kwargs: dict) -> list:
    """The `validate` a caller passed (one, a list, or none), taken out of `kwargs`."""
    given = kwargs.pop("validate", None)
    if given is None:
        return []
    return list(given) if isinstance(given, list | tuple) else [given]


# -- text: control characters ------------------------------------------------------------------------------
# A control character is invisible on screen, breaks the office's Excel exports (openpyxl refuses most of
# C0), splits log lines (CR, LF, NEL) and PostgreSQL refuses NUL; a lone surrogate (JSON's "\ud800") cannot
# even be encoded to store. Text refuses them all; multi-line text (notes, descriptions, comments) keeps
# the line feed and the tab. U+FFFE/U+FFFF are no characters at all (and not allowed in XML).
#
# The documented patterns (ECMAScript and Python alike; the phone checks them before saving). A JavaScript
# string holds an emoji as two surrogates, so the documented pattern leaves surrogates to the server.
ONE_LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\ufffe\\uffff]*$"
MULTI_LINE_PATTERN = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\ufffe\\uffff]*$"
CONTROL_MESSAGE = "不能包含控制字符 / contains control characters"
# What the server refuses: the documented patterns' characters, and lone surrogates.
_ONE_LINE_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MULTI_LINE_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class NoControlCharacters(validate.Regexp):
    """Refuses control characters (and lone surrogates); `multi_line` keeps LF and TAB. A Regexp, so apispec
    documents its pattern; the server's own check adds the surrogates the documented pattern leaves out."""

    def __init__(self, multi_line: bool = False):
        super().__init__(MULTI_LINE_PATTERN if multi_line else ONE_LINE_PATTERN, error=CONTROL_MESSAGE)
        self.refused = _MULTI_LINE_REFUSED if multi_line else _ONE_LINE_REFUSED

    def __call__(self, value):
        if isinstance(value, str) and self.refused.search(value):
            raise ValidationError(self.error)
        return value


ONE_LINE = NoControlCharacters()
MULTI_LINE = NoControlCharacters(multi_line=True)


def has_control_characters(value: str) -> bool:
    """What one-line text refuses (a request path, a header value)."""
    return ONE_LINE.refused.search(value) is not None


class UtcDateTime(fields.Field):
    """ISO-8601 in, naive UTC out; naive input is taken as UTC. Dumped as ISO with a trailing Z. Within
    MIN_DATE … MAX_DATE (so a far offset cannot overflow the conversion either)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("Not a valid ISO-8601 date-time.")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        except ValueError as err:
            raise ValidationError("Not a valid ISO-8601 date-time.") from err
        if not MIN_DATE <= parsed.date() <= MAX_DATE:
            raise ValidationError(DATE_RANGE_MESSAGE)
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


def text(max_len: int | None = None, multi_line: bool = False, **kwargs) -> fields.String:
    """Text of at most `max_len` characters without control characters (`multi_line`: LF and TAB allowed)."""
    checks = [validate.Length(max=max_len)] if max_len is not None else []
    checks.append(MULTI_LINE if multi_line else ONE_LINE)
    return fields.String(validate=[*checks, *_validators(kwargs)], **kwargs)


def required_text(max_len: int, multi_line: bool = False, **kwargs) -> fields.String:
    checks = [validate.Length(min=1, max=max_len), MULTI_LINE if multi_line else ONE_LINE]
    return fields.String(required=True, validate=[*checks, *_validators(kwargs)], **kwargs)


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
                       "not_found, taken, date_order, period_too_long, nothing_to_change, control_characters, … else "
                       "invalid"})


class ErrorEnvelopeSchema(Schema):
    error = fields.Nested(ErrorSchema, required=True)


class WholeNested(fields.Nested):
    """A nested object that is replaced as a whole: a patch that sends it sends all of it.

    marshmallow hands a partial load down to nested schemas, so `visit.update` with `{"location": {"lat": 1}}`
    would store a location without `lng`. Partial loading stops here.
    """

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        return super()._deserialize(value, attr, data, partial=False, **kwargs)

