"""The weekly report workbook: summary by township (and campaign coverage), visits, difficulties and the two
overdue lists (跟进逾期: a follow-up date passed without a follow-up; 办结超期: a deadline passed unresolved),
streamed and laid out for print (A4 landscape, one page wide, the header repeated, borders, a title row).

Sheets are written with openpyxl's write-only mode (rows go to temporary files as they come, and database
rows are read with yield_per), so memory stays flat however many visits a province logs in a week. Every
value goes through `spreadsheets.cell_value`, so no stored text can make the export fail.
"""

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Area, Campaign, Difficulty, Recipient, User, Visit
from ..models.base import utcnow
from ..schemas.common import mask_id_number
from . import labels
from .actors import Actor
from .changes import record_audit
from .coverage import campaign_coverage
from .scope import apply_scope
from .spreadsheets import cell_value, is_formula, set_print_layout
from .timezone import format_local

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_DAYS = 366
STREAM_CHUNK = 1000
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=14)
MONEY_FORMAT = "#,##0.00"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(vertical="top", wrap_text=True)
# The two meanings of 逾期, named the same on the phone, in the console and here.
FOLLOW_UP_OVERDUE = "跟进逾期"
DEADLINE_OVERDUE = "办结超期"

Assignee = aliased(User)
Author = aliased(User)


# -- dates ---------------------------------------------------------------------------------------------


def local_today(zone: str, now: datetime | None = None) -> date:
    now = now or utcnow()
    return now.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()


def local_day_start_utc(day: date, zone: str) -> datetime:
    """The naive UTC instant at which a local calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def to_local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A stored naive-UTC instant as a naive local one (Excel has no time zones)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def default_range(zone: str, start: date | None, end: date | None) -> tuple[date, date]:
    """Fill a missing end of the range: seven days ending today, or seven days from / up to the one given."""
    if start is None and end is None:
        end = local_today(zone)
    if start is None:
        start = end - timedelta(days=6)
    if end is None:
        end = start + timedelta(days=6)
    return start, end


# -- the areas of the report ---------------------------------------------------------------------------


class AreaTree:
    """The areas in the actor's scope, and which township (and county) each village belongs to."""

    def __init__(self, actor: Actor):
        query = select(Area.id, Area.code, Area.name, Area.level, Area.parent_id, Area.path)
        if not actor.sees_all:
            # The ancestors too, so a township's county (and the title) can be named.
            ancestors = [int(p) for p in actor.area_path.strip("/").split("/") if p]
            query = query.where(or_(Area.path.startswith(actor.area_path, autoescape=True),
                                    Area.id.in_(ancestors)))
        self.areas = {row.id: row for row in db.session.execute(query)}
        self.actor_area = self.areas.get(actor.area_id)
        self.township_ids = sorted((a.id for a in self.areas.values() if a.level == "township"
                                    and (actor.sees_all or a.path.startswith(actor.area_path))),
                                   key=lambda i: self.areas[i].code)
        counties = {self.ancestor(t, "county") for t in self.township_ids}
        self.many_counties = len(counties) > 1

    def ancestor(self, area_id: int | None, level: str) -> int | None:
        current = area_id
        while current is not None and current in self.areas:
            if self.areas[current].level == level:
                return current
            current = self.areas[current].parent_id
        return None

    def name(self, area_id: int | None) -> str:
        area = self.areas.get(area_id) if area_id is not None else None
        return area.name if area else ""

    def township_name(self, village_id: int) -> str:
        township = self.ancestor(village_id, "township")
        if township is None:
            return ""
        if self.many_counties:
            return f"{self.name(self.ancestor(township, 'county'))}{self.name(township)}"
        return self.name(township)


# -- writing -------------------------------------------------------------------------------------------


@dataclass
class Column:
    header: str
    width: float
    number_format: str | None = None


