"""Roster import: read recipients from .xlsx/.csv, turn rows into sync mutations, plan or push them.

This module reads cells (labels → codes, village names → ids, duplicate ID numbers within the file) and
decides each row's action; the record rules are the sync planner's (`sync.plan_batch`), so a dry run plans
the mutations without writing and answers exactly what the import would do. Writes go through `sync.push`
in batches of 200 (each batch commits): phones receive imported recipients on their next pull, and the
change log and audit log are never bypassed. A batch that fails leaves the earlier ones committed; the
import is idempotent, so sending the same file again finishes the job.
"""

import codecs
import csv
import hashlib
import io
import re
import uuid
import warnings
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import bindparam, select

from ..domain import recipients as recipient_rules
from ..extensions import db
from ..field_codes import field_codes
from ..models import Area, Recipient
from . import labels, sync
from .actors import Actor
from .changes import record_audit
from .errors import InvalidFile, TooLarge, TooManyRows, UnsupportedFileType
from .spreadsheets import append_text_row

# A workbook is XML: with defusedxml installed (a dependency), openpyxl parses the sheets and shared strings
# with it, so a DTD's entities (billion laughs, external entities) are refused instead of expanded or fetched;
# its other parts go to lxml when that is installed (without resolving entities). Never without defusedxml.
if not openpyxl.DEFUSEDXML:
    raise ImportError("openpyxl must parse workbooks with defusedxml: install it, and leave "
                      "OPENPYXL_DEFUSEDXML unset")

