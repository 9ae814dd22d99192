"""Papers of the creation campaign: the standard and the responsibility table as print-ready workbooks, the
standard's import from that workbook, the weekly briefing (Word) and the evidence archive (a streamed ZIP).

Everything here is the office's (the API admits reviewers and admins only); the workbooks are small (a
standard has tens of items), the archive is not: its files are streamed from the attachment store.
"""

import io
import re
from collections.abc import Iterator
from copy import copy
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from ...domain import creation as rules
from ...extensions import db
from ...field_codes import field_codes
from ...models import Attachment, Category, Evidence, Item, Rectification, Unit
from ..actors import Actor
from ..changes import mark, record_audit, rollback_to
from ..errors import DomainError, InvalidFile, TooManyRows
from ..imports import REQUIRED_MESSAGE, cell_text, read_table
from ..spreadsheets import set_print_layout
from ..timezone import local_range_utc, local_today
from ..zipstream import Member, file_chunks, safe_name, stream_zip
from . import standards
from .access import current_standard
from .scoring import load_table, totals, week_of, weekly_totals

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_STANDARD_ROWS = 2000
HEADER_SEARCH_ROWS = 10

STATUS_LABELS = {"not_started": "未开始", "in_progress": "推进中", "pending_review": "待审核", "done": "已完成",
                 "needs_fix": "需整改"}
EVIDENCE_LABELS = {"submitted": "待审核", "accepted": "已采纳", "returned": "已退回"}

# (field, header, width) of the standard workbook; the import reads these headers (and a few aliases).
STANDARD_COLUMNS = (
    ("category", "考评项目", 16),
    ("number", "序号", 8),
    ("content", "考评内容", 48),
    ("points", "分值", 8),
    ("rule", "评分标准", 48),
    ("evidence_required", "佐证材料要求", 36),
)
HEADER_ALIASES = {
    "category": ("考评项目", "项目", "类别"),
    "number": ("序号", "编号", "条目"),
    "content": ("考评内容", "内容", "工作内容"),
    "points": ("分值", "分数", "标准分"),
    "rule": ("评分标准", "评分细则", "扣分标准"),
    "evidence_required": ("佐证材料要求", "佐证材料", "台账资料"),
}
HEADERS = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
RESPONSIBILITY_COLUMNS = (
    ("考评项目", 14), ("序号", 7), ("考评内容", 40), ("分值", 7), ("牵头单位", 14), ("配合单位", 20),
    ("完成时限", 12), ("状态", 9), ("自评分", 8), ("预估分", 8),
)

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=16)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def clean(value):
    """A cell value without the control characters a workbook may not hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


# -- print-ready workbooks -----------------------------------------------------------------------------


def _sheet(title: str, sheet_title: str, columns: list[tuple[str, float]]):
    """A workbook whose sheet has a merged title row, a styled header repeated on every printed page, and
    A4 landscape fitted to one page wide."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.append([clean(title)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = TITLE_FONT
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30
    sheet.append([header for header, _ in columns])
    for index, (_, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=2, column=index)
        cell.font, cell.fill, cell.alignment, cell.border = HEADER_FONT, HEADER_FILL, CENTER, BORDER
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    set_print_layout(sheet, header_row=2)
    return workbook, sheet


def _row(sheet, values: list, bold: bool = False, centered=()) -> int:
    """Append a bordered row (bold, some columns centred) and answer its number. Each kind of cell is styled
    once per sheet and copied after that: openpyxl hashes every style object set on a cell, and looking up the
    last row (`max_row`) walks every cell, which made a 4,000-row index take 40 s."""
    sheet.append([clean(v) for v in values])
    row = sheet._current_row
    styles = sheet.__dict__.setdefault("_zoufang_row_styles", {})
    for index in range(1, len(values) + 1):
        cell = sheet.cell(row=row, column=index)
        key = (bold, index in centered)
        if key in styles:
            cell._style = copy(styles[key])
            continue
        cell.border = BORDER
        cell.alignment = CENTER if index in centered else WRAP
        if bold:
            cell.font = HEADER_FONT
        styles[key] = copy(cell._style)
    return row