@dataclass
class SheetWriter:
    """A write-only sheet with a styled, frozen header and per-column formats."""

    sheet: object
    columns: list[Column]
    formats: list = field(default_factory=list)

    @classmethod
    def create(cls, workbook: Workbook, title: str, columns: list[Column], preamble: list[str] = ()):
        """A sheet: the preamble (its first line the title row, big), then the header row, frozen below and
        repeated on every printed page."""
        sheet = workbook.create_sheet(title)
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        # Frozen panes, widths and print settings must be set before the first row is streamed.
        header_row = len(preamble) + 1
        sheet.freeze_panes = f"A{header_row + 1}"
        set_print_layout(sheet, header_row)
        writer = cls(sheet, columns, [c.number_format for c in columns])
        for index, line in enumerate(preamble):
            cell = WriteOnlyCell(sheet, value=cell_value(line))
            if index == 0:
                cell.font = TITLE_FONT
            sheet.append([cell])
        writer.header([column.header for column in columns])
        return writer

    def header(self, titles: list) -> None:
        """A styled header row (the table's, or a block's within the sheet)."""
        row = []
        for title in titles:
            cell = WriteOnlyCell(self.sheet, value=title)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.border = BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            row.append(cell)
        self.sheet.append(row)

    def line(self, text: str) -> None:
        """A line of text outside the table (a block's title), or an empty row for None."""
        if text is None:
            self.sheet.append([])
            return
        cell = WriteOnlyCell(self.sheet, value=cell_value(text))
        cell.font = HEADER_FONT
        self.sheet.append([cell])

    def append(self, values: list, bold: bool = False, formats: list | None = None) -> None:
        """A bordered table row; `formats` overrides the columns' number formats (a block of other columns)."""
        row = []
        for value, number_format in zip(values, formats or self.formats[:len(values)], strict=True):
            value = cell_value(value)
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.border = BORDER
            cell.alignment = WRAP
            if is_formula(value):
                # Text typed on a phone ("=HYPERLINK(…)") stays text: no formula runs in the office.
                cell.data_type = "s"
            if number_format and value is not None:
                cell.number_format = number_format
            if bold:
                cell.font = HEADER_FONT
            row.append(cell)
        self.sheet.append(row)


def yuan(cents: int | None) -> Decimal:
    return Decimal(cents or 0) / 100


# -- the report ----------------------------------------------------------------------------------------


@dataclass
class Counts:
    visits: int = 0
    approved: int = 0
    recipients: int = 0
    cash_cents: int = 0
    opened: int = 0
    resolved: int = 0
    unresolved: int = 0
    follow_up_overdue: int = 0
    deadline_overdue: int = 0

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def values(self) -> list:
        return [self.visits, self.approved, self.recipients, yuan(self.cash_cents), self.opened,
                self.resolved, self.unresolved, self.follow_up_overdue, self.deadline_overdue]


def summary_by_area(actor: Actor, lower: datetime, upper: datetime, today: date,
                    now: datetime) -> dict[int, Counts]:
    """Counts per village (area id): a handful of GROUP BY queries, whatever the number of rows."""
    counts: dict[int, Counts] = {}

    def at(area_id: int) -> Counts:
        return counts.setdefault(area_id, Counts())

    in_range = and_(Visit.visited_at >= lower, Visit.visited_at < upper)
    visits = apply_scope(
        select(Visit.area_id, func.count(), func.count(func.distinct(Visit.recipient_id)),
               func.coalesce(func.sum(Visit.cash_cents), 0),
               func.count().filter(Visit.status == "approved"))
        .where(in_range).group_by(Visit.area_id), actor, Visit.area_id)
    for area_id, total, recipients, cash, approved in db.session.execute(visits):
        row = at(area_id)
        row.visits, row.recipients, row.cash_cents, row.approved = total, recipients, int(cash), approved
    difficulty_counts = (
        ("opened", and_(Difficulty.created_at >= lower, Difficulty.created_at < upper)),
        ("resolved", and_(Difficulty.status == "resolved", Difficulty.resolved_at >= lower,
                          Difficulty.resolved_at < upper)),
        ("unresolved", Difficulty.status != "resolved"),
        ("follow_up_overdue", follow_up_overdue_clause(now)),
        ("deadline_overdue", overdue_clause(today)),
    )
    for name, clause in difficulty_counts:
        query = select(Difficulty.area_id, func.count()).where(clause).group_by(Difficulty.area_id)
        query = apply_scope(query, actor, Difficulty.area_id)
        for area_id, total in db.session.execute(query):
            setattr(at(area_id), name, total)
    return counts


