"""The synced records, each declared once: what its ops load and what pulls answer as its `data`.

A record schema's load fields (with every limit) are what a `.create` carries, and an `.update` a patch of;
its `dump_only` fields are the ones the server owns: they are answered, never loaded (a device echoing them
back is not an error: `_drop_server_fields`). Its `rules` are the checks JSON Schema cannot state
(schemas/rules.py): they run here and are published as the op component's `x-rules`. `answer_schema` derives the
documented pull `data` from it.
"""

from datetime import timedelta

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    missing,
    pre_load,
    validate,
    validates_schema,
)

from ..domain import creation, difficulties, recipients, visits
from ..domain.recipients import MAX_LENGTHS
from ..domain.visits import cash_signature_errors  # noqa: F401  (its older import path)
from ..services.errors import InvalidInput
from .common import (
    IN_DATE_RANGE,
    ONE_LINE,
    Sha256,
    UtcDateTime,
    UuidString,
    WholeNested,
    bounded_int,
    required_text,
    text,
)
from .rules import IdNumber, NotFuture, ResolvedNoNext, Rule, SignatureOrReason

# How far ahead of the server's clock a phone's visit or follow-up time may be (its clock may run ahead).
FUTURE_SLACK = timedelta(days=1)

# Columns the server owns: a device echoing them back (it keeps the pulled record) is not an error.
SERVER_FIELDS = frozenset({"author_id", "status", "review_comment", "reviewed_by", "reviewed_at", "version",
                           "created_at", "updated_at", "created_by", "resolved_at", "assignee_id",
                           "responsible_unit", "status_changed_at", "assignments"})


class RecordSchema(Schema):
    """A synced record. Its `rules` are the checks JSON Schema cannot state (schemas/rules.py): run here (or
    by the op, `check_saved`) and published on the op's component as `x-rules`, from this one list."""

    class Meta:
        unknown = RAISE

    rules: tuple[Rule, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        declared = self.declared_fields
        loaded = {name for name, field in declared.items() if not field.dump_only}
        owned = {name for name, field in declared.items() if field.dump_only}
        # What `_drop_server_fields` drops: the server's columns (area_id too, where the record does not
        # load it), the record's dump_only fields, never one of its load fields.
        self.server_fields: frozenset[str] = frozenset((SERVER_FIELDS | {"area_id"} | owned) - loaded)

    @pre_load
    def _drop_server_fields(self, data, **kwargs):
        if isinstance(data, dict) and not self.server_fields.isdisjoint(data):
            data = {k: v for k, v in data.items() if k not in self.server_fields}
        return data

    @validates_schema(skip_on_field_errors=False)
    def _field_rules(self, data, **kwargs):
        # `data` holds only the fields that loaded: a rule never reports on a field already in error.
        errors = {}
        for rule in self.rules:
            if rule.stage == "field" and rule.field in data:
                errors.update(rule.errors(data) or {})
        if errors:
            raise ValidationError(errors)

    @validates_schema
    def _record_rules(self, data, **kwargs):
        for rule in self.rules:
            if rule.stage == "record":
                errors = rule.errors(data)
                if errors:
                    raise ValidationError(errors)

    @classmethod
    def check_saved(cls, record) -> None:
        """The `saved` rules over the record as it will be stored: InvalidInput on the first that fails."""
        for rule in cls.rules:
            if rule.stage == "saved":
                errors = rule.errors(record)
                if errors:
                    raise InvalidInput("Invalid record", errors)


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
                              validate=validate.Length(max=MAX_LENGTHS["id_number"]), metadata={
                                  "description": "18 characters (GB 11643); pulls send it masked "
                                                 "(330102********1234), and a masked number sent back is "
                                                 "ignored"})
    phone = text(MAX_LENGTHS["phone"], load_default=None, allow_none=True)
    address = text(MAX_LENGTHS["address"], load_default=None, allow_none=True)
    area_id = bounded_int(required=True, strict=True)
    category = fields.String(required=True, validate=validate.OneOf(recipients.CATEGORIES))
    tags = fields.List(fields.String(validate=[validate.Length(min=1, max=recipients.MAX_TAG_LENGTH), ONE_LINE]),
                       load_default=list, validate=validate.Length(max=recipients.MAX_TAGS))
    notes = text(MAX_LENGTHS["notes"], multi_line=True, load_default=None, allow_none=True)

    # A masked number (what phones hold) is dropped by the service, not an error.
    rules = (IdNumber("id_number"),)

    @pre_load
    def _normalise_id_number(self, data, **kwargs):
        value = data.get("id_number") if isinstance(data, dict) else None
        if isinstance(value, str):
            value = recipients.normalise_id_number(value) or None
            data = {**data, "id_number": value}
        return data