def _save(workbook) -> io.BytesIO:
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def standard_workbook() -> io.BytesIO | None:
    """The current standard: a category row (its name and maximum), then its items (the category named on
    each, so a sorted or filtered sheet still reads); None when there is no standard yet."""
    tree = standards.standard_tree()
    if tree is None:
        return None
    title = f"{tree['name']}（第{tree['version']}版，满分{tree['max_total']:g}分）"
    workbook, sheet = _sheet(title, "考评标准", [(h, w) for _, h, w in STANDARD_COLUMNS])
    for category in tree["categories"]:
        _row(sheet, [category["name"], None, None, category["max_points"], None, None], bold=True,
             centered=(2, 4))
        for item in category["items"]:
            _row(sheet, [category["name"], item["number"], item["content"], item["points"], item["rule"],
                         item["evidence_required"]], centered=(2, 4))
    return _save(workbook)


def responsibility_workbook(zone: str) -> io.BytesIO | None:
    """创建工作责任分解表: a row per item of the current standard, as the county prints it."""
    table = load_table(zone)
    if table.standard is None:
        return None
    names = {c.id: c.name for c in table.categories}
    title = f"{table.standard.name}创建工作责任分解表"
    workbook, sheet = _sheet(title, "责任分解表", list(RESPONSIBILITY_COLUMNS))
    for item in table.items:
        lead = table.units.get(item["lead_unit_id"])
        cooperating = "、".join(table.units[u]["name"] for u in item["cooperating_unit_ids"] or []
                               if u in table.units)
        row = _row(sheet, [names.get(item["category_id"]), item["number"], item["content"], item["points"],
                     lead["name"] if lead else None, cooperating or None, item["deadline"],
                     STATUS_LABELS.get(item["status"], item["status"]), item["self_score"],
                     item["estimated_score"]], centered=(2, 4, 7, 8, 9, 10))
        sheet.cell(row=row, column=7).number_format = "yyyy-mm-dd"
    return _save(workbook)


# -- the standard's import -----------------------------------------------------------------------------