def overdue_clause(today: date):
    """办结超期: past its deadline and not resolved (the same rule as the difficulty board)."""
    return and_(Difficulty.status != "resolved", Difficulty.due_date.is_not(None),
                Difficulty.due_date < today)


def follow_up_overdue_clause(now: datetime):
    """跟进逾期: its next follow-up date has passed and no follow-up came since (one would have moved or
    cleared the date), and it is not resolved."""
    return and_(Difficulty.status != "resolved", Difficulty.follow_up_at.is_not(None),
                Difficulty.follow_up_at < now)


def write_summary(workbook, tree: AreaTree, counts: dict[int, Counts], preamble: list[str],
                  coverage: list[dict]) -> None:
    columns = [Column("乡镇(街道)", 22), Column("走访次数", 10), Column("其中已审核通过", 14),
               Column("走访人数", 10), Column("慰问金(元)", 14, MONEY_FORMAT), Column("新增困难诉求", 13),
               Column("已解决", 10), Column("未解决(全部)", 13), Column(FOLLOW_UP_OVERDUE, 11),
               Column(DEADLINE_OVERDUE, 11)]
    sheet = SheetWriter.create(workbook, "汇总", columns, preamble)
    by_township: dict[int | None, Counts] = {t: Counts() for t in tree.township_ids}
    for area_id, row in counts.items():
        township = tree.ancestor(area_id, "township")
        by_township.setdefault(township, Counts()).add(row)
    total = Counts()
    for township, row in by_township.items():
        name = tree.township_name(township) if township is not None else "（未归属乡镇）"
        sheet.append([name, *row.values()])
        total.add(row)
    sheet.append(["合计", *total.values()], bold=True)
    for report in coverage:
        write_coverage(sheet, report)


def running_campaigns(actor: Actor, today: date) -> list[Campaign]:
    """Campaigns under way today whose area overlaps the actor's scope (its subtree, or above it)."""
    query = (select(Campaign, Area.path).join(Area, Area.id == Campaign.area_id)
             .where(Campaign.starts_on <= today, Campaign.ends_on >= today)
             .order_by(Campaign.starts_on, Campaign.name, Campaign.id))
    return [campaign for campaign, path in db.session.execute(query)
            if actor.sees_all or path.startswith(actor.area_path) or actor.area_path.startswith(path)]


def write_coverage(sheet: "SheetWriter", report: dict) -> None:
    """A running campaign's coverage under the summary: each township, then its villages (indented)."""
    campaign = report["campaign"]
    formats = [None, None, None, PERCENT_FORMAT]
    sheet.line(None)
    sheet.line(f"走访活动覆盖率：{campaign['name']}（{campaign['starts_on']} 至 {campaign['ends_on']}）")
    sheet.header(["乡镇(街道) / 村(社区)", "应走访", "已走访", "覆盖率"])
    for township in report["townships"]:
        sheet.append([township["name"] or "（未归属乡镇）", township["targets"], township["visited"],
                      township["rate"]], bold=True, formats=formats)
        for village in township["villages"]:
            sheet.append([f"　{village['name']}", village["targets"], village["visited"], village["rate"]],
                         formats=formats)
    totals = report["totals"]
    sheet.append(["合计", totals["targets"], totals["visited"], totals["rate"]], bold=True, formats=formats)