class VisitSchema(RecordSchema):
    id = UuidString(required=True)
    recipient_id = UuidString(required=True)
    visited_at = UtcDateTime(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(visits.KINDS))
    occasion = text(100, load_default=None, allow_none=True)
    participants = text(255, load_default=None, allow_none=True)
    gifts = text(255, load_default=None, allow_none=True)
    cash_cents = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, visits.CASH_CENTS_MAX))
    notes = text(4000, multi_line=True, load_default=None, allow_none=True)
    location = WholeNested(LocationSchema, load_default=None, allow_none=True)
    photos = fields.List(Sha256(), load_default=list, validate=validate.Length(max=visits.MAX_PHOTOS))
    signature = Sha256(load_default=None, allow_none=True)
    no_signature_reason = text(255, load_default=None, allow_none=True)
    # The server's: who wrote it, the recipient's village, the review.
    author_id = fields.Integer(dump_only=True)
    area_id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, validate=validate.OneOf(visits.STATUSES))
    review_comment = fields.String(dump_only=True, allow_none=True)

    rules = (NotFuture("visited_at", FUTURE_SLACK),
             SignatureOrReason("signature", amount="cash_cents", reason="no_signature_reason"))


class AssignmentSchema(Schema):
    """One office assignment of a difficulty, as its history shows it: who assigned it, to whom, which deadline.
    Names are copied at the time (a phone may not know the office's users)."""

    at = UtcDateTime(required=True)
    by_id = fields.Integer(required=True)
    by_name = fields.String(required=True)
    assignee_id = fields.Integer(required=True, allow_none=True)
    assignee_name = fields.String(required=True, allow_none=True)
    responsible_unit = fields.String(required=True, allow_none=True,
                                     metadata={"description": "a unit's name only: nobody is notified for it"})
    due_date = fields.Date(required=True, allow_none=True)


class DifficultySchema(RecordSchema):
    id = UuidString(required=True)
    recipient_id = UuidString(required=True)
    visit_id = UuidString(load_default=None, allow_none=True)
    category = fields.String(required=True, validate=validate.OneOf(difficulties.CATEGORIES))
    description = required_text(4000, multi_line=True)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(difficulties.URGENCIES))
    due_date = fields.Date(load_default=None, allow_none=True, validate=IN_DATE_RANGE)
    follow_up_at = UtcDateTime(load_default=None, allow_none=True)
    # The server's: the follow-ups and the office set the status and the assignment.
    author_id = fields.Integer(dump_only=True)
    area_id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, validate=validate.OneOf(difficulties.STATUSES))
    assignee_id = fields.Integer(dump_only=True, allow_none=True)
    responsible_unit = fields.String(dump_only=True, allow_none=True)
    assignments = fields.List(fields.Nested(AssignmentSchema), dump_only=True,
                              metadata={"description": "the office's assignments, oldest first"})
    resolved_at = UtcDateTime(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)


class FollowUpSchema(RecordSchema):
    id = UuidString(required=True)
    difficulty_id = UuidString(required=True)
    at = UtcDateTime(required=True)
    note = required_text(4000, multi_line=True)
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(difficulties.STATUSES))
    next_follow_up_at = UtcDateTime(load_default=None, allow_none=True)
    author_id = fields.Integer(dump_only=True)

    # In this order: a resolving follow-up with a next date is told about the date first.
    rules = (ResolvedNoNext("next_follow_up_at", status="status"), NotFuture("at", FUTURE_SLACK))


class EvidenceSchema(RecordSchema):
    """Evidence 档案资料 for a creation item (a liaison's phone offers it offline; the file is uploaded first)."""

    id = UuidString(required=True)
    item_id = UuidString(required=True)
    sha256 = Sha256(required=True, metadata={"description": "the file, uploaded first through /api/attachments"})
    title = required_text(200)
    note = text(2000, load_default=None, allow_none=True)
    location = WholeNested(LocationSchema, load_default=None, allow_none=True,
                           metadata={"description": "where a phone inspection was made"})
    taken_at = UtcDateTime(load_default=None, allow_none=True)
    # The server's: the unit it is offered for (the liaison's), its review, who uploaded it and when.
    unit_id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, validate=validate.OneOf(creation.EVIDENCE_STATUSES))
    review_comment = fields.String(dump_only=True, allow_none=True)
    uploaded_by = fields.Integer(dump_only=True)
    created_at = UtcDateTime(dump_only=True)

    rules = (NotFuture("taken_at", FUTURE_SLACK),)


