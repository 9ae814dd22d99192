"""Wire shapes of campaigns 走访活动 and their coverage."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..models.recipients import CATEGORIES
from .common import ONE_LINE, bounded_date, bounded_int
from .sync import CampaignDataSchema


class CampaignCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), ONE_LINE])
    starts_on = bounded_date(required=True)
    ends_on = bounded_date(required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)), load_default=list)
    area_id = bounded_int(load_default=None, allow_none=True, strict=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("ends_on is before starts_on", "ends_on")
        if (data["ends_on"] - data["starts_on"]).days > 366:
            raise ValidationError("a campaign lasts at most a year", "ends_on")


class CampaignSchema(CampaignDataSchema):
    """A campaign: the same fields as its pull `data`."""


class CampaignListSchema(Schema):
    items = fields.List(fields.Nested(CampaignSchema), required=True)


class CoverageCampaignSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    starts_on = fields.String(required=True, metadata={"format": "date"})
    ends_on = fields.String(required=True, metadata={"format": "date"})
    categories = fields.List(fields.String(), required=True, allow_none=True)


def _rate() -> fields.Float:
    return fields.Raw(required=True, allow_none=True, metadata={"type": "number", "description": "0…1, 4 places"})


class CoverageTotalsSchema(Schema):
    targets = fields.Integer(required=True)
    visited = fields.Integer(required=True)
    rate = _rate()


class CoverageVillageSchema(CoverageTotalsSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class CoverageTownshipSchema(CoverageTotalsSchema):
    id = fields.Integer(required=True, metadata={"description": "0: villages without a township"})
    name = fields.String(required=True)
    villages = fields.List(fields.Nested(CoverageVillageSchema), required=True)


class NotVisitedSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    area_id = fields.Integer(required=True)
    village_name = fields.String(required=True)


class WeekVisitsSchema(Schema):
    week = fields.String(required=True, metadata={"format": "date", "description": "the week's Monday"})
    visits = fields.Integer(required=True)


class DifficultyFlowSchema(Schema):
    opened = fields.Integer(required=True)
    resolved = fields.Integer(required=True)
    mean_days_to_resolve = fields.Raw(required=True, allow_none=True, metadata={"type": "number"})


class CoverageSchema(Schema):
    campaign = fields.Nested(CoverageCampaignSchema, required=True)
    totals = fields.Nested(CoverageTotalsSchema, required=True)
    townships = fields.List(fields.Nested(CoverageTownshipSchema), required=True)
    not_visited = fields.List(fields.Nested(NotVisitedSchema), required=True,
                              metadata={"description": "at most 500"})
    visits_per_week = fields.List(fields.Nested(WeekVisitsSchema), required=True)
    difficulties = fields.Nested(DifficultyFlowSchema, required=True)