def write_visits(workbook, actor: Actor, tree: AreaTree, lower: datetime, upper: datetime,
                 zone: ZoneInfo, preamble: list[str]) -> int:
    columns = [Column("走访时间", 17, DATETIME_FORMAT), Column("乡镇(街道)", 14), Column("村(社区)", 14),
               Column("姓名", 10), Column("身份证号", 21), Column("优抚类别", 18), Column("走访类型", 11),
               Column("走访事由", 18), Column("走访人员", 22), Column("慰问品", 18),
               Column("慰问金(元)", 12, MONEY_FORMAT), Column("签字", 18), Column("审核状态", 10),
               Column("审核意见", 24)]
    sheet = SheetWriter.create(workbook, "走访明细", columns, preamble)
    query = apply_scope(
        select(Visit.visited_at, Visit.area_id, Recipient.name, Recipient.id_number, Recipient.category,
               Visit.kind, Visit.occasion, Author.display_name, Visit.gifts, Visit.cash_cents,
               Visit.signature, Visit.no_signature_reason, Visit.status, Visit.review_comment)
        .join(Recipient, Recipient.id == Visit.recipient_id)
        .join(Author, Author.id == Visit.author_id)
        .where(Visit.visited_at >= lower, Visit.visited_at < upper)
        .order_by(Visit.visited_at, Visit.id), actor, Visit.area_id)
    written = 0
    for r in db.session.execute(query.execution_options(yield_per=STREAM_CHUNK)):
        if r.signature:
            signed = "已签字"
        elif r.no_signature_reason:
            signed = f"未签字：{r.no_signature_reason}"
        else:
            signed = "无需签字" if not r.cash_cents else "未签字"
        sheet.append([to_local(r.visited_at, zone), tree.township_name(r.area_id), tree.name(r.area_id),
                      r.name, mask_id_number(r.id_number),
                      labels.label(labels.RECIPIENT_CATEGORIES, r.category),
                      labels.label(labels.VISIT_KINDS, r.kind), r.occasion, r.display_name, r.gifts,
                      yuan(r.cash_cents), signed, labels.label(labels.VISIT_STATUSES, r.status),
                      r.review_comment])
        written += 1
    return written


def _difficulty_query(actor: Actor, clause):
    return apply_scope(
        select(Difficulty.created_at, Difficulty.area_id, Recipient.name, Recipient.id_number,
               Difficulty.category, Difficulty.description, Difficulty.urgency, Difficulty.status,
               Assignee.display_name, Difficulty.responsible_unit, Difficulty.due_date,
               Difficulty.follow_up_at, Difficulty.resolved_at)
        .join(Recipient, Recipient.id == Difficulty.recipient_id)
        .outerjoin(Assignee, Assignee.id == Difficulty.assignee_id)
        .where(clause), actor, Difficulty.area_id)


def write_difficulties(workbook, actor: Actor, tree: AreaTree, lower: datetime, upper: datetime, today: date,
                       zone: ZoneInfo, preamble: list[str]) -> int:
    columns = [Column("登记时间", 17, DATETIME_FORMAT), Column("乡镇(街道)", 14), Column("村(社区)", 14),
               Column("姓名", 10), Column("身份证号", 21), Column("诉求类别", 10), Column("诉求内容", 36),
               Column("紧急程度", 9), Column("状态", 9), Column("责任人", 20), Column("责任单位", 18),
               Column("办结时限", 12, DATE_FORMAT), Column(DEADLINE_OVERDUE, 9),
               Column("下次跟进", 17, DATETIME_FORMAT), Column("解决时间", 17, DATETIME_FORMAT)]
    sheet = SheetWriter.create(workbook, "困难诉求", columns, preamble)
    opened = and_(Difficulty.created_at >= lower, Difficulty.created_at < upper)
    query = _difficulty_query(actor, or_(opened, Difficulty.status != "resolved")).order_by(
        Difficulty.created_at, Difficulty.id)
    written = 0
    for r in db.session.execute(query.execution_options(yield_per=STREAM_CHUNK)):
        overdue = r.status != "resolved" and r.due_date is not None and r.due_date < today
        sheet.append([to_local(r.created_at, zone), tree.township_name(r.area_id), tree.name(r.area_id),
                      r.name, mask_id_number(r.id_number),
                      labels.label(labels.DIFFICULTY_CATEGORIES, r.category),
                      r.description, labels.label(labels.URGENCY_LABELS, r.urgency),
                      labels.label(labels.DIFFICULTY_STATUSES, r.status), r.display_name, r.responsible_unit,
                      r.due_date, "是" if overdue else "否", to_local(r.follow_up_at, zone),
                      to_local(r.resolved_at, zone)])
        written += 1
    return written


def _overdue_row(tree: AreaTree, r) -> list:
    return [tree.township_name(r.area_id), tree.name(r.area_id), r.name, mask_id_number(r.id_number),
            labels.label(labels.DIFFICULTY_CATEGORIES, r.category), r.description,
            labels.label(labels.URGENCY_LABELS, r.urgency), labels.label(labels.DIFFICULTY_STATUSES, r.status),
            r.display_name, r.responsible_unit]