# -- the records as pull `data` and push `entity.data` (server/services/records.py writes them) ---------


class _AsWritten:
    """An answer's field: dumped as given, for server/services/records.py already wrote JSON values (an ISO
    string for a time, a plain dict for a location); the office's schemas dump those dicts."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value


_ANSWER_FIELD_TYPES: dict[type, type] = {}


def _answer_field(field: fields.Field) -> fields.Field:
    """The field as an answer documents it: always present (null where allowed), no default, dumped as is;
    its type, limits, enum, pattern and description are the record's."""
    kind = type(field)
    if kind not in _ANSWER_FIELD_TYPES:
        _ANSWER_FIELD_TYPES[kind] = type(kind.__name__, (_AsWritten, kind), {"__module__": __name__})
    answer = object.__new__(_ANSWER_FIELD_TYPES[kind])
    answer.__dict__.update(field.__dict__)  # a shallow copy: its validators and metadata are the record's
    answer.required = True
    answer.load_default = missing
    answer.dump_only = False  # an answer is all dump: readOnly would only make the generated types readonly
    if isinstance(field, fields.Nested):
        answer.nested, answer._schema = answer_schema(field.nested), None
    return answer


_ANSWER_SCHEMAS: dict[type, type] = {}


def answer_schema(record: type[Schema]) -> type[Schema]:
    """`<Record>DataSchema`: every field of `record` (its load fields and its server-owned dump_only ones),
    each always present. It documents the pulled `data` (the component `<Record>Data`) and dumps the office's
    answers built on it; nothing is declared a second time."""
    if record not in _ANSWER_SCHEMAS:
        name = record.__name__.removesuffix("Schema") + "DataSchema"
        declared = {key: _answer_field(field) for key, field in record._declared_fields.items()}
        _ANSWER_SCHEMAS[record] = type(name, (Schema,), {
            **declared, "__module__": __name__,
            "__doc__": f"A {record.__name__.removesuffix('Schema').lower()} as pulls answer it (derived from "
                       f"{record.__name__})."})
    return _ANSWER_SCHEMAS[record]


RecipientDataSchema = answer_schema(RecipientSchema)
VisitDataSchema = answer_schema(VisitSchema)
DifficultyDataSchema = answer_schema(DifficultySchema)
FollowUpDataSchema = answer_schema(FollowUpSchema)
EvidenceDataSchema = answer_schema(EvidenceSchema)
LocationDataSchema = answer_schema(LocationSchema)


def _load_only(record: type[RecordSchema], **kwargs) -> RecordSchema:
    """The record as an op reads it: its load fields (the server-owned ones are dropped, not read)."""
    return record(exclude=[k for k, f in record._declared_fields.items() if f.dump_only], **kwargs)


def _patch(record: type[RecordSchema]) -> RecordSchema:
    """An `.update`'s `data`: the record's `id` and any of its other load fields (a missing one is kept, so
    the document shows no defaults)."""
    patch = _load_only(record, partial=tuple(k for k in record._declared_fields if k != "id"))
    for field in patch.fields.values():
        field.load_default = missing
    return patch


def document_rules(schema: RecordSchema) -> dict:
    """The op component's extension: its record's rules, `{"x-rules": [...]}` (none: {})."""
    return {"x-rules": [rule.document() for rule in schema.rules]} if schema.rules else {}


# What each op's `data` is, documented as these components (the Mutation's `x-data-by-op` names them).
OP_DATA = {
    "recipient.create": ("RecipientCreate", _load_only(RecipientSchema)),
    "recipient.update": ("RecipientPatch", _patch(RecipientSchema)),
    "visit.create": ("VisitCreate", _load_only(VisitSchema)),
    "visit.update": ("VisitPatch", _patch(VisitSchema)),
    "difficulty.create": ("DifficultyCreate", _load_only(DifficultySchema)),
    "followup.create": ("FollowUpCreate", _load_only(FollowUpSchema)),
    "evidence.create": ("EvidenceCreate", _load_only(EvidenceSchema)),
}