# (field, header) in template order; a field is the Recipient column it fills.
COLUMNS = (
    ("name", "姓名"),
    ("gender", "性别"),
    ("id_number", "身份证号"),
    ("phone", "联系电话"),
    ("category", "类别"),
    ("area_id", "所在村(社区)"),
    ("address", "家庭住址"),
    ("notes", "备注"),
)
HEADER_ALIASES = {
    "name": ("姓名", "name", "优抚对象姓名"),
    "gender": ("性别", "gender"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证", "id_number"),
    "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "phone"),
    "category": ("类别", "优抚类别", "人员类别", "对象类别", "category"),
    "area_id": ("所在村(社区)", "所在村", "村(社区)", "村(社区)代码", "所在社区", "村", "village", "area",
                "village_code"),
    "address": ("家庭住址", "住址", "地址", "address"),
    "notes": ("备注", "notes"),
}
REQUIRED = ("name", "id_number", "category", "area_id")
# Updated only when the file has a value: a blank cell never erases what staff recorded on a visit.
OPTIONAL_FIELDS = ("gender", "phone", "address", "notes")
MAX_ROWS = 50_000
# Rows read at most, blank ones included (the reader stops there): a sheet's row numbers can jump to
# 1,048,576, and the rows between are read as blank ones.
MAX_SHEET_ROWS = 2 * MAX_ROWS
# A 20,000-row sheet unpacks to about 10 MB, and its parts compress about 5 to 10 times; far more is a zip
# bomb (190 MiB of empty rows in a 292 KB file took a worker 30 s), refused by the sizes the archive
# declares before anything is unpacked (zipfile checks the real sizes against them while reading).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_RATIO = 100  # of a part over RATIO_FROM bytes
RATIO_FROM = 1024 * 1024
MAX_PARTS = 1000
# No workbook part has a DTD (Excel, WPS and openpyxl write none): one declared in a part's first bytes (the
# prolog, before the root element) refuses the file whichever XML parser would read that part.
PROLOG_BYTES = 64 * 1024
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
HEADER_SEARCH_ROWS = 10
BATCH_SIZE = 200
IMPORT_DEVICE_ID = "roster-import"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

REQUIRED_MESSAGE = "必填 / required"
NOT_A_WORKBOOK = "文件不是有效的Excel工作簿 / not a valid .xlsx workbook"
TOO_MUCH_DATA = "工作簿解压后过大 / the workbook unpacks to too much data"
ENTITIES = "文件含有不允许的XML实体 / XML entities are not allowed"


def _header_key(text: str) -> str:
    return labels.normalise(text).replace(" ", "")


HEADERS = {_header_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


@dataclass
class Row:
    """One data row of the file: its sheet row number, the values read, and what checking found."""

    number: int
    values: dict | None
    errors: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    existing: dict | None = None
    action: str | None = None  # created / updated / unchanged / skipped
    patch: dict | None = None
    warnings: list[dict] = field(default_factory=list)
    numeric_id: str | None = None  # the ID cell as Excel shows a number (3.30106194503121E+17), if it was one

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def warn(self, code: str, **details) -> None:
        self.warnings.append({"code": code, **details})

    def answer(self) -> dict:
        if self.errors:
            body = {"row": self.number, "ok": False, "errors": self.errors, "error_codes": field_codes(self.errors)}
        else:
            body = {"row": self.number, "ok": True, "action": self.action}
        if self.warnings:
            body["warnings"] = self.warnings
        return body


# -- reading the file ----------------------------------------------------------------------------------


# Line breaks (Alt+Enter in Excel), tabs and other control characters in a cell: the record fields take
# none of them on one line (server/schemas/common.py), so a run of them reads as one space.
_CONTROL_RUN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]+")


def cell_text(value) -> str:
    """A cell as trimmed one-line text: 13812345678.0 → '13812345678', None → '', 'a\nb' → 'a b'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return _CONTROL_RUN.sub(" ", str(value)).strip()


def read_table(filename: str, content: bytes) -> Iterator[tuple[int, list]]:
    """Yield (sheet row number, cells) of the first sheet of an .xlsx, or of a .csv."""
    name = (filename or "").lower()
    if content[:4] == b"PK\x03\x04":
        return _xlsx_rows(content)
    if content[:8] == bytes.fromhex("d0cf11e0a1b11ae1") or name.endswith(".xls"):
        raise UnsupportedFileType("请另存为 .xlsx 或 .csv 后上传 / save as .xlsx or .csv")
    if name.endswith((".xlsx", ".xlsm")):
        raise InvalidFile(NOT_A_WORKBOOK, {"file": [NOT_A_WORKBOOK]})
    return _csv_rows(content)


def _too_many_rows() -> TooManyRows:
    message = f"每次最多导入{MAX_ROWS}行 / at most {MAX_ROWS} rows a file"
    return TooManyRows(message, {"file": [message]})


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb by what its directory declares, before anything is unpacked: too many parts, too
    much data in all, or a large part compressed far beyond what a roster's XML compresses. Then refuse a
    part that declares a DTD (entities), reading only its first bytes."""
    parts = archive.infolist()
    if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES or any(
            p.file_size > RATIO_FROM and p.file_size > MAX_RATIO * max(p.compress_size, 1) for p in parts):
        raise TooLarge(TOO_MUCH_DATA, {"file": [TOO_MUCH_DATA]})
    for part in parts:
        with archive.open(part) as stream:
            if _DTD.search(stream.read(PROLOG_BYTES)):
                raise InvalidFile(ENTITIES, {"file": [ENTITIES]})


def _unreadable(err: Exception) -> InvalidFile:
    """What a workbook that does not parse is answered: its XML's entities refused, or not a workbook."""
    cause, causes = err, []
    while cause is not None and len(causes) < 10:  # openpyxl re-raises a part's error as its own ValueError
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    message = ENTITIES if any(isinstance(c, DefusedXmlException) for c in causes) else NOT_A_WORKBOOK
    return InvalidFile(message, {"file": [message]})


# What reading a broken or hostile workbook raises: the archive (zipfile, zlib, a truncated part), the XML
# (expat's ParseError and lxml's XMLSyntaxError are SyntaxErrors; defusedxml's refusals are ValueErrors),
# openpyxl on parts it cannot make sense of (KeyError, TypeError, ValueError, IndexError).
UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, SyntaxError, KeyError, ValueError, TypeError,
              IndexError, AttributeError)


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            check_archive(archive)
        with warnings.catch_warnings():
            # WPS and Excel workbooks carry extensions openpyxl skips (with a warning); the cells are fine.
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except UNREADABLE as err:
        raise _unreadable(err) from err

    def rows():
        try:
            sheet = workbook.worksheets[0]
            # Some writers record a wrong <dimension>; read every row the sheet really has, up to the limit
            # (openpyxl stops parsing there: a row past it is only looked at).
            sheet.reset_dimensions()
            numbered = enumerate(sheet.iter_rows(max_row=MAX_SHEET_ROWS + 1, values_only=True), start=1)
            for number, cells in numbered:
                if number > MAX_SHEET_ROWS:
                    raise _too_many_rows()
                yield number, list(cells)
        except UNREADABLE as err:
            raise _unreadable(err) from err
        finally:
            workbook.close()

    return rows()


