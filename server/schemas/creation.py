"""Wire shapes of the creation campaign 创建攻坚: units, the standard, the responsibility table, evidence,
rectifications, the dashboard and the daily meeting; and the `data` liaisons' phones pull."""

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from ..domain import creation as rules
from .common import UtcDateTime, UuidString, bounded_int, required_text, text
from .paging import PageQuerySchema, PageSchema
from .records import EvidenceSchema, LocationDataSchema

MAX_POINTS = rules.MAX_POINTS


def _two_places(value: float) -> None:
    if value is not None and abs(round(value * 100) - value * 100) > 1e-6:
        raise ValidationError("at most 2 decimal places")


def score(**kwargs) -> fields.Float:
    """Points or a score: 0 … MAX_POINTS, at most two decimal places."""
    return fields.Float(validate=[validate.Range(0, MAX_POINTS), _two_places], **kwargs)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _something(data: dict, ignore: tuple = ()) -> None:
    if not set(data) - set(ignore):
        raise ValidationError("Nothing to change.", "_schema")


# -- units -----------------------------------------------------------------------------------------------


class UnitCreateSchema(_Strict):
    name = required_text(100)
    kind = fields.String(required=True, validate=validate.OneOf(rules.UNIT_KINDS))
    area_id = bounded_int(load_default=None, allow_none=True, strict=True,
                             metadata={"description": "a township unit's area (optional)"})
    position = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(0, 10000))


class UnitPatchSchema(_Strict):
    name = fields.String(validate=validate.Length(min=1, max=100))
    kind = fields.String(validate=validate.OneOf(rules.UNIT_KINDS))
    area_id = bounded_int(allow_none=True, strict=True)
    position = fields.Integer(strict=True, validate=validate.Range(0, 10000))

    @validates_schema
    def _changes(self, data, **kwargs):
        _something(data)


