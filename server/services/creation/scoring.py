"""Scores of the current standard: the figures bound items are scored from (recomputed on every read, never
stored), each item's score, totals by category and unit, the weekly history, and the dashboard.

`load_table` reads the whole current table once (items, units, evidence counts, open rectifications, figures);
the responsibility table, the dashboard, the papers (xlsx, briefing) and the reminders build on it.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select

from ...domain import creation as rules
from ...extensions import db
from ...models import Area, Campaign, Category, Difficulty, Evidence, Item, Recipient, Rectification, Unit, Visit
from ...models.base import utcnow
from ...models.creation import ScoreSnapshot, Standard
from ..coverage import _local_day as local_day
from ..coverage import _offset_hours as offset_hours
from ..scope import subtree_filter
from ..timezone import local_range_utc, local_today
from .access import current_standard


@dataclass
class Table:
    """The current standard's responsibility table as read at one moment."""

    standard: Standard | None
    today: date
    categories: list = field(default_factory=list)  # Category rows, in order
    items: list[dict] = field(default_factory=list)  # item rows, in category then item order
    units: dict[int, dict] = field(default_factory=dict)
    figures: dict[str, rules.MetricFigure] = field(default_factory=dict)
    evidence: dict[str, Counter] = field(default_factory=dict)  # item id → status → count
    rectifications: list[dict] = field(default_factory=list)  # open ones

    def score(self, item: dict) -> float | None:
        return rules.item_score(item, self.figures.get(item["metric"]) if item["metric"] else None)

    def open_rectifications(self, item_id: str) -> list[dict]:
        return [r for r in self.rectifications if r["item_id"] == item_id]


def load_table(zone: str, now: datetime | None = None, standard: Standard | None = None) -> Table:
    today = local_today(zone, now)
    standard = standard or current_standard()
    table = Table(standard, today)
    table.units = {r["id"]: dict(r) for r in db.session.execute(
        select(Unit.id, Unit.name, Unit.kind, Unit.area_id, Unit.position)).mappings()}
    if standard is None:
        return table
    table.categories = list(db.session.execute(
        select(Category).where(Category.standard_id == standard.id).order_by(Category.position, Category.id)
    ).scalars())
    order = {c.id: i for i, c in enumerate(table.categories)}
    items = [dict(r) for r in db.session.execute(
        select(Item.__table__).where(Item.standard_id == standard.id)).mappings()]
    table.items = sorted(items, key=lambda r: (order.get(r["category_id"], 0), r["position"], r["number"]))
    for item_id, status, count in db.session.execute(
            select(Evidence.item_id, Evidence.status, func.count())
            .join(Item, Item.id == Evidence.item_id).where(Item.standard_id == standard.id)
            .group_by(Evidence.item_id, Evidence.status)):
        table.evidence.setdefault(item_id, Counter())[status] = count
    table.rectifications = [dict(r) for r in db.session.execute(
        select(Rectification.__table__).join(Item, Item.id == Rectification.item_id)
        .where(Item.standard_id == standard.id, Rectification.status == "open")
        .order_by(Rectification.deadline)).mappings()]
    table.figures = metric_figures({i["metric"] for i in items if i["metric"]}, standard, zone, today)
    return table


# -- the figures bound items are scored from -------------------------------------------------------------


def metric_figures(metrics: set[str], standard: Standard, zone: str, today: date) -> dict[str, rules.MetricFigure]:
    found = {}
    difficulties = None
    for metric in metrics:
        kind = rules.metric_kind(metric)
        if kind == rules.METRIC_COVERAGE:
            done, of = campaign_coverage(rules.metric_campaign(metric), zone, today)
        else:
            if difficulties is None:
                difficulties = difficulty_figures(standard, zone, today)
            done, of = difficulties[kind]
        found[metric] = rules.MetricFigure(metric, done, of)
    return found