def _points(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _locate_header(rows) -> dict[int, str]:
    for number, cells in rows:
        columns: dict[int, str] = {}
        for index, cell in enumerate(cells):
            name = HEADERS.get(cell_text(cell).replace(" ", ""))
            if name and name not in columns.values():
                columns[index] = name
        if {"number", "content", "points"} <= set(columns.values()):
            if "category" not in columns.values():
                raise InvalidFile("缺少必需的列 / required columns are missing", {"columns": ["考评项目"]})
            return columns
        if number >= HEADER_SEARCH_ROWS:
            break
    raise InvalidFile("找不到表头（考评项目、序号、考评内容、分值） / the header row was not found",
                      {"columns": ["考评项目", "序号", "考评内容", "分值"]})


def _answer(number: int, errors: dict) -> dict:
    if errors:
        return {"row": number, "ok": False, "errors": errors, "error_codes": field_codes(errors)}
    return {"row": number, "ok": True}


def read_standard(filename: str, content: bytes) -> tuple[list[dict], list[dict], dict]:
    """(categories tree, row answers, tree position → sheet row) of a standard workbook."""
    table = read_table(filename, content)
    categories: list[dict] = []
    by_name: dict[str, dict] = {}
    answers: list[dict] = []
    where: dict = {}
    current: dict | None = None
    try:
        columns = _locate_header(table)
        for number, cells in table:
            values = {name: cell_text(cells[index]) if index < len(cells) else ""
                      for index, name in columns.items()}
            if not any(values.values()):
                continue
            if len(answers) >= MAX_STANDARD_ROWS:
                raise TooManyRows(f"每次最多导入{MAX_STANDARD_ROWS}行 / at most {MAX_STANDARD_ROWS} rows a file")
            errors: dict = {}
            name = values.get("category", "")[:100]
            if name and name not in by_name:
                by_name[name] = {"name": name, "max_points": None, "items": [], "_row": number}
                categories.append(by_name[name])
            if name:
                current = by_name[name]
            points = _points(values["points"]) if values["points"] else None
            if values["points"] and points is None:
                errors["points"] = ["须为数字 / must be a number"]
            elif points is not None and points < 0:
                errors["points"] = ["不能为负数 / must not be negative"]
            if not values["number"] and not values["content"]:
                # A category row: its name and (optionally) its maximum.
                if current is None:
                    errors["category"] = [REQUIRED_MESSAGE]
                elif points is not None and not errors:
                    current["max_points"] = points
                answers.append(_answer(number, errors))
                continue
            for key in ("number", "content"):
                if not values[key]:
                    errors[key] = [REQUIRED_MESSAGE]
            if not values["points"]:
                errors["points"] = [REQUIRED_MESSAGE]
            if len(values["number"]) > 16:
                errors["number"] = ["最多16个字符 / at most 16 characters"]
            if current is None:
                errors["category"] = [REQUIRED_MESSAGE]
            answers.append(_answer(number, errors))
            if errors:
                continue
            where[(categories.index(current), len(current["items"]))] = len(answers) - 1
            current["items"].append({"number": values["number"], "content": values["content"], "points": points,
                                     "rule": values.get("rule") or None,
                                     "evidence_required": values.get("evidence_required") or None})
    finally:
        table.close()
    for category in categories:
        if category["max_points"] is None:
            category["max_points"] = rules.total(i["points"] for i in category["items"])
    return categories, answers, where


def _tree_errors(categories: list[dict], answers: list[dict], where: dict) -> None:
    """The standard's own rules (items add up to the category's maximum, numbers unique) on the rows."""
    errors = (rules.standard_errors(categories) or {}).get("categories", {})
    for c_index, found in errors.items():
        rows = {}
        for key, messages in found.items():
            if key == "items" and isinstance(messages, dict):
                for i_index, item_errors in messages.items():
                    rows.setdefault(where.get((c_index, i_index)), {}).update(item_errors)
            else:
                first = where.get((c_index, 0))
                rows.setdefault(first, {})[key] = messages if key != "max_points" else [
                    f"{categories[c_index]['name']}：{messages[0]}"]
        for answer_index, row_errors in rows.items():
            if answer_index is None:
                continue
            answer = answers[answer_index]
            merged = {**answer.get("errors", {}), **row_errors}
            answers[answer_index] = _answer(answer["row"], merged)


def import_standard(actor: Actor, filename: str, content: bytes, dry_run: bool) -> dict:
    """Check a standard workbook row by row and (unless dry_run, and only when every row is valid) make it
    the new current version; the name and target are the current standard's (the target at most the total)."""
    categories, answers, where = read_standard(filename, content)
    db.session.commit()  # end the read transaction before the checks (SQLite's write lock, services/imports)
    if not categories or not any(c["items"] for c in categories):
        raise InvalidFile("文件中没有考评内容 / the file has no items", {"file": ["没有考评内容 / no items"]})
    _tree_errors(categories, answers, where)
    valid = sum(1 for a in answers if a["ok"])
    summary = {"dry_run": dry_run, "valid": valid, "invalid": len(answers) - valid, "standard": None,
               "changes": None}
    previous = current_standard()
    # The workbook has no column for a bound item's metric: an item keeps its number's previous binding.
    metrics = dict(db.session.execute(select(Item.number, Item.metric).where(
        Item.standard_id == previous.id, Item.metric.is_not(None))).all()) if previous else {}
    tree = [{"name": c["name"], "max_points": c["max_points"],
             "items": [{**i, "metric": metrics.get(i["number"])} for i in c["items"]]} for c in categories]
    if summary["invalid"] == 0:
        summary["changes"] = standards.preview_changes(tree)
    if not dry_run and summary["invalid"] == 0:
        max_total = rules.max_total(categories)
        target = min(previous.target, max_total) if previous else round(max_total * 0.9, 1)
        standard = standards.create_standard(actor, previous.name if previous else "考评标准", target, tree,
                                             period_start=previous.period_start if previous else None,
                                             period_end=previous.period_end if previous else None, commit=False)
        record_audit(actor, "standard.import", "standard", standard.id,
                     {"filename": (filename or "")[:200], "rows": len(answers)})
        db.session.commit()
        summary["standard"] = {"id": standard.id, "version": standard.version}
    return {**summary, "rows": answers}


# -- the weekly briefing -------------------------------------------------------------------------------

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(text: str | None, zone: str) -> date:
    """'YYYY-Www' → its Monday (none: this week); a 400 invalid_input naming `week` otherwise."""
    if not text:
        return week_of(local_today(zone))
    match = WEEK_RE.match(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as err:
        raise DomainError("invalid_input", "week must be YYYY-Www",
                          {"week": ["格式应为 YYYY-Www / must be YYYY-Www"]}) from err


def _set_font(run, name: str = "宋体", size: float | None = None, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.bold = bold
    if size:
        run.font.size = Pt(size)
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), name)


def _paragraph(document, text: str, size: float = 12, bold: bool = False, font: str = "宋体", align=None):
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    _set_font(paragraph.add_run(clean(text)), font, size, bold)
    return paragraph


def _heading(document, text: str):
    return _paragraph(document, text, 14, True, "微软雅黑")


def _cell_text(value) -> str:
    return clean("" if value is None else f"{value:g}" if isinstance(value, float) else str(value))


def _table(document, headers: list[str], rows: list[list]):
    """A bordered table, its header bold; every body row is a copy of one formatted row with its texts set (a
    briefing's evidence table has hundreds of rows: formatting each run through python-docx took seconds)."""
    from copy import deepcopy

    from docx.oxml.ns import qn

    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        _set_font(cell.paragraphs[0].add_run(header), "宋体", 10.5, True)
    if not rows:
        return table
    prototype = table.add_row()
    for cell in prototype.cells:
        _set_font(cell.paragraphs[0].add_run("-"), "宋体", 10.5)  # a run with its w:t, for the copies
    template = prototype._tr
    body = template.getparent()
    body.remove(template)
    text_tag, space = qn("w:t"), qn("xml:space")
    for values in rows:
        row = deepcopy(template)
        for target, value in zip(row.iter(text_tag), values, strict=True):
            target.text = _cell_text(value)
            target.set(space, "preserve")
        body.append(row)
    return table


def _page_number_footer(section) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(paragraph.add_run("第 "), "宋体", 9)
    run = paragraph.add_run()
    _set_font(run, "宋体", 9)
    begin = run._element.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): "begin"})
    instruction = run._element.makeelement(qn("w:instrText"), {qn("xml:space"): "preserve"})
    instruction.text = " PAGE "
    end = run._element.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): "end"})
    run._element.extend([begin, instruction, end])
    _set_font(paragraph.add_run(" 页"), "宋体", 9)


