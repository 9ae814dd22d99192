"""Creation campaign (创建攻坚) rules: item and evidence transitions, who may change what, scores and metrics,
deadlines, and the shape of an evaluation standard. Pure functions over plain values."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..services.errors import Forbidden, InvalidInput, InvalidTransition

LIAISON = "liaison"
OFFICE_ROLES = ("reviewer", "admin")

# 未开始 / 推进中 / 待审核 / 已完成 / 需整改
ITEM_STATUSES = ("not_started", "in_progress", "pending_review", "done", "needs_fix")
DONE = "done"
NEEDS_FIX = "needs_fix"
# 部门 / 乡镇(街道) / 人武部 / 驻县部队 / 其他
UNIT_KINDS = ("department", "township", "armed_forces", "garrison", "other")
EVIDENCE_STATUSES = ("submitted", "accepted", "returned")
EVIDENCE_DECISIONS = ("accept", "return")
RECTIFICATION_STATUSES = ("open", "done")

# An item bound to a figure the system already has is scored from the data.
METRIC_COVERAGE = "campaign_coverage"
METRIC_RESOLUTION = "difficulty_resolution"
METRIC_ON_TIME = "difficulty_on_time"
METRIC_PATTERN = (r"^(campaign_coverage:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                  r"|difficulty_resolution|difficulty_on_time)$")
METRIC_RE = re.compile(METRIC_PATTERN)
METRIC_LABELS = {METRIC_COVERAGE: "走访慰问覆盖率", METRIC_RESOLUTION: "困难诉求解决率",
                 METRIC_ON_TIME: "困难诉求按期办结率"}

DUE_SOON_DAYS = 3  # liaisons hear of a deadline this many days before it
MAX_POINTS = 1000  # any one figure of a standard; a real one totals 100
MAX_ITEMS = 500
# What a liaison may do to their unit's item's status (the office may set any status).
LIAISON_MOVES = {("not_started", "in_progress"), ("needs_fix", "in_progress"),
                 ("in_progress", "pending_review"), ("needs_fix", "pending_review")}
# Fields of an item each side may change.
OFFICE_FIELDS = frozenset({"lead_unit_id", "cooperating_unit_ids", "deadline", "milestones", "status",
                           "estimated_score", "loss_notes", "rectification_deadline", "rectification_unit_id"})
LIAISON_FIELDS = frozenset({"self_score", "status"})


def points(value) -> float:
    """A score or point value rounded half-up to two places (scores are points, 0.5 steps are common)."""
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def total(values: Iterable) -> float:
    """The sum of point values, exact to two places (no binary float drift: 0.1 + 0.2 is 0.3)."""
    return float(sum((Decimal(str(v)) for v in values if v is not None), Decimal(0))
                 .quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def change_key(unit_id: int) -> int:
    """The change log's scope key of a record a unit's liaisons see: the unit's id, negated, so it never
    meets an area id (areas scope every other record by their positive ids)."""
    return -unit_id


DIRECTORY_KEY = 0  # units: a directory every liaison sees


# -- who may change what ---------------------------------------------------------------------------------


def check_item_change(role: str, responsibility: str | None, changes: Mapping) -> None:
    """The office changes assignment, deadline, status, estimate and loss notes; a liaison of the item's lead
    unit its self-score and its status (forward only: in progress, then pending review)."""
    if role in OFFICE_ROLES:
        allowed = OFFICE_FIELDS
    elif role == LIAISON and responsibility == "lead":
        allowed = LIAISON_FIELDS
    else:
        raise Forbidden("只有牵头单位可以修改 / only the lead unit's liaison or the office may change this item")
    refused = sorted(set(changes) - allowed)
    if refused:
        raise Forbidden("您不能修改这些字段 / not yours to change: " + ", ".join(refused))


def check_status_move(role: str, old: str, new: str) -> None:
    if role == LIAISON and old != new and (old, new) not in LIAISON_MOVES:
        raise InvalidTransition(f"不能从 {old} 改为 {new} / a liaison cannot move an item from {old} to {new}")


def score_errors(field: str, value: float | None, item_points: float) -> dict | None:
    """A score lies between 0 and the item's points."""
    if value is not None and not 0 <= value <= item_points:
        return {field: [f"must be between 0 and {item_points:g} (the item's points)"]}
    return None


def check_scores(changes: Mapping, item_points: float, metric: str | None) -> None:
    errors = {}
    for field in ("self_score", "estimated_score"):
        errors.update(score_errors(field, changes.get(field), item_points) or {})
    if metric and changes.get("estimated_score") is not None:
        errors["estimated_score"] = ["scored from the data (metric): cannot change"]
    if errors:
        raise InvalidInput("Invalid score", errors)


def rectification_order(changes: Mapping, item: Mapping) -> dict | None:
    """A loss note with a deadline orders a 整改: (owner unit, deadline, description), or None.

    The owner is the unit named, else the item's lead unit; there must be a note to act on.
    """
    deadline = changes.get("rectification_deadline")
    if deadline is None:
        if changes.get("rectification_unit_id") is not None:
            raise InvalidInput("Invalid change", {"rectification_deadline": ["required with rectification_unit_id"]})
        return None
    note = changes.get("loss_notes", item.get("loss_notes"))
    unit_id = changes.get("rectification_unit_id") or changes.get("lead_unit_id", item.get("lead_unit_id"))
    errors = {}
    if not (note and note.strip()):
        errors["loss_notes"] = ["required with a rectification deadline"]
    if unit_id is None:
        errors["rectification_unit_id"] = ["required when the item has no lead unit"]
    if errors:
        raise InvalidInput("Invalid change", errors)
    return {"unit_id": unit_id, "deadline": deadline, "description": note.strip()}