def campaign_coverage(campaign_id: str, zone: str, today: date) -> tuple[int, int]:
    """(targets visited during the campaign, targets): the campaign's area and categories, county-wide; no
    figure (0 of 0) before the campaign starts."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or today < campaign.starts_on:
        return 0, 0
    path = db.session.execute(select(Area.path).where(Area.id == campaign.area_id)).scalar_one()
    filters = [c for c in (subtree_filter(path, Recipient.area_id),
                           Recipient.category.in_(campaign.categories) if campaign.categories else None)
               if c is not None]
    targets = select(Recipient.id).where(*filters)
    of = db.session.execute(select(func.count()).select_from(targets.subquery())).scalar_one()
    lower, upper = local_range_utc(campaign.starts_on, campaign.ends_on, zone)
    # Every visit names a recipient: a campaign over the whole tree and every category needs no target filter.
    among = [Visit.recipient_id.in_(targets)] if filters else []
    done = db.session.execute(
        select(func.count(func.distinct(Visit.recipient_id)))
        .where(Visit.visited_at >= lower, Visit.visited_at < upper, *among)
    ).scalar_one()
    return done, of


def difficulty_figures(standard: Standard, zone: str, today: date) -> dict[str, tuple[int, int]]:
    """Resolution rate (resolved of raised) and on-time rate (resolved by the deadline, of those resolved or
    past it) of the difficulties raised in the standard's period."""
    lower, upper = local_range_utc(standard.period_start, standard.period_end, zone)
    filters = [c for c in (Difficulty.created_at >= lower if lower else None,
                           Difficulty.created_at < upper if upper else None) if c is not None]
    # One pass in SQL: a difficulty is on time when its local resolution day is no later than its due date.
    resolved_day = local_day(Difficulty.resolved_at, offset_hours(zone, today))
    dated, resolved_at, due = Difficulty.due_date.is_not(None), Difficulty.resolved_at, Difficulty.due_date
    raised, resolved, on_time, late = db.session.execute(select(
        func.count(), func.count(resolved_at),
        func.count(case((dated & resolved_at.is_not(None) & (resolved_day <= due), 1))),
        func.count(case((dated & ((resolved_at.is_not(None) & (resolved_day > due))
                                  | (resolved_at.is_(None) & (due < today))), 1))),
    ).where(*filters)).one()
    return {rules.METRIC_RESOLUTION: (resolved or 0, raised or 0), rules.METRIC_ON_TIME: (on_time, on_time + late)}


# -- totals ----------------------------------------------------------------------------------------------


def totals(table: Table) -> tuple[float, dict[int, float]]:
    """(estimated total, estimated per category id): unscored items count 0."""
    per_category: dict[int, list] = defaultdict(list)
    for item in table.items:
        per_category[item["category_id"]].append(table.score(item))
    by_category = {c.id: rules.total(per_category.get(c.id, ())) for c in table.categories}
    return rules.total(by_category.values()), by_category


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def record_weekly_score(zone: str, now: datetime | None = None, min_interval: timedelta = timedelta(hours=1)) -> bool:
    """Keep this week's estimated total (the trend's point), at most once an hour; True when written.

    The dispatcher calls it; the dashboard always shows the current week live, so this keeps past weeks.
    """
    now = now or utcnow()
    standard = current_standard()
    week = week_of(local_today(zone, now))
    row = db.session.execute(select(ScoreSnapshot).where(ScoreSnapshot.standard_id == standard.id,
                                                         ScoreSnapshot.week == week)).scalar_one_or_none() \
        if standard is not None else None
    if standard is None or (row is not None and now - row.recorded_at < min_interval):
        db.session.rollback()  # nothing to keep, or kept within the hour: the figures are not even computed
        return False
    estimated, by_category = totals(load_table(zone, now, standard))
    categories = {str(k): v for k, v in by_category.items()}
    if row is not None and row.estimated_total == estimated and row.categories == categories:
        row.recorded_at = now  # checked: the next look is in an hour
        db.session.commit()
        return False
    if row is None:
        db.session.add(ScoreSnapshot(standard_id=standard.id, week=week, estimated_total=estimated,
                                     categories=categories, recorded_at=now))
    else:
        row.estimated_total, row.categories, row.recorded_at = estimated, categories, now
    db.session.commit()
    return True


def weekly_totals(standard: Standard) -> dict:
    """The recorded estimated total of each week (its Monday) of the campaign up to this version: a new
    version carries the work on, so its trend goes on from the earlier versions' weeks (in a week two versions
    recorded, the later one's total)."""
    rows = db.session.execute(select(ScoreSnapshot.week, ScoreSnapshot.estimated_total)
                              .join(Standard, Standard.id == ScoreSnapshot.standard_id)
                              .where(Standard.version <= standard.version)
                              .order_by(ScoreSnapshot.week, Standard.version)).all()
    return {week: total for week, total in rows}


def trend(table: Table, estimated: float) -> list[dict]:
    """Past weeks' recorded totals (earlier versions' included), then this week's live one."""
    if table.standard is None:
        return []
    this_week = week_of(table.today)
    rows = [(w, t) for w, t in weekly_totals(table.standard).items() if w < this_week]
    return [{"week": w.isoformat(), "estimated_total": t} for w, t in rows] + \
        [{"week": this_week.isoformat(), "estimated_total": estimated}]


# -- the dashboard ---------------------------------------------------------------------------------------

AT_RISK_LIMIT = 20
AT_RISK_DAYS = 7  # due within a week without accepted evidence
LOW_SCORE = 0.8  # scored below 80 % of its points


def risks(table: Table, item: dict) -> list[str]:
    """Why an item may cost points: overdue, needs_fix, due_soon_no_evidence, low_score ([] when none)."""
    if item["status"] == rules.DONE:
        return []
    found = []
    if rules.is_overdue(item["status"], item["deadline"], table.today):
        found.append("overdue")
    if item["status"] == rules.NEEDS_FIX:
        found.append("needs_fix")
    if rules.is_due_soon(item["status"], item["deadline"], table.today, AT_RISK_DAYS) and \
            not table.evidence.get(item["id"], {}).get("accepted"):
        found.append("due_soon_no_evidence")
    score = table.score(item)
    if score is not None and score < item["points"] * LOW_SCORE:
        found.append("low_score")
    return found


