"""Wire shapes of the office's recipient endpoints: the roster import, the archive 档案, the ID reveal,
the possible duplicates."""

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from webargs.fields import DelimitedList

from .common import UtcDateTime
from .sync import DifficultyDataSchema, FollowUpDataSchema, RecipientDataSchema, VisitDataSchema


class OneOrZero(fields.Boolean):
    """1/true/yes/on or 0/false/no/off (any case, spaces around ignored); an empty value is 0."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("", "0", "false", "no", "off"):
            return False
        raise ValidationError("must be 1 or 0")


class DryRunQuerySchema(Schema):
    error_message = "dry_run must be 1 or 0"  # the 400's message (server/errors.py)

    class Meta:
        unknown = EXCLUDE

    dry_run = OneOrZero(load_default=False, metadata={"description": "1: check only, write nothing"})


class ImportQuerySchema(DryRunQuerySchema):
    skip_rows = DelimitedList(fields.Integer(validate=validate.Range(min=1, max=10_000_000)), load_default=list,
                              validate=validate.Length(max=50_000), metadata={
                                  "description": "comma-separated sheet row numbers not to import (rows the "
                                                 "office chose to leave out after the dry run's warnings)"})


class RosterFileSchema(Schema):
    error_message = "Send the roster as multipart field `file`"  # the 422's message (server/errors.py)

    class Meta:
        unknown = EXCLUDE

    file = Upload(required=True, error_messages={"required": "必填 / required"},
                  metadata={"description": ".xlsx or .csv (the template's columns)"})


WARNING_CODES = ("possible_duplicate", "phone_format", "gender_mismatch")


class ImportWarningSchema(Schema):
    code = fields.String(required=True, validate=validate.OneOf(WARNING_CODES), metadata={
        "description": "possible_duplicate: the same person may be on the roster (`recipient_id`, in the caller's "
                       "scope only) or in another row (`row`) under another ID number; phone_format: not an "
                       "11-digit mobile nor area code + number; gender_mismatch: the gender contradicts the ID "
                       "number's gender digit"})
    field = fields.String(metadata={"description": "the column it is about (phone_format, gender_mismatch)"})
    recipient_id = fields.String(metadata={"description": "possible_duplicate: the recipient already registered"})
    row = fields.Integer(metadata={"description": "possible_duplicate: the other row of the file"})
    rule = fields.String(validate=validate.OneOf(("name_birth_date", "name_village_address")), metadata={
        "description": "possible_duplicate: same name and birth date, or same name, village and similar address"})
    name = fields.String()
    id_number = fields.String(metadata={"description": "possible_duplicate: the other's number, masked"})
    village_name = fields.String()
    id_number_gender = fields.String(validate=validate.OneOf(("male", "female")))


class ImportRowSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "the sheet's row number"})
    ok = fields.Boolean(required=True)
    action = fields.String(metadata={"description": "created / updated / unchanged / skipped (ok rows)"})
    warnings = fields.List(fields.Nested(ImportWarningSchema), metadata={
        "description": "what the office should look at before importing (never stops the row)"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    error_codes = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "`errors` with each message as its code (the error envelope's `field_codes`)"})


class ImportResultSchema(Schema):
    dry_run = fields.Boolean(required=True)
    valid = fields.Integer(required=True)
    invalid = fields.Integer(required=True)
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    skipped = fields.Integer(required=True, metadata={"description": "valid rows left out by `skip_rows`"})
    warned = fields.Integer(required=True, metadata={"description": "rows with warnings"})
    rows = fields.List(fields.Nested(ImportRowSchema), required=True)


class IdNumberSchema(Schema):
    id_number = fields.String(required=True, allow_none=True)


class DuplicateSideSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    id_number = fields.String(required=True, allow_none=True, metadata={"description": "masked"})
    category = fields.String(required=True)
    area_id = fields.Integer(required=True)
    village_name = fields.String(required=True)


class DuplicateFlagSchema(Schema):
    id = fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    status = fields.String(required=True, metadata={"enum": ["open"]})
    created_by_name = fields.String(required=True, allow_none=True)
    recipient = fields.Nested(DuplicateSideSchema, required=True, metadata={
        "description": "written (by sync or the roster import) with the ID number `other` already held, "
                       "outside its writer's scope: accepted, and flagged here"})
    other = fields.Nested(DuplicateSideSchema, required=True)


class DuplicateListSchema(Schema):
    items = fields.List(fields.Nested(DuplicateFlagSchema), required=True, metadata={
        "description": "open flags whose two recipients are both in the caller's scope, newest first (≤ 500)"})


class ArchiveRecipientSchema(RecipientDataSchema):
    village_name = fields.String(required=True)
    township_name = fields.String(required=True, allow_none=True)


class ArchiveVisitSchema(VisitDataSchema):
    author_name = fields.String(required=True, allow_none=True)


class ArchiveFollowUpSchema(FollowUpDataSchema):
    author_name = fields.String(required=True, allow_none=True)


class ArchiveDifficultySchema(DifficultyDataSchema):
    author_name = fields.String(required=True, allow_none=True)
    follow_ups = fields.List(fields.Nested(ArchiveFollowUpSchema), required=True)


class ArchiveSchema(Schema):
    """Everything about one recipient, oldest first; the ID number masked."""

    recipient = fields.Nested(ArchiveRecipientSchema, required=True)
    visits = fields.List(fields.Nested(ArchiveVisitSchema), required=True)
    difficulties = fields.List(fields.Nested(ArchiveDifficultySchema), required=True)
    names = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                        metadata={"description": "user id → display name"})