def briefing_data(zone: str, monday: date) -> dict:
    """The figures of one week's briefing."""
    table = load_table(zone)
    standard = table.standard
    sunday = monday + timedelta(days=6)
    estimated, by_category = totals(table)
    snapshots = weekly_totals(standard) if standard is not None else {}
    if monday < week_of(table.today) and monday in snapshots:
        estimated = snapshots[monday]
    previous = snapshots.get(monday - timedelta(days=7))
    lower, upper = local_range_utc(monday, sunday, zone)
    evidence = []
    if standard is not None:
        evidence = db.session.execute(
            select(Evidence.title, Evidence.status, Item.number, Unit.name)
            .join(Item, Item.id == Evidence.item_id).join(Unit, Unit.id == Evidence.unit_id)
            .where(Item.standard_id == standard.id, Evidence.created_at >= lower, Evidence.created_at < upper)
            .order_by(Item.position, Evidence.created_at)).all()
    unit_name = {uid: u["name"] for uid, u in table.units.items()}
    overdue = [i for i in table.items if rules.is_overdue(i["status"], i["deadline"], table.today)]
    next_monday, next_sunday = sunday + timedelta(days=1), sunday + timedelta(days=7)
    due_next = [i for i in table.items if i["status"] != rules.DONE and i["deadline"] is not None
                and next_monday <= i["deadline"] <= next_sunday]
    rect_due_next = [r for r in table.rectifications if next_monday <= r["deadline"] <= next_sunday]
    closed = 0
    if standard is not None:
        closed = len(db.session.execute(
            select(Rectification.id).join(Item, Item.id == Rectification.item_id)
            .where(Item.standard_id == standard.id, Rectification.status != "open",
                   Rectification.closed_at >= lower, Rectification.closed_at < upper)).all())
    numbers = {i["id"]: i["number"] for i in table.items}
    return {
        "table": table, "monday": monday, "sunday": sunday, "estimated": estimated, "previous": previous,
        "by_category": by_category, "evidence": evidence, "overdue": overdue, "due_next": due_next,
        "rect_due_next": rect_due_next, "closed": closed, "unit_name": unit_name, "numbers": numbers,
    }