def status_after_evidence(status: str) -> str:
    """Evidence on an item nobody started means work has begun."""
    return "in_progress" if status == "not_started" else status


def review_evidence(status: str, decision: str, comment: str | None) -> tuple[str, str | None]:
    """(new status, comment): only submitted evidence is reviewed; a return says what is missing."""
    if status != "submitted":
        raise InvalidTransition(f"只能审核待审核的材料 / {status} evidence cannot be reviewed")
    comment = (comment or "").strip() or None
    if decision == "return" and not comment:
        raise InvalidInput("退回需要填写意见 / say what is missing", {"comment": ["required when returning"]})
    return ("accepted" if decision == "accept" else "returned"), comment


def close_rectification(status: str) -> str:
    if status != "open":
        raise InvalidTransition("该整改已完成 / this rectification is already closed")
    return "done"


# -- deadlines -------------------------------------------------------------------------------------------


def is_overdue(status: str, deadline: date | None, today: date) -> bool:
    """Past its deadline and not done (an item) or not closed (a rectification)."""
    return status != DONE and deadline is not None and deadline < today


def is_due_soon(status: str, deadline: date | None, today: date, days: int = DUE_SOON_DAYS) -> bool:
    return status != DONE and deadline is not None and today <= deadline <= today + timedelta(days=days)


# -- metrics ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricFigure:
    """A bound item's figure: done of all (None: no data yet) and the score the rule gives."""

    metric: str
    done: int
    of: int

    @property
    def rate(self) -> float | None:
        return round(self.done / self.of, 4) if self.of else None


def metric_kind(metric: str) -> str:
    return metric.split(":", 1)[0]


def metric_campaign(metric: str) -> str | None:
    kind, _, rest = metric.partition(":")
    return rest if kind == METRIC_COVERAGE else None


def metric_score(item_points: float, rate: float | None) -> float | None:
    """points × rate, the rate clamped to 0…1 (so never above the item's points); None without data."""
    if rate is None:
        return None
    return points(item_points * min(max(rate, 0.0), 1.0))


def metric_rule(figure: MetricFigure, item_points: float) -> str:
    """The rule as the table shows it, with today's figures: 走访慰问覆盖率 45/50 = 90.0% × 4 分 = 3.6 分."""
    label = METRIC_LABELS.get(metric_kind(figure.metric), figure.metric)
    if figure.rate is None:
        return f"{label}：暂无数据 × {item_points:g} 分"
    score = metric_score(item_points, figure.rate)
    return f"{label} {figure.done}/{figure.of} = {figure.rate:.1%} × {item_points:g} 分 = {score:g} 分"


def item_score(item: Mapping, figure: MetricFigure | None) -> float | None:
    """The score an item counts with: a bound item's from the data, otherwise the office's estimate."""
    if item.get("metric"):
        return metric_score(item["points"], figure.rate) if figure is not None else None
    return item.get("estimated_score")


# -- the standard ----------------------------------------------------------------------------------------


def standard_errors(categories: list[Mapping]) -> dict | None:
    """A standard's shape: each category's items add up to its maximum; item numbers are unique."""
    errors: dict = {}
    numbers: set[str] = set()
    for index, category in enumerate(categories):
        found: dict = {}
        items = category.get("items") or []
        if not items:
            found["items"] = ["a category needs at least one item"]
        item_sum = total(i["points"] for i in items)
        if items and item_sum != points(category["max_points"]):
            found["max_points"] = [f"the items add up to {item_sum:g}, not {category['max_points']:g}"]
        for item_index, item in enumerate(items):
            if item["number"] in numbers:
                found.setdefault("items", {})[item_index] = {"number": ["already used"]}
            numbers.add(item["number"])
        if found:
            errors[index] = found
    return {"categories": errors} if errors else None


def max_total(categories: Iterable[Mapping]) -> float:
    return total(c["max_points"] for c in categories)


# -- a new version of the standard -----------------------------------------------------------------------

# What an item of the standard says: a change to any of these is a change of the item (its scores were given
# against the old text and points). A move to another category or a new place in it is not.
VERSIONED_FIELDS = ("content", "points", "rule", "evidence_required", "metric")
# An item that had reached the office's review goes back to it when its text or points change.
REVIEWED_STATUSES = ("pending_review", DONE, NEEDS_FIX)
WORK_FIELDS = ("status", "self_score", "estimated_score", "loss_notes")


def _comparable(field: str, value):
    if value is None:
        return None
    if field == "points":
        return points(value)
    return "".join(str(value).split()) or None  # wording, not spacing (Chinese text has none to lose)


def changed_fields(old: Mapping, new: Mapping) -> list[str]:
    """The fields of VERSIONED_FIELDS in which the new version's item (by number) differs from the old one."""
    return [f for f in VERSIONED_FIELDS if _comparable(f, old.get(f)) != _comparable(f, new.get(f))]


def carried_work(old: Mapping, changed: list[str], evidence: int) -> dict:
    """The work an item of a new version takes over from the previous version's item with its number.

    Unchanged: everything (status, self-score, estimated score, loss notes). Changed text or points: the loss
    notes stay, the scores go (they were given against other points or wording), and an item that had
    reached review (待审核 / 已完成 / 需整改) is 待审核 again, so the office checks it against the new text;
    an item not yet there keeps its status. Evidence and rectifications follow the item either way (the
    caller moves them).
    """
    if not changed:
        return {f: old.get(f) for f in WORK_FIELDS}
    status = "pending_review" if old["status"] in REVIEWED_STATUSES else old["status"]
    if evidence:
        status = status_after_evidence(status)
    return {"status": status, "self_score": None, "estimated_score": None, "loss_notes": old.get("loss_notes")}
