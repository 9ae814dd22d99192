"""Campaign coverage: which of a campaign's targets were visited during it, by township and village."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import Date, cast, func, literal_column, select

from ..extensions import db
from ..models import Area, Campaign, Difficulty, Recipient, Visit
from .actors import Actor
from .errors import NotFound
from .scope import scope_filter, subtree_filter
from .timezone import local_range_utc


def get_campaign(actor: Actor, campaign_id: str) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("No such campaign")
    area = db.session.get(Area, campaign.area_id)
    # Visible to the campaign's area subtree and to users above it.
    if not (actor.sees_all or area.path.startswith(actor.area_path) or actor.area_path.startswith(area.path)):
        raise NotFound("No such campaign")
    return campaign


def _local_day(column, zone_offset_hours: float):
    """The local calendar day of a naive-UTC timestamp column, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(column + literal_column(f"interval '{int(zone_offset_hours * 60)} minutes'"), Date)
    return func.date(column, f"{int(zone_offset_hours * 60):+d} minutes")


def _offset_hours(zone: str, day: date) -> float:
    from zoneinfo import ZoneInfo

    offset = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(zone)).utcoffset()
    return offset.total_seconds() / 3600


def _where(*clauses):
    return [c for c in clauses if c is not None]


def campaign_coverage(actor: Actor, campaign_id: str, zone: str, not_visited_limit: int = 500) -> dict:
    """Per township and village: targets, visited, the rate; who has not been visited; visits per week;
    difficulties opened vs resolved and the mean days to resolve, all within the actor's scope."""
    campaign = get_campaign(actor, campaign_id)
    lower, upper = local_range_utc(campaign.starts_on, campaign.ends_on, zone)
    campaign_path = db.session.execute(select(Area.path).where(Area.id == campaign.area_id)).scalar_one()
    target_filters = _where(subtree_filter(campaign_path, Recipient.area_id),
                            scope_filter(actor, Recipient.area_id),
                            Recipient.category.in_(campaign.categories) if campaign.categories else None)
    # Who was visited: one range scan of the (visited_at, recipient_id) index; then targets are counted
    # per village in Python (a county has tens of thousands of targets: cheaper than a probe per target).
    # Core rows (the session's connection, no ORM row processing): ≈ 40,000 plain tuples at county scale, where
    # the ORM's per-row loading cost about a third of the answer (bench/office.py).
    connection = db.session.connection()
    visited_ids = set(connection.execute(
        select(Visit.recipient_id).where(Visit.visited_at >= lower, Visit.visited_at < upper).distinct()
    ).scalars())
    counts: dict[int, list[int]] = {}
    not_visited_rows = []
    for recipient_id, name, village_id in connection.execute(
            select(Recipient.id, Recipient.name, Recipient.area_id).where(*target_filters)):
        entry = counts.setdefault(village_id, [0, 0])
        entry[0] += 1
        if recipient_id in visited_ids:
            entry[1] += 1
        else:
            not_visited_rows.append((village_id, name, recipient_id))
    not_visited_rows.sort()
    areas = {a.id: a for a in db.session.execute(select(Area).where(Area.id.in_(list(counts)))).scalars()}
    townships = {a.id: a for a in db.session.execute(
        select(Area).where(Area.id.in_({a.parent_id for a in areas.values()}))).scalars()}
    by_township: dict[int, dict] = {}
    for village_id, (target_count, visited_count) in counts.items():
        village = areas[village_id]
        township = townships.get(village.parent_id)
        key = township.id if township else 0
        entry = by_township.setdefault(key, {"id": key, "name": township.name if township else "",
                                             "targets": 0, "visited": 0, "villages": []})
        entry["targets"] += target_count
        entry["visited"] += visited_count
        entry["villages"].append({"id": village_id, "name": village.name, "targets": target_count,
                                  "visited": visited_count, "rate": _rate(visited_count, target_count)})
    for entry in by_township.values():
        entry["rate"] = _rate(entry["visited"], entry["targets"])
        entry["villages"].sort(key=lambda v: v["name"])
    not_visited = [(recipient_id, name, village_id)
                   for village_id, name, recipient_id in not_visited_rows[:not_visited_limit]]
    visit_filters = _where(subtree_filter(campaign_path, Visit.area_id), scope_filter(actor, Visit.area_id))
    day = _local_day(Visit.visited_at, _offset_hours(zone, campaign.starts_on))
    weeks: dict[str, int] = defaultdict(int)
    for visit_day, count in connection.execute(
            select(day, func.count())
            .where(Visit.visited_at >= lower, Visit.visited_at < upper, *visit_filters).group_by(day)).all():
        visit_day = visit_day if isinstance(visit_day, date) else date.fromisoformat(str(visit_day))
        monday = visit_day - timedelta(days=visit_day.weekday())
        weeks[monday.isoformat()] += count
    difficulty_filters = _where(subtree_filter(campaign_path, Difficulty.area_id),
                                scope_filter(actor, Difficulty.area_id))
    total_targets = sum(e["targets"] for e in by_township.values())
    total_visited = sum(e["visited"] for e in by_township.values())
    return {
        "campaign": {"id": campaign.id, "name": campaign.name, "starts_on": campaign.starts_on.isoformat(),
                     "ends_on": campaign.ends_on.isoformat(), "categories": campaign.categories},
        "totals": {"targets": total_targets, "visited": total_visited,
                   "rate": _rate(total_visited, total_targets)},
        "townships": sorted(by_township.values(), key=lambda e: e["name"]),
        "not_visited": [{"id": r[0], "name": r[1], "area_id": r[2], "village_name": areas[r[2]].name}
                        for r in not_visited],
        "visits_per_week": [{"week": k, "visits": v} for k, v in sorted(weeks.items())],
        "difficulties": _difficulty_flow(difficulty_filters, lower, upper),
    }


def _difficulty_flow(filters: list, lower, upper) -> dict:
    opened = db.session.execute(select(func.count()).select_from(Difficulty).where(
        *filters, Difficulty.created_at >= lower, Difficulty.created_at < upper)).scalar_one()
    resolved_rows = db.session.execute(select(Difficulty.created_at, Difficulty.resolved_at).where(
        *filters, Difficulty.resolved_at >= lower, Difficulty.resolved_at < upper)).all()
    days = [(r.resolved_at - r.created_at).total_seconds() / 86400 for r in resolved_rows if r.created_at]
    return {"opened": opened, "resolved": len(resolved_rows),
            "mean_days_to_resolve": round(sum(days) / len(days), 1) if days else None}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