OVERDUE_COLUMNS = [Column("乡镇(街道)", 14), Column("村(社区)", 14), Column("姓名", 10), Column("身份证号", 21),
                   Column("诉求类别", 10), Column("诉求内容", 36), Column("紧急程度", 9), Column("状态", 9),
                   Column("责任人", 20), Column("责任单位", 18)]


def _write_overdue(workbook, actor: Actor, tree: AreaTree, name: str, clause, order: tuple,
                   columns: list[Column], tail, preamble: list[str]) -> int:
    """One overdue list: the difficulty's columns, then `columns` filled by `tail(row)`."""
    sheet = SheetWriter.create(workbook, name, [*OVERDUE_COLUMNS, *columns], preamble)
    query = _difficulty_query(actor, clause).order_by(*order, Difficulty.created_at, Difficulty.id)
    written = 0
    for r in db.session.execute(query.execution_options(yield_per=STREAM_CHUNK)):
        sheet.append([*_overdue_row(tree, r), *tail(r)])
        written += 1
    return written


def write_follow_up_overdue(workbook, actor: Actor, tree: AreaTree, now: datetime, today: date, zone: ZoneInfo,
                            preamble: list[str]) -> int:
    """跟进逾期: unresolved difficulties whose next follow-up date passed with no follow-up, longest first."""

    def tail(r) -> list:
        due = to_local(r.follow_up_at, zone)
        return [due, (today - due.date()).days, to_local(r.created_at, zone)]

    columns = [Column("应跟进时间", 17, DATETIME_FORMAT), Column("逾期天数", 9),
               Column("登记时间", 17, DATETIME_FORMAT)]
    return _write_overdue(workbook, actor, tree, FOLLOW_UP_OVERDUE, follow_up_overdue_clause(now),
                          (Difficulty.follow_up_at,), columns, tail, preamble)


def write_deadline_overdue(workbook, actor: Actor, tree: AreaTree, today: date, zone: ZoneInfo,
                           preamble: list[str]) -> int:
    """办结超期: unresolved difficulties past their deadline, the earliest deadline first."""
    columns = [Column("办结时限", 12, DATE_FORMAT), Column("超期天数", 9), Column("登记时间", 17, DATETIME_FORMAT)]
    return _write_overdue(workbook, actor, tree, DEADLINE_OVERDUE, overdue_clause(today), (Difficulty.due_date,),
                          columns, lambda r: [r.due_date, (today - r.due_date).days, to_local(r.created_at, zone)],
                          preamble)


def scope_title(tree: AreaTree, actor: Actor) -> str:
    """The county (and the township or village below it) the paper is about: 测试县, 测试县甲镇."""
    area = tree.actor_area
    if area is None:
        return ""
    county = tree.ancestor(area.id, "county")
    if county is None or county == area.id:
        return area.name
    return f"{tree.name(county)}{area.name}"


