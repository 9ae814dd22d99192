"""Campaigns 走访活动 and their coverage dashboard."""

from flask import Blueprint, current_app, g
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from ..extensions import db
from ..models import Campaign
from ..models.recipients import CATEGORIES
from ..services import records
from ..services.campaigns import create_campaign
from ..services.coverage import campaign_coverage
from ..services.scope import area_in_scope, directory_area_ids
from . import doc, load_json, roles

bp = Blueprint("campaigns", __name__, url_prefix="/api/campaigns")
OFFICE = ("reviewer", "admin")


class CampaignCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)), load_default=list)
    area_id = fields.Integer(load_default=None, allow_none=True, strict=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("ends_on is before starts_on", "ends_on")
        if (data["ends_on"] - data["starts_on"]).days > 366:
            raise ValidationError("a campaign lasts at most a year", "ends_on")


@bp.get("")
@doc("Campaigns visible to the caller (their area's and those above it), newest first")
def list_campaigns():
    query = select(Campaign).order_by(Campaign.starts_on.desc())
    ids = directory_area_ids(g.actor)
    if ids is not None:
        query = query.where(Campaign.area_id.in_(ids))
    campaigns = db.session.execute(query).scalars()
    return {"items": [records.campaign_data(records.row_dict(c)) for c in campaigns]}


@bp.post("")
@roles(*OFFICE)
@doc("Create a campaign for an area in scope (default: the caller's area); phones pull it", status=201,
     body=CampaignCreateSchema, roles=OFFICE)
def create():
    body = load_json(CampaignCreateSchema())
    area_id = body.pop("area_id") or g.actor.area_id
    if area_in_scope(g.actor, area_id) is None:
        raise ValidationError({"area_id": ["not an area in your scope"]})
    campaign = create_campaign(g.actor, area_id=area_id, **body)
    return records.campaign_data(records.row_dict(campaign)), 201


@bp.get("/<campaign_id>/coverage")
@roles(*OFFICE)
@doc("Coverage: targets visited per township and village, who has not been, visits per week, difficulties",
     roles=OFFICE)
def coverage(campaign_id: str):
    return campaign_coverage(g.actor, campaign_id, current_app.config["TIMEZONE"])
