"""Campaigns 走访活动: made by the office, pulled by phones."""

import uuid
from datetime import date

from ..extensions import db
from ..models import Campaign
from .actors import Actor
from .changes import record_audit, record_change


def create_campaign(actor: Actor, name: str, starts_on: date, ends_on: date, categories: list[str],
                    area_id: int, campaign_id: str | None = None) -> Campaign:
    campaign = Campaign(id=campaign_id or str(uuid.uuid4()), name=name, starts_on=starts_on, ends_on=ends_on,
                        categories=categories, area_id=area_id, created_by=actor.user_id, version=1)
    db.session.add(campaign)
    db.session.flush()
    record_change("campaign", campaign.id, area_id)
    record_audit(actor, "campaign.create", "campaign", campaign.id)
    db.session.commit()
    return campaign