def weekly_report(actor: Actor, start: date, end: date, zone_name: str):
    """Write the workbook for [start, end] (inclusive local dates) to a temporary file; audit the export.

    Returns the file, positioned at its start (the caller sends and closes it; it vanishes when closed).
    """
    zone = ZoneInfo(zone_name)
    lower = local_day_start_utc(start, zone_name)
    upper = local_day_start_utc(end + timedelta(days=1), zone_name)
    now = utcnow()
    today = local_today(zone_name, now)
    tree = AreaTree(actor)
    period = f"{start.isoformat()} 至 {end.isoformat()}"
    exported = f"导出时间：{format_local(now, zone_name)}"
    scope = scope_title(tree, actor)

    def heading(name: str) -> list[str]:
        return [f"{scope}走访慰问工作周报 · {name}（{period}）　{exported}"]

    title = f"{scope}走访慰问工作周报（{period}）　{exported}"
    subtitle = (f"{FOLLOW_UP_OVERDUE}：应跟进日期已过仍未跟进；{DEADLINE_OVERDUE}：办结时限已过仍未解决"
                f"（按 {today.isoformat()} 计）；慰问金单位：元；身份证号已脱敏")
    coverage = [campaign_coverage(actor, c.id, zone_name, not_visited_limit=0)
                for c in running_campaigns(actor, today)]
    workbook = Workbook(write_only=True)
    write_summary(workbook, tree, summary_by_area(actor, lower, upper, today, now), [title, subtitle], coverage)
    visits = write_visits(workbook, actor, tree, lower, upper, zone, heading("走访明细"))
    difficulties = write_difficulties(workbook, actor, tree, lower, upper, today, zone, heading("困难诉求"))
    follow_up_overdue = write_follow_up_overdue(workbook, actor, tree, now, today, zone, heading(FOLLOW_UP_OVERDUE))
    deadline_overdue = write_deadline_overdue(workbook, actor, tree, today, zone, heading(DEADLINE_OVERDUE))
    output = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        workbook.save(output)
        output.seek(0)
        record_audit(actor, "report.weekly_export", details={
            "from": start.isoformat(), "to": end.isoformat(), "visits": visits, "difficulties": difficulties,
            "follow_up_overdue": follow_up_overdue, "deadline_overdue": deadline_overdue})
        db.session.commit()
    except BaseException:
        output.close()
        raise
    return output


# -- a campaign's not-visited list -----------------------------------------------------------------------


def not_visited_report(actor: Actor, campaign_id: str, zone_name: str):
    """Who among a campaign's targets (in the actor's scope) has not been visited during it, as a printable
    workbook: by township, village and name. Returns (the temporary file at its start, the campaign's name)."""
    zone = ZoneInfo(zone_name)
    report = campaign_coverage(actor, campaign_id, zone_name, not_visited_limit=None)
    campaign = report["campaign"]
    township_of = {village["id"]: township["name"] for township in report["townships"]
                   for village in township["villages"]}
    tree = AreaTree(actor)
    period = f"{campaign['starts_on']} 至 {campaign['ends_on']}"
    title = (f"{scope_title(tree, actor)}{campaign['name']}未走访名单（{period}）　"
             f"导出时间：{format_local(utcnow(), zone_name)}")
    totals = report["totals"]
    subtitle = f"应走访 {totals['targets']} 人，已走访 {totals['visited']} 人，未走访 {len(report['not_visited'])} 人"
    columns = [Column("序号", 7), Column("乡镇(街道)", 14), Column("村(社区)", 14), Column("姓名", 10),
               Column("性别", 6), Column("优抚类别", 18), Column("联系电话", 15), Column("家庭住址", 36),
               Column("最近一次走访", 17, DATETIME_FORMAT)]
    workbook = Workbook(write_only=True)
    sheet = SheetWriter.create(workbook, "未走访名单", columns, [title, subtitle])
    ids = [row["id"] for row in report["not_visited"]]
    for offset in range(0, len(ids), STREAM_CHUNK):
        chunk = ids[offset:offset + STREAM_CHUNK]
        details = {r.id: r for r in db.session.execute(
            select(Recipient.id, Recipient.gender, Recipient.category, Recipient.phone, Recipient.address)
            .where(Recipient.id.in_(chunk)))}
        last = dict(db.session.execute(select(Visit.recipient_id, func.max(Visit.visited_at))
                                       .where(Visit.recipient_id.in_(chunk)).group_by(Visit.recipient_id)).all())
        for index, row in enumerate(report["not_visited"][offset:offset + STREAM_CHUNK], start=offset + 1):
            detail = details[row["id"]]
            sheet.append([index, township_of.get(row["area_id"], ""), row["village_name"], row["name"],
                          labels.label(labels.GENDER_LABELS, detail.gender) if detail.gender else "",
                          labels.label(labels.RECIPIENT_CATEGORIES, detail.category), detail.phone,
                          detail.address, to_local(last.get(row["id"]), zone)])
    output = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        workbook.save(output)
        output.seek(0)
        record_audit(actor, "campaign.not_visited_export", "campaign", campaign["id"],
                     {"not_visited": len(ids)})
        db.session.commit()
    except BaseException:
        output.close()
        raise
    return output, campaign["name"]