class UnitDataSchema(Schema):
    """A unit as liaisons' phones pull it (entity type unit); the office's answer adds to it."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(rules.UNIT_KINDS))
    area_id = fields.Integer(required=True, allow_none=True)


class UnitSchema(UnitDataSchema):
    area_name = fields.String(required=True, allow_none=True)
    position = fields.Integer(required=True)
    liaisons = fields.Integer(required=True, metadata={"description": "active liaison accounts"})
    items = fields.Integer(required=True, metadata={"description": "current items it leads"})
    version = fields.Integer(required=True)


class UnitListSchema(Schema):
    items = fields.List(fields.Nested(UnitSchema), required=True)


# -- the standard ----------------------------------------------------------------------------------------


class MilestoneSchema(_Strict):
    title = required_text(100)
    due = fields.Date(load_default=None, allow_none=True)
    done = fields.Boolean(load_default=False)

    @post_load
    def _as_stored(self, data, **kwargs):
        # Kept in a JSON column: the date as its ISO text.
        return {**data, "due": data["due"].isoformat() if data["due"] else None}


class StandardItemInputSchema(_Strict):
    id = UuidString(load_default=None, allow_none=True)
    number = fields.String(required=True, validate=validate.Length(min=1, max=16))
    content = required_text(2000)
    points = score(required=True)
    rule = text(2000, load_default=None, allow_none=True)
    evidence_required = text(2000, load_default=None, allow_none=True)
    metric = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(rules.METRIC_PATTERN),
                           metadata={"description": "campaign_coverage:<campaign id>, difficulty_resolution or "
                                                    "difficulty_on_time: scored from the data"})
    lead_unit_id = bounded_int(load_default=None, allow_none=True, strict=True)
    cooperating_unit_ids = fields.List(bounded_int(strict=True), load_default=list,
                                       validate=validate.Length(max=50))
    deadline = fields.Date(load_default=None, allow_none=True)
    milestones = fields.List(fields.Nested(MilestoneSchema), load_default=list, validate=validate.Length(max=20))

    @validates_schema
    def _positive(self, data, **kwargs):
        if data.get("points") == 0:
            raise ValidationError("must be more than 0", "points")


class CategoryInputSchema(_Strict):
    name = required_text(100)
    max_points = score(required=True)
    items = fields.List(fields.Nested(StandardItemInputSchema), required=True,
                        validate=validate.Length(min=1, max=100))


class StandardCreateSchema(_Strict):
    name = required_text(100)
    target = score(required=True, metadata={"description": "the score aimed at, e.g. 90"})
    period_start = fields.Date(load_default=None, allow_none=True)
    period_end = fields.Date(load_default=None, allow_none=True)
    carry_over = fields.Boolean(load_default=True, metadata={
        "description": "items whose number the previous version had keep its units, deadline and milestones"})
    categories = fields.List(fields.Nested(CategoryInputSchema), required=True,
                             validate=validate.Length(min=1, max=30))

    @validates_schema
    def _shape(self, data, **kwargs):
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            raise ValidationError("from must not be after to", "period_end")
        if sum(len(c["items"]) for c in data.get("categories", [])) > rules.MAX_ITEMS:
            raise ValidationError(f"at most {rules.MAX_ITEMS} items", "categories")


class StandardItemSchema(Schema):
    id = fields.String(required=True)
    number = fields.String(required=True)
    content = fields.String(required=True)
    points = fields.Float(required=True)
    rule = fields.String(required=True, allow_none=True)
    evidence_required = fields.String(required=True, allow_none=True)
    metric = fields.String(required=True, allow_none=True)


class StandardCategorySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    max_points = fields.Float(required=True)
    items = fields.List(fields.Nested(StandardItemSchema), required=True)


class ItemTextSchema(Schema):
    """The fields of an item a version changed (only those), before or after."""

    content = fields.String(allow_none=True)
    points = fields.Float(allow_none=True)
    rule = fields.String(allow_none=True)
    evidence_required = fields.String(allow_none=True)
    metric = fields.String(allow_none=True)


class AddedItemSchema(Schema):
    number = fields.String(required=True)
    item_id = fields.String(required=True)
    content = fields.String(required=True)
    points = fields.Float(required=True)


class RemovedItemSchema(AddedItemSchema):
    """An item the version dropped: its records stay under the earlier version (GET /history/items/<id>)."""

    status = fields.String(required=True, validate=validate.OneOf(rules.ITEM_STATUSES))
    estimated_score = fields.Float(required=True, allow_none=True)
    evidence = fields.Integer(required=True)
    open_rectifications = fields.Integer(required=True)


class CarriedItemSchema(Schema):
    """An item the previous version had (by number): its work, evidence and rectifications carried on."""

    number = fields.String(required=True)
    item_id = fields.String(required=True)
    previous_item_id = fields.String(required=True)
    content = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(rules.ITEM_STATUSES))
    previous_status = fields.String(required=True, validate=validate.OneOf(rules.ITEM_STATUSES))
    evidence = fields.Integer(required=True)
    rectifications = fields.Integer(required=True)


class ChangedItemSchema(CarriedItemSchema):
    """A carried item whose text or points changed: its scores were cleared (the earlier ones are here)."""

    fields_ = fields.List(fields.String(validate=validate.OneOf(rules.VERSIONED_FIELDS)), required=True,
                          data_key="fields", attribute="fields")
    before = fields.Nested(ItemTextSchema, required=True)
    after = fields.Nested(ItemTextSchema, required=True)
    previous_self_score = fields.Float(required=True, allow_none=True)
    previous_estimated_score = fields.Float(required=True, allow_none=True)


class StandardChangesSchema(Schema):
    previous_version = fields.Integer(required=True, allow_none=True)
    carry_over = fields.Boolean(required=True)
    added = fields.List(fields.Nested(AddedItemSchema), required=True)
    removed = fields.List(fields.Nested(RemovedItemSchema), required=True)
    changed = fields.List(fields.Nested(ChangedItemSchema), required=True)
    carried = fields.List(fields.Nested(CarriedItemSchema), required=True)


class StandardSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    is_current = fields.Boolean(required=True)
    created_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    target = fields.Float(required=True)
    period_start = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    period_end = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    max_total = fields.Float(required=True)
    categories = fields.List(fields.Nested(StandardCategorySchema), required=True)
    changes = fields.Nested(StandardChangesSchema, required=True, allow_none=True, metadata={
        "description": "what this version changed against the previous one (null: the first version)"})


class ChangeCountsSchema(Schema):
    added = fields.Integer(required=True)
    removed = fields.Integer(required=True)
    changed = fields.Integer(required=True)
    carried = fields.Integer(required=True)


class StandardVersionSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    is_current = fields.Boolean(required=True)
    target = fields.Float(required=True)
    created_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    items = fields.Integer(required=True)
    summary = fields.Nested(ChangeCountsSchema, required=True, allow_none=True)


class StandardVersionListSchema(Schema):
    items = fields.List(fields.Nested(StandardVersionSchema), required=True)


# -- the responsibility table ----------------------------------------------------------------------------


class ItemQuerySchema(_Strict):
    category_id = bounded_int()
    unit_id = bounded_int(metadata={"description": "items the unit leads or cooperates on"})
    status = fields.String(validate=validate.OneOf(rules.ITEM_STATUSES))
    overdue = fields.Boolean()


class ItemPatchSchema(_Strict):
    lead_unit_id = bounded_int(allow_none=True, strict=True)
    cooperating_unit_ids = fields.List(bounded_int(strict=True), validate=validate.Length(max=50))
    deadline = fields.Date(allow_none=True)
    milestones = fields.List(fields.Nested(MilestoneSchema), validate=validate.Length(max=20))
    status = fields.String(validate=validate.OneOf(rules.ITEM_STATUSES))
    estimated_score = score(allow_none=True, metadata={"description": "the office's (not for a bound item)"})
    self_score = score(allow_none=True, metadata={"description": "the lead unit's liaison's"})
    loss_notes = text(2000, allow_none=True, metadata={"description": "失分点"})
    rectification_deadline = fields.Date(metadata={
        "description": "with loss_notes: orders a 整改 by this date (the item becomes needs_fix)"})
    rectification_unit_id = bounded_int(strict=True, metadata={"description": "the 整改's owner (default: "
                                                                                 "the lead unit)"})
    version = bounded_int(minimum=0, metadata={
        "description": "when given, must be current (409 conflict otherwise)"})

    @validates_schema
    def _changes(self, data, **kwargs):
        _something(data, ignore=("version",))


def _counts(name: str, keys: tuple[str, ...]) -> type[Schema]:
    """A schema counting each of `keys` (the statuses as the domain lists them)."""
    return Schema.from_dict({key: fields.Integer(required=True) for key in keys}, name=name)


EvidenceCountsSchema = _counts("EvidenceCountsSchema", rules.EVIDENCE_STATUSES)
StatusCountsSchema = _counts("StatusCountsSchema", rules.ITEM_STATUSES)


class MilestoneAnswerSchema(Schema):
    title = fields.String(required=True)
    due = fields.Raw(required=True, allow_none=True, metadata={"type": "string", "format": "date"})
    done = fields.Boolean(required=True)


class CreationItemDataSchema(StandardItemSchema):
    """An item as liaisons' phones pull it (entity type creation_item): the standard's fields and the
    responsibility table's; the office's answer (ItemSchema) adds names and figures to it."""

    category_id = fields.Integer(required=True)
    category_name = fields.String(required=True, allow_none=True)
    lead_unit_id = fields.Integer(required=True, allow_none=True)
    cooperating_unit_ids = fields.List(fields.Integer(), required=True)
    deadline = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    milestones = fields.List(fields.Nested(MilestoneAnswerSchema), required=True)
    status = fields.String(required=True, validate=validate.OneOf(rules.ITEM_STATUSES))
    self_score = fields.Float(required=True, allow_none=True)
    estimated_score = fields.Float(required=True, allow_none=True)
    loss_notes = fields.String(required=True, allow_none=True)


class ItemSchema(CreationItemDataSchema):
    lead_unit_name = fields.String(required=True, allow_none=True)
    cooperating_unit_names = fields.List(fields.String(), required=True)
    score = fields.Float(required=True, allow_none=True, metadata={
        "description": "what the item counts with: a bound item's from the data, else estimated_score"})
    score_rule = fields.String(required=True, allow_none=True, metadata={
        "description": "a bound item's rule with today's figures"})
    metric_rate = fields.Float(required=True, allow_none=True)
    overdue = fields.Boolean(required=True)
    due_soon = fields.Boolean(required=True, metadata={"description": f"due within {rules.DUE_SOON_DAYS} days"})
    responsibility = fields.String(required=True, allow_none=True, validate=validate.OneOf(("lead", "cooperating")),
                                   metadata={"description": "a liaison's unit's part (null for the office)"})
    evidence = fields.Nested(EvidenceCountsSchema, required=True)
    open_rectifications = fields.Integer(required=True)
    version = fields.Integer(required=True)
    updated_at = fields.String(required=True, metadata={"format": "date-time"})


class ItemListSchema(Schema):
    items = fields.List(fields.Nested(ItemSchema), required=True)


# -- evidence --------------------------------------------------------------------------------------------


class EvidenceBodySchema(EvidenceSchema):
    """POST /items/<id>/evidence: the record's fields and rules; the item comes from the path, and the office
    may name the responsible unit it offers it for (default: the lead unit)."""

    class Meta:
        unknown = RAISE
        exclude = ("item_id", "status", "review_comment", "uploaded_by", "created_at")

    id = UuidString(load_default=None, metadata={"description": "made by the client (optional)"})
    unit_id = bounded_int(load_default=None, allow_none=True, strict=True)


class EvidenceReviewSchema(_Strict):
    decision = fields.String(required=True, validate=validate.OneOf(rules.EVIDENCE_DECISIONS))
    comment = text(1000, load_default=None, allow_none=True)


class EvidenceAnswerSchema(Schema):
    id = fields.String(required=True)
    item_id = fields.String(required=True)
    item_number = fields.String(required=True)
    sha256 = fields.String(required=True)
    title = fields.String(required=True)
    note = fields.String(required=True, allow_none=True)
    location = fields.Nested(LocationDataSchema, required=True, allow_none=True)
    taken_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    unit_id = fields.Integer(required=True)
    unit_name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(rules.EVIDENCE_STATUSES))
    review_comment = fields.String(required=True, allow_none=True)
    reviewed_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    uploaded_by = fields.Integer(required=True)
    uploader_name = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    version = fields.Integer(required=True)


class EvidenceQuerySchema(PageQuerySchema):
    item_id = UuidString()
    unit_id = bounded_int()
    status = fields.String(validate=validate.OneOf(rules.EVIDENCE_STATUSES))


class EvidencePageSchema(PageSchema):
    items = fields.List(fields.Nested(EvidenceAnswerSchema), required=True)


# -- rectifications --------------------------------------------------------------------------------------


class RectificationCreateSchema(_Strict):
    item_id = UuidString(required=True)
    unit_id = bounded_int(load_default=None, allow_none=True, strict=True,
                             metadata={"description": "the owner (default: the item's lead unit)"})
    description = required_text(2000)
    deadline = fields.Date(required=True)


class RectificationQuerySchema(_Strict):
    status = fields.String(validate=validate.OneOf(rules.RECTIFICATION_STATUSES))
    unit_id = bounded_int()
    item_id = UuidString()


class RectificationDataSchema(Schema):
    """A 整改 as liaisons' phones pull it (entity type rectification); the office's answer adds to it."""

    id = fields.String(required=True)
    item_id = fields.String(required=True)
    unit_id = fields.Integer(required=True)
    description = fields.String(required=True)
    deadline = fields.String(required=True, metadata={"format": "date"})
    status = fields.String(required=True, validate=validate.OneOf(rules.RECTIFICATION_STATUSES))
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    closed_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class RectificationSchema(RectificationDataSchema):
    item_number = fields.String(required=True)
    unit_name = fields.String(required=True)
    overdue = fields.Boolean(required=True)
    version = fields.Integer(required=True)


class RectificationListSchema(Schema):
    items = fields.List(fields.Nested(RectificationSchema), required=True)


class ItemDetailSchema(ItemSchema):
    evidence_list = fields.List(fields.Nested(EvidenceAnswerSchema), required=True)
    rectifications = fields.List(fields.Nested(RectificationSchema), required=True)


# -- the dashboard and the daily meeting -----------------------------------------------------------------


class DashboardStandardSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True)


class DashboardCategorySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    max_points = fields.Float(required=True)
    estimated = fields.Float(required=True)
    items = fields.Integer(required=True)
    done = fields.Integer(required=True)
    lost = fields.Float(required=True, metadata={"description": "points lost on the items scored so far"})


class DashboardUnitSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    items = fields.Integer(required=True, metadata={"description": "items it leads"})
    cooperating = fields.Integer(required=True)
    done = fields.Integer(required=True)
    overdue = fields.Integer(required=True)
    due_soon = fields.Integer(required=True)
    pending_review = fields.Integer(required=True)
    points = fields.Float(required=True)
    estimated = fields.Float(required=True)
    evidence_submitted = fields.Integer(required=True, metadata={"description": "awaiting review"})
    open_rectifications = fields.Integer(required=True)
    overdue_rectifications = fields.Integer(required=True)


class RectificationCountsSchema(Schema):
    open = fields.Integer(required=True)
    overdue = fields.Integer(required=True)


class TrendPointSchema(Schema):
    week = fields.String(required=True, metadata={"format": "date", "description": "the week's Monday"})
    estimated_total = fields.Float(required=True)


class AtRiskSchema(Schema):
    id = fields.String(required=True)
    number = fields.String(required=True)
    content = fields.String(required=True)
    points = fields.Float(required=True)
    status = fields.String(required=True)
    deadline = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    lead_unit_name = fields.String(required=True, allow_none=True)
    reasons = fields.List(fields.String(validate=validate.OneOf(
        ("overdue", "needs_fix", "due_soon_no_evidence", "low_score"))), required=True)


class DashboardSchema(Schema):
    standard = fields.Nested(DashboardStandardSchema, required=True, allow_none=True)
    today = fields.String(required=True, metadata={"format": "date"})
    target = fields.Float(required=True)
    estimated_total = fields.Float(required=True)
    max_total = fields.Float(required=True)
    gap = fields.Float(required=True, metadata={"description": "points still missing to the target"})
    scored_points = fields.Float(required=True)
    unscored_points = fields.Float(required=True)
    categories = fields.List(fields.Nested(DashboardCategorySchema), required=True)
    units = fields.List(fields.Nested(DashboardUnitSchema), required=True,
                        metadata={"description": "the units most behind first"})
    statuses = fields.Nested(StatusCountsSchema, required=True)
    evidence = fields.Nested(EvidenceCountsSchema, required=True)
    rectifications = fields.Nested(RectificationCountsSchema, required=True)
    trend = fields.List(fields.Nested(TrendPointSchema), required=True)
    at_risk = fields.List(fields.Nested(AtRiskSchema), required=True, metadata={"description": "at most 20"})


class MeetingQuerySchema(_Strict):
    since = UtcDateTime(metadata={"description": "default: the start of yesterday (local)"})


class MeetingSummarySchema(Schema):
    status_changes = fields.Integer(required=True)
    item_changes = fields.Integer(required=True)
    new_evidence = fields.Integer(required=True)
    accepted = fields.Integer(required=True)
    returned = fields.Integer(required=True)
    new_rectifications = fields.Integer(required=True)
    closed_rectifications = fields.Integer(required=True)


class _MeetingEntry(Schema):
    at = fields.String(required=True, metadata={"format": "date-time"})
    by = fields.String(required=True, allow_none=True)
    item_id = fields.String(required=True)
    number = fields.String(required=True)


class MeetingItemChangeSchema(_MeetingEntry):
    content = fields.String(required=True)
    changes = fields.Dict(required=True, metadata={"description": "field → [before, after]"})


class MeetingEvidenceSchema(_MeetingEntry):
    evidence_id = fields.String(required=True)
    title = fields.String(required=True)
    unit_name = fields.String(required=True)
    status = fields.String(metadata={"description": "new evidence: its status now"})
    decision = fields.String(metadata={"description": "reviews: accept or return"})


class MeetingRectificationSchema(_MeetingEntry):
    rectification_id = fields.String(required=True)
    unit_name = fields.String(required=True)
    description = fields.String(required=True)
    deadline = fields.String(required=True, metadata={"format": "date"})


class MeetingSchema(Schema):
    since = fields.String(required=True, metadata={"format": "date-time"})
    until = fields.String(required=True, metadata={"format": "date-time"})
    summary = fields.Nested(MeetingSummarySchema, required=True)
    item_changes = fields.List(fields.Nested(MeetingItemChangeSchema), required=True)
    new_evidence = fields.List(fields.Nested(MeetingEvidenceSchema), required=True)
    reviews = fields.List(fields.Nested(MeetingEvidenceSchema), required=True)
    new_rectifications = fields.List(fields.Nested(MeetingRectificationSchema), required=True)
    closed_rectifications = fields.List(fields.Nested(MeetingRectificationSchema), required=True)


class ItemHistorySchema(Schema):
    """An item of any version, read-only: as it stands (current) or as it was left (an earlier version)."""

    id = fields.String(required=True)
    number = fields.String(required=True)
    content = fields.String(required=True)
    points = fields.Float(required=True)
    rule = fields.String(required=True, allow_none=True)
    category_name = fields.String(required=True)
    standard_version = fields.Integer(required=True)
    is_current = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(rules.ITEM_STATUSES))
    self_score = fields.Float(required=True, allow_none=True)
    estimated_score = fields.Float(required=True, allow_none=True)
    loss_notes = fields.String(required=True, allow_none=True)
    lead_unit_id = fields.Integer(required=True, allow_none=True)
    deadline = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    evidence_list = fields.List(fields.Nested(EvidenceAnswerSchema), required=True)
    rectifications = fields.List(fields.Nested(RectificationSchema), required=True)