def briefing_document(zone: str, week: str | None) -> tuple[io.BytesIO, date]:
    """The weekly briefing to the leading group (领导小组) as a Word document."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    monday = parse_week(week, zone)
    data = briefing_data(zone, monday)
    table = data["table"]
    standard = table.standard
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    _page_number_footer(section)
    name = standard.name if standard else "创建工作"
    iso = monday.isocalendar()
    _paragraph(document, f"{name}创建工作周报", 20, True, "微软雅黑", WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, f"{iso.year}年第{iso.week}周（{monday.isoformat()} 至 {data['sunday'].isoformat()}）",
               12, False, "宋体", WD_ALIGN_PARAGRAPH.CENTER)

    _heading(document, "一、总体得分")
    target = standard.target if standard else 0.0
    estimated = data["estimated"]
    line = f"预估总分 {estimated:g} 分，目标 {target:g} 分，"
    line += f"差距 {rules.total([target, -estimated]):g} 分。" if estimated < target else "已达到目标。"
    if data["previous"] is not None:
        change = rules.total([estimated, -data["previous"]])
        line += f"较上周{'上升' if change > 0 else '下降' if change < 0 else '持平'}" + \
            (f" {abs(change):g} 分" if change else "") + f"（上周 {data['previous']:g} 分）。"
    else:
        line += "上周无记录。"
    _paragraph(document, line)

    _heading(document, "二、分项进展")
    rows = []
    for category in table.categories:
        items = [i for i in table.items if i["category_id"] == category.id]
        rows.append([category.name, category.max_points, data["by_category"].get(category.id, 0.0),
                     str(len(items)), str(sum(1 for i in items if i["status"] == rules.DONE))])
    _table(document, ["考评项目", "满分", "预估分", "事项数", "已完成"], rows)

    _heading(document, "三、本周新增佐证材料")
    if data["evidence"]:
        _table(document, ["序号", "材料", "提交单位", "状态"],
               [[e.number, e.title, e.name, EVIDENCE_LABELS.get(e.status, e.status)] for e in data["evidence"]])
    else:
        _paragraph(document, "本周无新增佐证材料。")

    _heading(document, "四、逾期事项")
    if data["overdue"]:
        _table(document, ["序号", "考评内容", "牵头单位", "完成时限", "状态"],
               [[i["number"], i["content"], data["unit_name"].get(i["lead_unit_id"], "未分配"),
                 i["deadline"].isoformat(), STATUS_LABELS.get(i["status"], i["status"])] for i in data["overdue"]])
        late_units = sorted({data["unit_name"].get(i["lead_unit_id"], "未分配") for i in data["overdue"]})
        _paragraph(document, f"逾期单位：{'、'.join(late_units)}。")
    else:
        _paragraph(document, "无逾期事项。")

    _heading(document, "五、整改情况")
    open_rects = table.rectifications
    late_rects = [r for r in open_rects if rules.is_overdue(r["status"], r["deadline"], table.today)]
    _paragraph(document, f"未完成整改 {len(open_rects)} 项（其中逾期 {len(late_rects)} 项），"
                         f"本周完成整改 {data['closed']} 项。")
    if open_rects:
        _table(document, ["序号", "整改内容", "责任单位", "整改时限"],
               [[data["numbers"].get(r["item_id"], ""), r["description"], data["unit_name"].get(r["unit_id"], ""),
                 r["deadline"].isoformat()] for r in open_rects])

    _heading(document, "六、下周到期事项")
    due = [[i["number"], i["content"], data["unit_name"].get(i["lead_unit_id"], "未分配"), i["deadline"].isoformat()]
           for i in data["due_next"]]
    due += [[data["numbers"].get(r["item_id"], ""), f"整改：{r['description']}",
             data["unit_name"].get(r["unit_id"], ""), r["deadline"].isoformat()] for r in data["rect_due_next"]]
    if due:
        _table(document, ["序号", "内容", "责任单位", "完成时限"], due)
    else:
        _paragraph(document, "下周无到期事项。")
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    return buffer, monday


# -- the evidence archive ------------------------------------------------------------------------------

EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif", "application/pdf": "pdf",
    "application/msword": "doc", "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}


def archive_plan(zone: str, store) -> list[dict]:
    """The accepted evidence of the current standard in table order, each with its path in the archive (a
    file missing from the store is listed in the index as missing, and left out)."""
    standard = current_standard()
    if standard is None:
        return []
    rows = db.session.execute(
        select(Evidence.id, Evidence.title, Evidence.sha256, Evidence.created_at, Evidence.reviewed_at,
               Item.number, Item.content, Item.position, Category.name.label("category"),
               Category.position.label("category_position"), Unit.name.label("unit"), Attachment.content_type)
        .join(Item, Item.id == Evidence.item_id).join(Category, Category.id == Item.category_id)
        .join(Unit, Unit.id == Evidence.unit_id).join(Attachment, Attachment.sha256 == Evidence.sha256)
        .where(Item.standard_id == standard.id, Evidence.status == "accepted")
        .order_by(Category.position, Category.id, Item.position, Item.number, Evidence.created_at, Evidence.id)
    ).all()
    local = ZoneInfo(zone)
    used: set[str] = set()
    plan = []
    for row in rows:
        folder = (f"{row.category_position + 1:02d} {safe_name(row.category, 40)}/"
                  f"{safe_name(row.number, 16)} {safe_name(row.content, 40)}")
        extension = EXTENSIONS.get(row.content_type, "bin")
        stem = f"{folder}/{safe_name(row.title, 80)}"
        path, counter = f"{stem}.{extension}", 2
        while path in used:
            path, counter = f"{stem}（{counter}）.{extension}", counter + 1
        used.add(path)
        day = row.created_at.replace(tzinfo=UTC).astimezone(local).date()
        plan.append({"id": row.id, "path": path, "missing": not store.exists(row.sha256), "sha256": row.sha256,
                     "category": row.category, "number": row.number, "content": row.content, "unit": row.unit,
                     "title": row.title, "date": day})
    return plan


def index_workbook(plan: list[dict], title: str) -> bytes:
    workbook, sheet = _sheet(title, "档案目录", [("序号", 6), ("考评项目", 14), ("条目", 7), ("考评内容", 36),
                                               ("提交单位", 14), ("材料名称", 28), ("文件", 48), ("日期", 12)])
    for index, entry in enumerate(plan, start=1):
        row = _row(sheet, [index, entry["category"], entry["number"], entry["content"], entry["unit"], entry["title"],
                     f"{entry['path']}（文件缺失）" if entry["missing"] else entry["path"], entry["date"]],
             centered=(1, 3, 8))
        sheet.cell(row=row, column=8).number_format = "yyyy-mm-dd"
    return _save(workbook).getvalue()


def stream_archive(plan: list[dict], index: bytes, store) -> Iterator[bytes]:
    """The ZIP, chunk by chunk: the index first, then every file read from the store in 1 MB pieces."""
    members = [Member("档案目录.xlsx", date.today(), lambda: [index])]
    members += [Member(entry["path"], entry["date"], lambda sha=entry["sha256"]: file_chunks(store.path(sha)))
                for entry in plan if not entry["missing"]]
    return stream_zip(members)


def archive(actor: Actor, zone: str, store) -> tuple[Iterator[bytes], str]:
    """(the archive's chunks, its download name); the plan is read before streaming starts."""
    standard = current_standard()
    name = standard.name if standard else "创建工作"
    plan = archive_plan(zone, store)
    index = index_workbook(plan, f"{name}档案目录")
    record_audit(actor, "creation.archive", "standard", standard.id if standard else None,
                 {"files": len(plan), "missing": sum(e["missing"] for e in plan)})
    db.session.commit()
    return stream_archive(plan, index, store), f"{name}档案.zip"


# -- the county's responsibility table, imported ---------------------------------------------------------

RESPONSIBILITY_ALIASES = {
    "number": ("序号", "编号", "条目"),
    "lead": ("牵头单位", "责任单位", "牵头部门"),
    "cooperating": ("配合单位", "协办单位", "配合部门"),
    "deadline": ("完成时限", "时限", "完成时间", "截止日期"),
}
RESPONSIBILITY_HEADERS = {alias: name for name, aliases in RESPONSIBILITY_ALIASES.items() for alias in aliases}
UNIT_SEPARATORS = re.compile(r"[、,，;；/\s]+")
DATE_FORMS = (re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"))


def _date(text: str) -> date | None:
    text = text.split("T")[0]
    for form in DATE_FORMS:
        match = form.match(text)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


def _locate_responsibility_header(rows) -> dict[int, str]:
    for number, cells in rows:
        columns: dict[int, str] = {}
        for index, cell in enumerate(cells):
            name = RESPONSIBILITY_HEADERS.get(cell_text(cell).replace(" ", ""))
            if name and name not in columns.values():
                columns[index] = name
        if "number" in columns.values() and len(columns) > 1:
            return columns
        if number >= HEADER_SEARCH_ROWS:
            break
    raise InvalidFile("找不到表头（序号、牵头单位、配合单位、完成时限） / the header row was not found",
                      {"columns": ["序号", "牵头单位", "配合单位", "完成时限"]})


def import_responsibility(actor: Actor, filename: str, content: bytes, dry_run: bool) -> dict:
    """The county's 责任分解表 onto the current standard's items by 序号: lead and cooperating units (by name)
    and deadlines; a blank cell changes nothing. Applied only when every row is valid (and not dry_run)."""
    from .access import Access
    from .items import apply_item_change
    from .units import units_by_name

    standard = current_standard()
    if standard is None:
        raise InvalidFile("尚无考评标准 / no standard yet", {"file": ["尚无考评标准 / no standard yet"]})
    table = read_table(filename, content)
    parsed: list[tuple[int, dict]] = []
    try:
        columns = _locate_responsibility_header(table)
        for number, cells in table:
            values = {name: cell_text(cells[index]) if index < len(cells) else ""
                      for index, name in columns.items()}
            if not any(values.values()) or not values["number"] and not any(
                    values.get(k) for k in ("lead", "cooperating", "deadline")):
                continue
            if len(parsed) >= MAX_STANDARD_ROWS:
                raise TooManyRows(f"每次最多导入{MAX_STANDARD_ROWS}行 / at most {MAX_STANDARD_ROWS} rows a file")
            parsed.append((number, values))
    finally:
        table.close()
    items = {i.number: i for i in db.session.execute(select(Item).where(Item.standard_id == standard.id)).scalars()}
    names = units_by_name()
    access = Access(actor)
    answers = []
    for number, values in parsed:
        errors: dict = {}
        changes: dict = {}
        item = items.get(values["number"])
        if not values["number"]:
            errors["number"] = [REQUIRED_MESSAGE]
        elif item is None:
            errors["number"] = ["考评标准中没有此序号 / no such item in the standard"]
        if values.get("lead"):
            if values["lead"] in names:
                changes["lead_unit_id"] = names[values["lead"]]
            else:
                errors["lead_unit_id"] = [f"没有此单位：{values['lead']} / unit not found"]
        if values.get("cooperating"):
            found = [u for u in UNIT_SEPARATORS.split(values["cooperating"]) if u]
            unknown = [u for u in found if u not in names]
            if unknown:
                errors["cooperating_unit_ids"] = [f"没有此单位：{'、'.join(unknown)} / unit not found"]
            else:
                changes["cooperating_unit_ids"] = [names[u] for u in found]
        if values.get("deadline"):
            deadline = _date(values["deadline"])
            if deadline is None:
                errors["deadline"] = ["日期格式应为 YYYY-MM-DD / must be a date"]
            else:
                changes["deadline"] = deadline
        if not errors and item is not None and changes:
            position = mark()
            try:
                with db.session.begin_nested():
                    apply_item_change(actor, access, item, changes)
            except DomainError as err:
                rollback_to(position)  # the row's queued change-log and audit rows go with its savepoint
                errors = err.fields or {"_schema": [err.message]}
        answers.append(_answer(number, errors))
    valid = sum(1 for a in answers if a["ok"])
    applied = not dry_run and valid == len(answers) and bool(answers)
    if applied:
        record_audit(actor, "creation_item.import", "standard", standard.id,
                     {"filename": (filename or "")[:200], "rows": len(answers)})
        db.session.commit()
    else:
        db.session.rollback()
    return {"dry_run": dry_run, "valid": valid, "invalid": len(answers) - valid, "applied": applied,
            "rows": answers}
