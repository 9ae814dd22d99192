"""Campaigns 走访活动 and their coverage dashboard."""

from flask import current_app, g, send_file
from marshmallow import ValidationError
from sqlalchemy import select

from ..extensions import db
from ..models import Campaign
from ..schemas.campaigns import CampaignCreateSchema, CampaignListSchema, CampaignSchema, CoverageSchema
from ..services import records, reports
from ..services.campaigns import create_campaign
from ..services.coverage import campaign_coverage
from ..services.scope import area_in_scope, directory_area_ids
from ..services.zipstream import safe_name
from . import BINARY, Blueprint, roles

bp = Blueprint("campaigns", __name__, url_prefix="/api/campaigns", description="Campaigns and coverage")
OFFICE = ("reviewer", "admin")


@bp.get("")
@bp.response(200, CampaignListSchema)
def list_campaigns():
    """Campaigns visible to the caller (their area's and those above it), newest first"""
    query = select(Campaign).order_by(Campaign.starts_on.desc())
    ids = directory_area_ids(g.actor)
    if ids is not None:
        query = query.where(Campaign.area_id.in_(ids))
    campaigns = db.session.execute(query).scalars()
    return {"items": [records.campaign_data(records.row_dict(c)) for c in campaigns]}


@bp.post("")
@roles(*OFFICE)
@bp.arguments(CampaignCreateSchema)
@bp.response(201, CampaignSchema)
def create(body):
    """Create a campaign for an area in scope (default: the caller's area); phones pull it"""
    area_id = body.pop("area_id") or g.actor.area_id
    if area_in_scope(g.actor, area_id) is None:
        raise ValidationError({"area_id": ["not an area in your scope"]})
    campaign = create_campaign(g.actor, area_id=area_id, **body)
    return records.campaign_data(records.row_dict(campaign))


@bp.get("/<campaign_id>/coverage")
@roles(*OFFICE)
@bp.response(200, CoverageSchema)
def coverage(campaign_id: str):
    """Coverage: targets visited per township and village, who has not been, visits per week, difficulties"""
    return campaign_coverage(g.actor, campaign_id, current_app.config["TIMEZONE"])


@bp.get("/<campaign_id>/not-visited.xlsx")
@roles(*OFFICE)
@bp.response(200, BINARY, content_type=reports.XLSX_MIMETYPE)
def not_visited_xlsx(campaign_id: str):
    """Every target not yet visited during the campaign (in the caller's scope), as a printable workbook"""
    output, name = reports.not_visited_report(g.actor, campaign_id, current_app.config["TIMEZONE"])
    return send_file(output, mimetype=reports.XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"{safe_name(name, 40)}_未走访名单.xlsx", max_age=0)