def decode_csv(content: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (what Chinese Excel saves as 'CSV')."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as err:
        raise InvalidFile("无法识别文件编码，请保存为UTF-8 CSV或.xlsx / "
                          "unknown text encoding; save as UTF-8 CSV or .xlsx") from err


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
    text = decode_csv(content)
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" export is tab-separated; everything else here is comma-separated.
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # A record is one spreadsheet row even when a quoted cell spans lines: number records, not lines.
        for number, cells in enumerate(reader, start=1):
            if number > MAX_SHEET_ROWS:
                raise _too_many_rows()
            yield number, cells
    except csv.Error as err:
        raise InvalidFile(f"CSV格式错误 / malformed CSV: {err}") from err


def locate_header(rows: Iterator[tuple[int, list]]) -> dict[int, str]:
    """Find the header row among the first rows (a title row may sit above it): column index → field."""
    for number, cells in rows:
        columns = {}
        for index, cell in enumerate(cells):
            name = HEADERS.get(_header_key(cell_text(cell)))
            if name and name not in columns.values():
                columns[index] = name
        if "name" in columns.values() and "id_number" in columns.values():
            found = set(columns.values())
            missing = [header for name, header in COLUMNS if name in REQUIRED and name not in found]
            if missing:
                raise InvalidFile("缺少必需的列 / required columns are missing",
                                  {"columns": missing})
            return columns
        if number >= HEADER_SEARCH_ROWS:
            break
    raise InvalidFile("未找到表头行（姓名、身份证号…），请使用导入模板 / "
                      "no header row found; use the import template",
                      {"columns": [header for name, header in COLUMNS if name in REQUIRED]})


# -- checking rows -------------------------------------------------------------------------------------


class VillageIndex:
    """The villages in the actor's scope, found by code or by (unique) name."""

    def __init__(self, actor: Actor):
        query = select(Area.id, Area.code, Area.name, Area.parent_id).where(Area.level == "village")
        if not actor.sees_all:
            query = query.where(Area.path.startswith(actor.area_path, autoescape=True))
        self.villages = db.session.execute(query.order_by(Area.code)).all()
        parent_ids = {v.parent_id for v in self.villages if v.parent_id is not None}
        self.parents = dict(db.session.execute(
            select(Area.id, Area.name).where(Area.id.in_(parent_ids))).all()) if parent_ids else {}
        self.by_code = {labels.normalise(v.code): v for v in self.villages}
        self.by_name: dict[str, list] = defaultdict(list)
        for village in self.villages:
            self.by_name[labels.normalise(village.name)].append(village)

    def resolve(self, value: str) -> tuple[int | None, str | None]:
        """(area id, None) or (None, why not)."""
        key = labels.normalise(value)
        village = self.by_code.get(key)
        if village is not None:
            return village.id, None
        found = self.by_name.get(key, [])
        if len(found) == 1:
            return found[0].id, None
        if found:
            options = "、".join(f"{v.code}（{self.parents.get(v.parent_id, '')}{v.name}）" for v in found)
            return None, f"辖区内有多个同名村(社区)，请改填村代码：{options} / not unique: give the code"
        return None, f"未找到该村(社区)或不在您的辖区：{value} / unknown village or outside your area"


def normalise_id_number(value: str) -> str:
    return labels.normalise(value).upper().replace(" ", "").lstrip("'")


# What Excel shows of a long number in a "General" cell, and what it writes to a CSV: 3.30106194503121E+17.
_SCIENTIFIC = re.compile(r"^[0-9](?:[.,][0-9]+)?E\+?[0-9]{1,2}$", re.IGNORECASE)


def id_stored_as_number(raw) -> str | None:
    """The ID cell as Excel shows it when it holds a number rather than text (an .xlsx numeric cell, or a CSV
    cell in scientific notation), else None. Excel keeps 15 significant digits: the rest are gone for good."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        mantissa, exponent = f"{float(raw):.14E}".split("E")
        return f"{mantissa.rstrip('0').rstrip('.')}E+{int(exponent):02d}"
    if isinstance(raw, str) and _SCIENTIFIC.match(raw.strip()):
        return raw.strip()
    return None


def id_number_not_text_message(shown: str) -> str:
    return (f"身份证号被存成了数字（{shown}），后几位已丢失：请把“身份证号”列设置为“文本”格式，再重新录入完整号码"
            f" / the ID number was stored as a number ({shown}) and lost its last digits: format the column as "
            "text and enter the numbers again")


def check_row(row: Row, villages: VillageIndex) -> None:
    """Validate one row's values into `row.data` (the recipient fields) or `row.errors`."""
    values, data = row.values, row.data
    for name in REQUIRED:
        if not values.get(name):
            row.error(name, REQUIRED_MESSAGE)
    for name, messages in recipient_rules.length_errors(values).items():
        if name != "id_number":  # its own checks below say more
            row.errors.setdefault(name, []).extend(messages)
    if values.get("name"):
        data["name"] = values["name"]
    if values.get("gender"):
        data["gender"] = labels.gender_code(values["gender"])
        if data["gender"] is None:
            row.error("gender", "性别应填 男 或 女 / must be 男 or 女 (male / female)")
    if row.numeric_id:
        row.error("id_number", id_number_not_text_message(row.numeric_id))
    elif values.get("id_number"):
        id_number = normalise_id_number(values["id_number"])
        errors = (["请填写完整的身份证号 / the full number, not a masked one"] if recipient_rules.is_masked(id_number)
                  else recipient_rules.id_number_errors(id_number))
        for message in errors:
            row.error("id_number", message)
        data["id_number"] = id_number
    if values.get("category"):
        data["category"] = labels.recipient_category_code(values["category"])
        if data["category"] is None:
            row.error("category", f"未知类别：{values['category']}（请按代码表填写）/ unknown category")
    if values.get("area_id"):
        data["area_id"], message = villages.resolve(values["area_id"])
        if message:
            row.error("area_id", message)
    for name in ("phone", "address", "notes"):
        if values.get(name):
            data[name] = values[name]
    if data.get("phone") and not recipient_rules.phone_ok(data["phone"]):
        row.warn("phone_format", field="phone")
    if (data.get("gender") and data.get("id_number") and "id_number" not in row.errors
            and recipient_rules.gender_mismatch(data["gender"], data["id_number"])):
        row.warn("gender_mismatch", field="gender",
                 id_number_gender=recipient_rules.gender_from_id_number(data["id_number"]))


def check_duplicates(rows: list[Row]) -> None:
    """An ID number twice in one file: none of its rows is imported (which one is right is not ours)."""
    seen: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row.data.get("id_number") and "id_number" not in row.errors:
            seen[row.data["id_number"]].append(row)
    for group in seen.values():
        if len(group) > 1:
            numbers = "、".join(str(r.number) for r in group)
            for row in group:
                row.error("id_number", f"文件中第{numbers}行身份证号重复 / same ID number in rows {numbers}")


COMPARED = ("name", "gender", "phone", "address", "area_id", "category", "notes")


def load_existing(actor: Actor, id_numbers: list[str]) -> dict[str, dict]:
    """The recipient the actor may see under each of these ID numbers (the unshared holder first).

    Holders outside the actor's scope are left out: a row with their number is created (and flagged for the
    office by the sync planner), answered exactly as a row with a number nobody holds.
    """
    found = {}
    columns = [getattr(Recipient, c) for c in ("id", "id_number", "version", "id_number_shared", *COMPARED)]
    for start in range(0, len(id_numbers), 500):
        # Literal values (checked ID numbers: digits and X): a statement psycopg auto-prepares gets
        # PostgreSQL's generic plan, which scans the whole table per chunk when its statistics are stale
        # (right after a large import): 0.5 s a chunk instead of 10 ms.
        chunk = bindparam("id_numbers", id_numbers[start:start + 500], expanding=True, literal_execute=True)
        rows = db.session.execute(
            select(*columns, Area.path).join(Area, Area.id == Recipient.area_id)
            .where(Recipient.id_number.in_(chunk))
            .order_by(Recipient.id_number_shared, Recipient.created_at, Recipient.id)
        ).mappings()
        for row in rows:
            if actor.sees_all or row["path"].startswith(actor.area_path):
                found.setdefault(row["id_number"], dict(row))
    return found


def plan_rows(actor: Actor, rows: list[Row]) -> None:
    """Decide each valid row's action: create, update with only the changed fields, or nothing."""
    valid = [r for r in rows if not r.errors]
    existing = load_existing(actor, [r.data["id_number"] for r in valid])
    for row in valid:
        data = row.data
        current = existing.get(data["id_number"])
        if current is None:
            data.setdefault("gender", recipient_rules.gender_from_id_number(data["id_number"]))
            row.action = "created"
            continue
        if "gender" not in data and current["gender"] is None:
            data["gender"] = recipient_rules.gender_from_id_number(data["id_number"])
        row.existing = current
        row.patch = {k: v for k, v in data.items() if k in COMPARED and v != current[k]}
        row.action = "updated" if row.patch else "unchanged"


MAX_DUPLICATE_WARNINGS = 5


def _duplicate_rule(birth: str | None, area_id, address, other) -> str | None:
    """Why `other` (same name) may be the person of a row: the birth date, or the village and address."""
    if birth and recipient_rules.birth_date_key(other["id_number"]) == birth:
        return "name_birth_date"
    if area_id is not None and other["area_id"] == area_id and recipient_rules.similar_address(address,
                                                                                                other["address"]):
        return "name_village_address"
    return None


def find_possible_duplicates(actor: Actor, rows: list[Row]) -> None:
    """Warn of rows that may be a person already on the roster (or in another row) under another ID number:
    the same name and birth date, or the same name in the same village with a similar address.

    Only recipients in the actor's scope are compared: whether someone outside it holds a name or a number is
    never told (the ID number's own holder outside the scope is not observable either: load_existing).
    """
    rows = [r for r in rows if not r.errors and r.data.get("name")]
    names = sorted({r.data["name"] for r in rows})
    known: dict[str, list[dict]] = defaultdict(list)
    for start in range(0, len(names), 500):
        chunk = bindparam("names", names[start:start + 500], expanding=True)
        query = (select(Recipient.id, Recipient.name, Recipient.id_number, Recipient.area_id, Recipient.address,
                        Area.name.label("village_name"))
                 .join(Area, Area.id == Recipient.area_id).where(Recipient.name.in_(chunk)))
        if not actor.sees_all:
            query = query.where(Area.path.startswith(actor.area_path, autoescape=True))
        for other in db.session.execute(query.order_by(Recipient.created_at, Recipient.id)).mappings():
            known[other["name"]].append(dict(other))
    by_name: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        data = row.data
        own = row.existing["id"] if row.existing else None
        address = data.get("address") or (row.existing or {}).get("address")
        birth = recipient_rules.birth_date_key(data.get("id_number"))
        found = 0
        for other in known.get(data["name"], ()):
            if other["id"] == own or other["id_number"] == data.get("id_number") or found >= MAX_DUPLICATE_WARNINGS:
                continue
            rule = _duplicate_rule(birth, data.get("area_id"), address, other)
            if rule:
                found += 1
                row.warn("possible_duplicate", recipient_id=other["id"], rule=rule, name=other["name"],
                         id_number=recipient_rules.mask_id_number(other["id_number"]),
                         village_name=other["village_name"])
        by_name[data["name"]].append(row)
    # Two rows of the file under two numbers: each points at the other by its row number.
    for group in by_name.values():
        for index, row in enumerate(group):
            for other in group[index + 1:]:
                if other.data.get("id_number") == row.data.get("id_number"):
                    continue
                view = {"id_number": other.data.get("id_number"), "area_id": other.data.get("area_id"),
                        "address": other.data.get("address")}
                rule = _duplicate_rule(recipient_rules.birth_date_key(row.data.get("id_number")),
                                       row.data.get("area_id"), row.data.get("address"), view)
                if rule:
                    row.warn("possible_duplicate", row=other.number, rule=rule, name=other.data["name"])
                    other.warn("possible_duplicate", row=row.number, rule=rule, name=row.data["name"])


def _mutation(row: Row) -> dict:
    if row.action == "created":
        data = {"id": str(uuid.uuid4()), "name": row.data["name"], "gender": row.data.get("gender"),
                "id_number": row.data["id_number"], "phone": row.data.get("phone"),
                "address": row.data.get("address"), "area_id": row.data["area_id"],
                "category": row.data["category"], "tags": [], "notes": row.data.get("notes")}
        return {"id": str(uuid.uuid4()), "op": "recipient.create", "data": data, "base_version": None}
    return {"id": str(uuid.uuid4()), "op": "recipient.update", "base_version": row.existing["version"],
            "data": {"id": row.existing["id"], **row.patch}}


def _apply(actor: Actor, rows: list[Row], dry_run: bool) -> None:
    """Plan (dry run) or push the rows' mutations in batches; a mutation refused becomes that row's error.

    A dry run plans every batch with one planner, which sees what the earlier batches would have written.
    """
    pending = [r for r in rows if not r.errors and r.action in ("created", "updated")]
    importer = replace(actor, device_id=IMPORT_DEVICE_ID)
    planner = None
    for start in range(0, len(pending), BATCH_SIZE):
        batch = pending[start:start + BATCH_SIZE]
        mutations = [_mutation(r) for r in batch]
        if dry_run:
            planner, results = sync.plan_batch(importer, mutations, planner)
        else:
            results = sync.push(importer, mutations)["results"]
        for row, result in zip(batch, results, strict=True):
            if result["status"] == "applied":
                continue
            if result["status"] == "conflict":
                row.error("_row", "该记录刚被他人修改，请重新导入 / changed meanwhile; import again")
            else:
                error = result.get("error") or {}
                fields = error.get("fields") or {"_row": [error.get("message", "rejected")]}
                for name, messages in fields.items():
                    for message in messages if isinstance(messages, list) else [str(messages)]:
                        row.error(name, message)


def check_file(actor: Actor, filename: str, content: bytes, keep_values: bool = False) -> list[Row]:
    """Read and check every row of a roster file, find the warnings and plan each row's action."""
    table = read_table(filename, content)
    try:
        columns = locate_header(table)
        id_column = next(index for index, name in columns.items() if name == "id_number")
        villages = VillageIndex(actor)
        # End the read transaction before seconds of parsing: on SQLite every transaction takes the write
        # lock at BEGIN (database.py), and phones syncing meanwhile would wait for it.
        db.session.commit()
        rows: list[Row] = []
        for number, cells in table:
            values = {name: cell_text(cells[index]) if index < len(cells) else ""
                      for index, name in columns.items()}
            if not any(values.values()):
                continue
            if len(rows) >= MAX_ROWS:
                raise _too_many_rows()
            row = Row(number, values)
            row.numeric_id = id_stored_as_number(cells[id_column]) if id_column < len(cells) else None
            check_row(row, villages)
            if not keep_values:
                row.values = None  # checked into row.data; 20,000 rows need not keep both
            rows.append(row)
    finally:
        table.close()
    check_duplicates(rows)
    plan_rows(actor, rows)
    find_possible_duplicates(actor, rows)
    return rows


def import_recipients(actor: Actor, filename: str, content: bytes, dry_run: bool,
                      skip_rows: frozenset[int] = frozenset()) -> dict:
    """Check a roster file and (unless dry_run) import its valid rows but `skip_rows` (sheet row numbers the
    office chose to leave out after the dry run's warnings); answer every row and the counts."""
    rows = check_file(actor, filename, content)
    for row in rows:
        if row.number in skip_rows and not row.errors:
            row.action = "skipped"
    _apply(actor, rows, dry_run)
    ok = [r for r in rows if not r.errors]
    summary = {
        "dry_run": dry_run,
        "valid": len(ok),
        "invalid": len(rows) - len(ok),
        "created": sum(r.action == "created" for r in ok),
        "updated": sum(r.action == "updated" for r in ok),
        "unchanged": sum(r.action == "unchanged" for r in ok),
        "skipped": sum(r.action == "skipped" for r in ok),
        "warned": sum(bool(r.warnings) for r in rows),
    }
    record_audit(actor, "recipient.import", details={
        **summary, "filename": (filename or "")[:200], "sha256": hashlib.sha256(content).hexdigest(),
        "rows": len(rows)})
    db.session.commit()
    return {**summary, "rows": [r.answer() for r in rows]}


# -- the dry run's problems as a workbook ---------------------------------------------------------------

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")  # Excel's "bad" red
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")  # Excel's "neutral" yellow
ROW_HEADER = "原行号"
WARNING_FIELDS = {"phone_format": "phone", "gender_mismatch": "gender", "possible_duplicate": "name"}
GENDER_TEXT = {"male": "男", "female": "女"}


def _chinese(message: str) -> str:
    """The Chinese half of a "中文 / English" message."""
    return message.split(" / ", 1)[0]


def warning_text(warning: dict) -> str:
    """A warning as the office reads it in a cell comment."""
    code = warning["code"]
    if code == "phone_format":
        return "联系电话格式可疑：应为11位手机号，或区号加座机号（如0571-87654321）"
    if code == "gender_mismatch":
        return f"性别与身份证号不符：按身份证号应为{GENDER_TEXT.get(warning.get('id_number_gender'), '')}"
    why = "姓名和出生日期相同" if warning.get("rule") == "name_birth_date" else "姓名相同、同村且住址相近"
    if "row" in warning:
        return f"可能与本表第{warning['row']}行为同一人（{why}）"
    return (f"可能与已登记的{warning.get('name', '')}（{warning.get('village_name', '')}，"
            f"{warning.get('id_number', '')}）为同一人（{why}）")


def build_problem_workbook(actor: Actor, filename: str, content: bytes) -> io.BytesIO:
    """The dry run's rows with errors or warnings, as read, in the template's columns: each bad cell filled
    red (an error) or yellow (a warning) with the reason in its comment; the sheet row number first. Fixed,
    the sheet imports like the template (the extra first column is not one of the template's)."""
    from openpyxl.comments import Comment

    rows = check_file(actor, filename, content, keep_values=True)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "需核对的行"
    sheet.append([ROW_HEADER, *(header for _, header in COLUMNS)])
    _style_header(sheet, len(COLUMNS) + 1)
    column_of = {name: index for index, (name, _) in enumerate(COLUMNS, start=2)}
    for index, (name, _) in enumerate(COLUMNS, start=2):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = TEMPLATE_WIDTHS[name]
    for row in rows:
        if not row.errors and not row.warnings:
            continue
        values = dict(row.values or {})
        if row.numeric_id:
            values["id_number"] = row.numeric_id
        append_text_row(sheet, [row.number, *(values.get(name, "") for name, _ in COLUMNS)])
        line = sheet.max_row
        for index in range(2, len(COLUMNS) + 2):
            sheet.cell(row=line, column=index).number_format = "@"  # re-entered ID numbers stay text
        notes: dict[int, tuple[list[str], bool]] = defaultdict(lambda: ([], False))
        for name, messages in row.errors.items():
            column = column_of.get(name, 1)
            notes[column] = (notes[column][0] + [_chinese(m) for m in messages], True)
        for warning in row.warnings:
            column = column_of[WARNING_FIELDS[warning["code"]]]
            notes[column] = (notes[column][0] + [warning_text(warning)], notes[column][1])
        for column, (texts, is_error) in notes.items():
            cell = sheet.cell(row=line, column=column)
            cell.fill = ERROR_FILL if is_error else WARNING_FILL
            cell.comment = Comment("\n".join(texts), "走访通", width=320, height=120)
    legend = workbook.create_sheet("说明")
    for text in ("红色单元格：错误，改正后才能导入；黄色单元格：提醒，请核对后决定是否导入。",
                 "将鼠标移到单元格上可查看原因（批注）。第一列为原文件中的行号。",
                 "改好后可直接上传本表重新检查。"):
        legend.append([text])
    legend.column_dimensions["A"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


# -- the template --------------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TEMPLATE_WIDTHS = {"name": 12, "gender": 8, "id_number": 22, "phone": 16, "category": 20, "area_id": 22,
                   "address": 36, "notes": 24}
TEMPLATE_ROWS = 20_000
INSTRUCTIONS = (
    "填写说明",
    "1. 第一行为表头，请勿修改；从第二行起每行填写一位优抚对象。",
    "2. 必填：姓名、身份证号、类别、所在村(社区)。性别可不填，按身份证号自动识别。",
    "3. 身份证号须为18位且校验位正确；同一文件中不能重复。",
    "4. 类别可填中文名称或代码，见“代码表”。",
    "5. 所在村(社区)可填名称或村代码，见“代码表”；辖区内有同名村时请填村代码。",
    "6. 身份证号已登记的对象将按本表更新（空白单元格不覆盖原有信息）；重复导入同一文件不会产生变化。",
    "7. 建议先“检查”（试导入）再正式导入。支持 .xlsx 和 .csv（UTF-8 或 GB18030 编码）。",
)


def _style_header(sheet, width: int) -> None:
    for cell in sheet[1][:width]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.freeze_panes = "A2"


def build_template(actor: Actor) -> io.BytesIO:
    """The import template: the header row, a code sheet (categories, villages in scope) and instructions."""
    villages = VillageIndex(actor)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "优抚对象"
    sheet.append([header for _, header in COLUMNS])
    _style_header(sheet, len(COLUMNS))
    for index, (name, _) in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = TEMPLATE_WIDTHS[name]
        if name in ("id_number", "phone"):
            # Text, or Excel turns an ID number into 3.30102E+17 and loses its last digits.
            sheet.column_dimensions[letter].number_format = "@"

    codes = workbook.create_sheet("代码表")
    codes.append(["类别", "类别代码", "", "所在村(社区)", "村代码", "所属乡镇(街道)"])
    category_rows = list(labels.RECIPIENT_CATEGORIES.items())
    village_rows = sorted(villages.villages, key=lambda v: (villages.parents.get(v.parent_id, ""), v.code))
    for index in range(max(len(category_rows), len(village_rows))):
        line = ["", "", ""]
        if index < len(category_rows):
            code, text = category_rows[index]
            line[:2] = [text, code]
        if index < len(village_rows):
            village = village_rows[index]
            line += [village.name, village.code, villages.parents.get(village.parent_id, "")]
        append_text_row(codes, line)  # names from the database: made safe for the workbook
    _style_header(codes, 6)
    for letter, width in zip("ABCDEF", (20, 22, 4, 22, 14, 18), strict=True):
        codes.column_dimensions[letter].width = width
    codes.column_dimensions["E"].number_format = "@"

    last = TEMPLATE_ROWS + 1
    gender = DataValidation(type="list", formula1='"男,女"', allow_blank=True, showErrorMessage=True,
                            errorTitle="性别", error="请选择 男 或 女")
    gender.add(f"B2:B{last}")
    category = DataValidation(type="list", formula1=f"'代码表'!$A$2:$A${len(category_rows) + 1}",
                              allow_blank=True, showErrorMessage=False)
    category.add(f"E2:E{last}")
    sheet.add_data_validation(gender)
    sheet.add_data_validation(category)
    if village_rows:
        # A suggestion list only: a village code (needed when two villages share a name) must stay allowed.
        village = DataValidation(type="list", formula1=f"'代码表'!$D$2:$D${len(village_rows) + 1}",
                                 allow_blank=True, showErrorMessage=False)
        village.add(f"F2:F{last}")
        sheet.add_data_validation(village)

    notes = workbook.create_sheet("填写说明")
    for line in INSTRUCTIONS:
        notes.append([line])
    notes["A1"].font = Font(bold=True, size=14)
    notes.column_dimensions["A"].width = 100

    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer
