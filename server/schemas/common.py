"""Field types and validators shared by every schema."""

import re
from datetime import UTC, date, datetime

from marshmallow import Schema, ValidationError, fields, validate

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_number_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_number_errors(value: str) -> list[str]:
    """Why an 18-character resident ID number is invalid (empty list when valid)."""
    if len(value) != 18:
        return ["身份证号应为18位 / must be 18 characters"]
    # isascii: str.isdigit() also accepts full-width (IME) and other scripts' digits.
    if not value.isascii() or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return ["身份证号格式不正确 / must be 17 digits and a digit or X"]
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return ["出生日期无效 / invalid birth date"]
    if born.year < 1900 or born > date.today():
        return ["出生日期无效 / invalid birth date"]
    if id_number_check_digit(value[:17]) != value[17]:
        return ["校验位错误 / wrong check digit"]
    return []


def mask_id_number(value: str | None) -> str | None:
    """330102********1234: the region code and the last four stay, the birth date is hidden."""
    if not value:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def is_masked(value: str | None) -> bool:
    return bool(value) and "*" in value


class UuidString(fields.String):
    """A UUID kept as its lower-case string (ids are made on the device)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not UUID_RE.match(value):
            raise ValidationError("Not a valid UUID.")
        return value.lower()


class Sha256(fields.String):
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
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")


class ErrorEnvelopeSchema(Schema):
    error = fields.Nested(ErrorSchema, required=True)