def dashboard(zone: str, now: datetime | None = None) -> dict:
    """The estimated total against the target, by category and by unit; the trend; items at risk."""
    table = load_table(zone, now)
    standard = table.standard
    estimated, by_category = totals(table)
    today = table.today
    per_category: dict[int, list[dict]] = defaultdict(list)
    for item in table.items:
        per_category[item["category_id"]].append(item)
    categories = []
    for category in table.categories:
        items = per_category.get(category.id, [])
        scored = [i for i in items if table.score(i) is not None]
        categories.append({
            "id": category.id, "name": category.name, "max_points": category.max_points,
            "estimated": by_category[category.id], "items": len(items),
            "done": sum(1 for i in items if i["status"] == rules.DONE),
            "lost": rules.total([rules.total(i["points"] for i in scored), -by_category[category.id]]),
        })
    units = _unit_rows(table)
    at_risk = []
    for item in table.items:
        reasons = risks(table, item)
        if reasons:
            lead = table.units.get(item["lead_unit_id"])
            at_risk.append({"id": item["id"], "number": item["number"], "content": item["content"],
                            "points": item["points"], "status": item["status"],
                            "deadline": item["deadline"].isoformat() if item["deadline"] else None,
                            "lead_unit_name": lead["name"] if lead else None, "reasons": reasons})
    at_risk.sort(key=lambda r: ("overdue" not in r["reasons"], "needs_fix" not in r["reasons"],
                                r["deadline"] or "9999", -r["points"]))
    statuses = Counter(i["status"] for i in table.items)
    evidence = Counter()
    for counts in table.evidence.values():
        evidence.update(counts)
    scored_points = rules.total(i["points"] for i in table.items if table.score(i) is not None)
    max_total = rules.max_total({"max_points": c.max_points} for c in table.categories)
    target = standard.target if standard else 0.0
    return {
        "standard": {"id": standard.id, "name": standard.name, "version": standard.version} if standard else None,
        "today": today.isoformat(),
        "target": target,
        "estimated_total": estimated,
        "max_total": max_total,
        "gap": rules.total([target, -estimated]) if estimated < target else 0.0,
        "scored_points": scored_points,
        "unscored_points": rules.total([max_total, -scored_points]),
        "categories": categories,
        "units": units,
        "statuses": {s: statuses.get(s, 0) for s in rules.ITEM_STATUSES},
        "evidence": {s: evidence.get(s, 0) for s in rules.EVIDENCE_STATUSES},
        "rectifications": {"open": len(table.rectifications),
                           "overdue": sum(1 for r in table.rectifications
                                          if rules.is_overdue(r["status"], r["deadline"], today))},
        "trend": trend(table, estimated),
        "at_risk": at_risk[:AT_RISK_LIMIT],
    }


def _unit_rows(table: Table) -> list[dict]:
    """Each unit's load and standing, the units most behind first (overdue, then at risk)."""
    today = table.today
    rows = {uid: {"id": uid, "name": u["name"], "kind": u["kind"], "items": 0, "cooperating": 0, "done": 0,
                  "overdue": 0, "due_soon": 0, "pending_review": 0, "points": 0.0, "estimated": 0.0,
                  "evidence_submitted": 0, "open_rectifications": 0, "overdue_rectifications": 0,
                  "_position": u["position"]}
            for uid, u in table.units.items()}
    points: dict[int, list] = defaultdict(list)
    scores: dict[int, list] = defaultdict(list)
    for item in table.items:
        for unit_id in item["cooperating_unit_ids"] or []:
            if unit_id in rows:
                rows[unit_id]["cooperating"] += 1
        row = rows.get(item["lead_unit_id"])
        if row is None:
            continue
        row["items"] += 1
        row["done"] += item["status"] == rules.DONE
        row["overdue"] += rules.is_overdue(item["status"], item["deadline"], today)
        row["due_soon"] += rules.is_due_soon(item["status"], item["deadline"], today)
        row["pending_review"] += item["status"] == "pending_review"
        row["evidence_submitted"] += table.evidence.get(item["id"], {}).get("submitted", 0)
        points[row["id"]].append(item["points"])
        scores[row["id"]].append(table.score(item))
    for rect in table.rectifications:
        row = rows.get(rect["unit_id"])
        if row is not None:
            row["open_rectifications"] += 1
            row["overdue_rectifications"] += rules.is_overdue(rect["status"], rect["deadline"], today)
    for unit_id, row in rows.items():
        row["points"] = rules.total(points.get(unit_id, ()))
        row["estimated"] = rules.total(scores.get(unit_id, ()))
    ordered = sorted(rows.values(), key=lambda r: (-(r["overdue"] + r["overdue_rectifications"]),
                                                   -r["due_soon"], r["_position"], r["name"]))
    for row in ordered:
        del row["_position"]
    return ordered
