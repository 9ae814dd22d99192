"""Hostile input (issue 12, findings 3, 5 and 10): control characters, hostile workbooks, out-of-range values,
deep JSON, odd paths and forged log lines each answer a clean 4xx in the error envelope, never a 500.

Each test reproduces what the audit sent; tests/system/test_schemathesis.py generates the rest.
"""

import io
import json
import logging
import re
import time
import zipfile
from datetime import timedelta

import pytest
from flask import request
from openpyxl import load_workbook
from sqlalchemy import select, update

from server.extensions import db
from server.models import Area, Difficulty, Recipient, Visit
from server.models.base import utcnow
from server.services import imports
from server.services.reports import local_today
from tests.api.test_import import HEADER, good_row, upload, xlsx
from tests.conftest import difficulty_data, mutation, new_id, repo_root, visit_data

INT64 = 2**63 - 1
HUGE = 10**30


def assert_envelope(response, status: int | tuple = (400, 404, 422), code: str | None = None):
    statuses = (status,) if isinstance(status, int) else status
    body = response.get_data(as_text=True)
    assert response.status_code in statuses, (response.status_code, body[:300])
    assert response.mimetype == "application/json", body[:300]
    error = response.json["error"]
    assert error["code"] and error["message"] and "Traceback" not in body
    if code is not None:
        assert error["code"] == code, error
    return error


# -- finding 3: a control character in a visit or difficulty broke the weekly report ------------------


@pytest.mark.parametrize("fields, field", [
    ({"notes": "身体\u000b状况良好"}, "notes"),
    ({"occasion": "春节\u0001慰问"}, "occasion"),
    ({"participants": "李晓红\n王五"}, "participants"),  # a one-line field takes no line break
    ({"gifts": "米\u0000油"}, "gifts"),
    ({"notes": "a\u007fb"}, "notes"),
    ({"notes": "a\u0085b"}, "notes"),  # C1 controls too (NEL splits log lines in some viewers)
])
def test_push_refuses_a_visit_with_a_control_character(staff, own_recipient, fields, field):
    [result] = staff.push(mutation("visit.create", visit_data(own_recipient["id"], **fields)))
    assert result["status"] == "rejected", result
    assert result["error"]["field_codes"] == {field: ["control_characters"]}


def test_push_keeps_line_breaks_and_tabs_in_multi_line_text(staff, own_recipient):
    visit = visit_data(own_recipient["id"], notes="第一行\n第二行\t缩进")
    difficulty = difficulty_data(own_recipient["id"], description="漏雨\n需维修")
    results = staff.push(mutation("visit.create", visit), mutation("difficulty.create", difficulty))
    assert [r["status"] for r in results] == ["applied", "applied"], results
    assert db.session.get(Visit, visit["id"]).notes == "第一行\n第二行\t缩进"


@pytest.mark.parametrize("op, make, field", [
    ("difficulty.create", lambda r: difficulty_data(r, description="看病\u0001难"), "description"),
    ("followup.create", lambda r: {"id": new_id(), "difficulty_id": new_id(), "at": "2026-11-28T01:00:00Z",
                                   "note": "已\u000b联系"}, "note"),
    ("recipient.create", lambda r: {"id": new_id(), "name": "张\u0007三", "area_id": 1, "category": "veteran"},
     "name"),
    ("recipient.create", lambda r: {"id": new_id(), "name": "张三", "area_id": 1, "category": "veteran",
                                    "tags": ["重点\u001b"]}, "tags"),
])
def test_push_refuses_other_records_with_a_control_character(staff, own_recipient, op, make, field):
    [result] = staff.push(mutation(op, make(own_recipient["id"])))
    assert result["status"] == "rejected", result
    assert field in result["error"]["field_codes"]
    codes = result["error"]["field_codes"][field]
    assert codes == ["control_characters"] or codes == {"0": ["control_characters"]} \
        or codes == {0: ["control_characters"]}, codes


def test_office_endpoints_refuse_control_characters(reviewer, own_recipient, staff):
    visit = visit_data(own_recipient["id"])
    staff.push(mutation("visit.create", visit))
    response = reviewer.post(f"/api/visits/{visit['id']}/review",
                             json={"decision": "return", "comment": "请补\u0001照片"})
    assert assert_envelope(response, 422)["field_codes"] == {"comment": ["control_characters"]}
    response = reviewer.post("/api/campaigns", json={"name": "春节\u000b走访", "starts_on": "2026-01-01",
                                                     "ends_on": "2026-02-01"})
    assert assert_envelope(response, 422)["field_codes"] == {"name": ["control_characters"]}
    response = reviewer.get("/api/visits?q=%00")
    assert assert_envelope(response, 422)["field_codes"] == {"q": ["control_characters"]}


def control_rows(staff, own_recipient) -> tuple[str, str]:
    """A visit and a difficulty from this week, then control characters written straight into their rows
    (data from before the schema refused them, or from another path)."""
    visit = visit_data(own_recipient["id"], visited_at=utcnow().isoformat() + "Z")
    difficulty = difficulty_data(own_recipient["id"])
    results = staff.push(mutation("visit.create", visit), mutation("difficulty.create", difficulty))
    assert {r["status"] for r in results} == {"applied"}
    db.session.execute(update(Visit).where(Visit.id == visit["id"]).values(
        occasion="春节\u000b慰问", gifts="米\u0001油", review_comment="\u001b[31m退回", notes="x\u0002"))
    db.session.execute(update(Difficulty).where(Difficulty.id == difficulty["id"]).values(
        description="看病\u0001难\u000b", responsible_unit="民政\u0008办",
        due_date=local_today("Asia/Shanghai") - timedelta(days=1)))
    db.session.execute(update(Recipient).where(Recipient.id == own_recipient["id"]).values(
        name=own_recipient["name"] + "\u0003"))
    db.session.commit()
    return visit["id"], difficulty["id"]


@pytest.mark.parametrize("who", ["reviewer", "admin"])
def test_weekly_report_exports_rows_with_control_characters_already_stored(request, staff, own_recipient, who):
    control_rows(staff, own_recipient)
    client = request.getfixturevalue(who)
    with client.get("/api/reports/weekly.xlsx") as response:
        assert response.status_code == 200, response.get_data()[:300]
        book = load_workbook(io.BytesIO(response.data))
    cells = [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not [c for c in cells if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", c)]
    assert "春节\n慰问" in cells  # a vertical tab (Word's line break) is a line break in Excel
    assert "米油" in cells and "看病难\n" in cells and "民政办" in cells
    assert own_recipient["name"] in cells


def test_import_template_exports_a_village_name_with_control_characters(reviewer):
    village = db.session.execute(select(Area).where(Area.level == "village")).scalars().first()
    name = village.name
    db.session.execute(update(Area).where(Area.id == village.id).values(name=name + "\u0001村"))
    db.session.commit()
    with reviewer.get("/api/recipients/import-template.xlsx") as response:
        assert response.status_code == 200, response.get_data()[:300]
        book = load_workbook(io.BytesIO(response.data))
    names = [row[3] for row in book["代码表"].iter_rows(min_row=2, values_only=True)]
    assert name + "村" in names


def test_archive_page_of_a_recipient_with_control_characters_renders(reviewer, staff, own_recipient):
    control_rows(staff, own_recipient)
    response = reviewer.get(f"/api/recipients/{own_recipient['id']}/archive.html")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "米油" in page and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", page)


def test_import_cells_with_line_breaks_and_control_characters_are_read_as_one_line_text(reviewer):
    row = good_row(1, 家庭住址="东关村\n12号", 备注="老人\u0001独居")
    csv = ",".join(HEADER) + "\n" + ",".join(f'"{v}"' if v else "" for v in row) + "\n"
    body = upload(reviewer, csv.encode(), filename="roster.csv").json
    assert body["created"] == 1, body
    stored = db.session.execute(select(Recipient).where(Recipient.name == row[0])).scalar_one()
    assert (stored.address, stored.notes) == ("东关村 12号", "老人 独居")


# -- finding 5: hostile workbooks ----------------------------------------------------------------------

SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"
# Generous: each of these must be refused before parsing, in well under a second here.
FAST = 10.0


def rewritten(members: dict[str, bytes | None], chunks: dict | None = None) -> bytes:
    """A real roster workbook with some members replaced (`members`) or streamed in (`chunks`: name →
    an iterable of byte chunks, for members too large to hold)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx([good_row(1)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in (chunks or {}):
                with target.open(info.filename, "w", force_zip64=True) as handle:
                    for chunk in chunks[info.filename]:
                        handle.write(chunk)
            elif info.filename in members:
                target.writestr(info.filename, members[info.filename])
            else:
                target.writestr(info, source.read(info.filename))
    return out.getvalue()


def timed_upload(client, content: bytes):
    start = time.monotonic()
    response = upload(client, content, dry_run=True)
    return response, time.monotonic() - start


def test_a_workbook_of_190_mib_of_empty_rows_is_refused_fast(reviewer):
    empty_rows = (b"<row/>" * (1024 * 1024) for _ in range(32))  # 6 MiB a chunk, 192 MiB in all
    content = rewritten({}, {SHEET: [SHEET_HEAD, *empty_rows, SHEET_TAIL]})
    assert len(content) < 1024 * 1024
    response, seconds = timed_upload(reviewer, content)
    error = assert_envelope(response, (413, 422))
    assert error["code"] in ("invalid_file", "payload_too_large")
    assert error["field_codes"] == {"file": ["workbook_too_large"]}
    assert seconds < FAST, seconds


def inline_row(number: int, values: list[str]) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f'<row r="{number}">{cells}</row>'.encode()


def test_a_sheet_whose_rows_run_past_the_limit_is_refused_without_reading_them_all(reviewer, monkeypatch):
    monkeypatch.setattr(imports, "MAX_SHEET_ROWS", 50)
    # One far-away row: the reader fills the gap with a million empty rows unless it stops at the limit.
    sheet = (SHEET_HEAD + inline_row(1, ["姓名", "身份证号", "类别", "所在村(社区)"]) + b'<row r="1048576"/>'
             + SHEET_TAIL)
    response, seconds = timed_upload(reviewer, rewritten({SHEET: sheet}))
    assert_envelope(response, 413, "too_many_rows")
    assert response.json["error"]["field_codes"] == {"file": ["too_many_rows"]}
    assert seconds < FAST


def test_a_roster_within_the_row_limit_still_imports(reviewer, monkeypatch):
    monkeypatch.setattr(imports, "MAX_SHEET_ROWS", 50)
    body = upload(reviewer, xlsx([good_row(n) for n in range(1, 40)]), dry_run=True).json
    assert body["valid"] == 39


def test_a_csv_of_empty_lines_stops_at_the_row_limit(reviewer, monkeypatch):
    monkeypatch.setattr(imports, "MAX_SHEET_ROWS", 50)
    content = ("姓名,身份证号,类别,所在村(社区)\n" + "\n" * 5000).encode()
    response = upload(reviewer, content, filename="roster.csv", dry_run=True)
    assert_envelope(response, 413, "too_many_rows")


BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b']>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
                    b"</sheetData></worksheet>")
EXTERNAL_ENTITY = (b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
                   b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
                   b"</sheetData></worksheet>")


@pytest.mark.parametrize("member, xml", [
    (SHEET, BILLION_LAUGHS),
    (SHEET, EXTERNAL_ENTITY),
    ("xl/workbook.xml", BILLION_LAUGHS.replace(b"worksheet", b"workbook")),
    ("docProps/core.xml", EXTERNAL_ENTITY.replace(b"worksheet", b"coreProperties")),
    ("[Content_Types].xml", BILLION_LAUGHS.replace(b"worksheet", b"Types")),
], ids=["sheet billion laughs", "sheet external entity", "workbook entity", "properties entity", "content types"])
def test_a_workbook_with_xml_entities_is_refused_as_an_invalid_file(reviewer, member, xml):
    response, seconds = timed_upload(reviewer, rewritten({member: xml}))
    error = assert_envelope(response, 422, "invalid_file")
    assert error["field_codes"] == {"file": ["xml_entities"]}
    assert "root:" not in response.get_data(as_text=True)
    assert seconds < FAST


def test_a_dtd_hidden_past_the_prolog_that_is_read_is_still_refused_by_the_parser(reviewer):
    hidden = BILLION_LAUGHS.replace(b'<?xml version="1.0"?>\n', b'<?xml version="1.0"?>\n<!--' + b"x" * 70_000 + b"-->")
    response, seconds = timed_upload(reviewer, rewritten({SHEET: hidden}))
    error = assert_envelope(response, 422, "invalid_file")
    assert error["field_codes"] == {"file": ["xml_entities"]}
    assert seconds < FAST


def test_a_workbook_with_broken_xml_is_an_invalid_file(reviewer):
    response = upload(reviewer, rewritten({SHEET: SHEET_HEAD + b"<row><c>"}), dry_run=True)
    error = assert_envelope(response, 422, "invalid_file")
    assert error["field_codes"] == {"file": ["invalid_workbook"]}


def test_a_member_that_is_too_compressed_is_refused(reviewer):
    # 8 MiB of one repeated cell: a ratio no roster reaches.
    rows = (b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * (8 * 1024 * 1024 // 50),)
    response, seconds = timed_upload(reviewer, rewritten({}, {SHEET: [SHEET_HEAD, *rows, SHEET_TAIL]}))
    assert_envelope(response, (413, 422))
    assert response.json["error"]["field_codes"] == {"file": ["workbook_too_large"]}


def test_the_new_field_codes_are_translated_where_they_are_shown():
    i18n = repo_root() / "pwa" / "src" / "i18n"
    for locale in ("zh-CN", "en"):
        app_codes = json.loads((i18n / f"{locale}.json").read_text())["errors"]["field"]
        assert app_codes["control_characters"] and app_codes["out_of_range"]
        # The roster import's are shown on the admin pages only: their lazily loaded bundle has them.
        admin_codes = json.loads((i18n / f"admin.{locale}.json").read_text())["errors"]["field"]
        assert {"invalid_workbook", "workbook_too_large", "xml_entities", "too_many_rows"} <= set(admin_codes)


def test_openpyxl_parses_with_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


def test_a_real_roster_is_far_from_the_unpacked_limits(monkeypatch):
    """The limits leave room: a 20,000-row roster unpacks well under them, at an ordinary ratio."""
    rows = [good_row(n) for n in range(1, 2001)]
    archive = zipfile.ZipFile(io.BytesIO(xlsx(rows)))
    sheet = archive.getinfo(SHEET)
    assert sheet.file_size * 10 < imports.MAX_UNPACKED_BYTES
    assert sheet.file_size / sheet.compress_size < imports.MAX_RATIO / 3


# -- finding 10: out-of-range integers, dates, deep JSON, odd paths, forged log lines -------------------

OUT_OF_RANGE_GETS = [
    f"/api/visits?page={HUGE}", f"/api/visits?page={INT64 + 6}", "/api/visits?page=3000000000",
    f"/api/visits?area={INT64 + 6}", "/api/visits?area=3000000000", f"/api/visits?author_id={INT64 + 6}",
    f"/api/difficulties?area={INT64 + 6}", f"/api/difficulties?assignee_id={INT64 + 6}",
    f"/api/difficulties?page={HUGE}", f"/api/admin/users?area={INT64 + 6}", f"/api/users?area={INT64 + 6}",
    f"/api/admin/audit?user_id={INT64 + 6}", "/api/admin/audit?user_id=3000000000",
    "/api/visits?from=0001-01-01", "/api/visits?to=9999-12-31", "/api/visits?from=0001-01-01&to=0001-01-02",
    "/api/admin/audit?from=0001-01-01", "/api/admin/audit?to=9999-12-31",
    "/api/reports/weekly.xlsx?from=0001-01-01&to=0001-01-02",
    "/api/reports/weekly.xlsx?from=9999-12-30&to=9999-12-31",
]


@pytest.mark.parametrize("url", OUT_OF_RANGE_GETS)
def test_out_of_range_query_values_answer_422(admin, url):
    response = admin.get(url)
    error = assert_envelope(response, 422, "validation_error")
    assert error["field_codes"] and all(codes == ["out_of_range"] for codes in error["field_codes"].values()), error


@pytest.mark.parametrize("cursor", [INT64 + 6, HUGE, -INT64 - 6])
def test_a_huge_pull_cursor_is_still_an_expired_cursor(staff, cursor):
    assert_envelope(staff.get(f"/api/sync/pull?cursor={cursor}"), 410, "cursor_expired")


@pytest.mark.parametrize("method, url", [
    ("post", f"/api/notifications/{INT64 + 6}/read"), ("post", "/api/notifications/3000000000/read"),
    ("patch", f"/api/admin/users/{INT64 + 6}"), ("post", f"/api/admin/users/{INT64 + 6}/revoke-sessions"),
    ("post", "/api/admin/users/3000000000/reset-password"),
])
def test_out_of_range_ids_in_the_path_answer_404(admin, method, url):
    body = {"display_name": "x"} if method == "patch" else {"password": "Xx1!xxxxxxxx"}
    response = getattr(admin, method)(url, json=body)
    assert_envelope(response, 404, "not_found")


@pytest.mark.parametrize("method, url, body, field", [
    ("post", "/api/admin/users", {"username": "abcde", "display_name": "x", "role": "staff", "area_id": INT64 + 6,
                                  "password": "Xx1!xxxxxxx"}, "area_id"),
    ("post", "/api/admin/areas", {"code": "12345", "name": "x", "level": "village", "parent_id": INT64 + 6},
     "parent_id"),
    ("post", "/api/campaigns", {"name": "x", "starts_on": "2026-01-01", "ends_on": "2026-02-01",
                                "area_id": 3000000000}, "area_id"),
    ("post", "/api/campaigns", {"name": "x", "starts_on": "0001-01-01", "ends_on": "0001-02-01"}, "starts_on"),
    ("post", "/api/campaigns", {"name": "x", "starts_on": "9999-12-01", "ends_on": "9999-12-31"}, "starts_on"),
    ("patch", "/api/admin/users/1", {"area_id": INT64 + 6}, "area_id"),
])
def test_out_of_range_body_values_answer_422(admin, method, url, body, field):
    error = assert_envelope(getattr(admin, method)(url, json=body), 422, "validation_error")
    assert error["field_codes"][field] == ["out_of_range"], error


def test_out_of_range_difficulty_changes_answer_422(admin, staff, own_recipient):
    difficulty = difficulty_data(own_recipient["id"])
    staff.push(mutation("difficulty.create", difficulty))
    for body, field in (({"assignee_id": INT64 + 6}, "assignee_id"), ({"due_date": "0001-01-01"}, "due_date"),
                        ({"due_date": "9999-12-31"}, "due_date"), ({"status": "open", "version": HUGE}, "version")):
        error = assert_envelope(admin.patch(f"/api/difficulties/{difficulty['id']}", json=body), 422)
        assert error["field_codes"] == {field: ["out_of_range"]}, (body, error)


@pytest.mark.parametrize("fields, field", [
    ({"visited_at": "0001-01-01T00:00:00+08:00"}, "visited_at"),
    ({"visited_at": "0001-01-01T00:00:00Z"}, "visited_at"),
    ({"visited_at": "9999-12-31T23:59:59-08:00"}, "visited_at"),
])
def test_push_refuses_times_out_of_range(staff, own_recipient, fields, field):
    [result] = staff.push(mutation("visit.create", visit_data(own_recipient["id"], **fields)))
    assert result["status"] == "rejected"
    assert result["error"]["field_codes"] == {field: ["out_of_range"]}


@pytest.mark.parametrize("fields, field", [
    ({"due_date": "0001-01-01"}, "due_date"), ({"due_date": "9999-12-31"}, "due_date"),
    ({"follow_up_at": "9999-12-31T23:00:00-05:00"}, "follow_up_at"),
])
def test_push_refuses_difficulty_dates_out_of_range(staff, own_recipient, fields, field):
    [result] = staff.push(mutation("difficulty.create", difficulty_data(own_recipient["id"], **fields)))
    assert result["status"] == "rejected"
    assert result["error"]["field_codes"] == {field: ["out_of_range"]}


def test_push_refuses_huge_integers_per_mutation(staff, own_recipient):
    results = staff.push(
        mutation("recipient.update", {"id": own_recipient["id"], "name": "x"}, base_version=HUGE),
        mutation("recipient.create", {"id": new_id(), "name": "x", "area_id": HUGE, "category": "other"}),
        mutation("visit.create", visit_data(own_recipient["id"])))
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"], results


def raw_push(client, body: bytes):
    return client.post("/api/sync/push", data=body, content_type="application/json")


def test_push_refuses_a_lone_surrogate(staff, own_recipient):
    visit = visit_data(own_recipient["id"], notes="PLACEHOLDER")
    body = json.dumps({"device_id": "d", "mutations": [mutation("visit.create", visit)]})
    response = raw_push(staff, body.replace("PLACEHOLDER", "a\\ud800b").encode())
    assert response.status_code in (200, 400), response.get_data()[:300]
    if response.status_code == 200:
        assert response.json["results"][0]["status"] == "rejected"


def nested(depth: int, kind: str = "list") -> str:
    return "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
@pytest.mark.parametrize("kind", ["list", "object"])
def test_deeply_nested_json_answers_400_even_on_login(client, depth, kind):
    response = client.post("/api/auth/login", data=nested(depth, kind), content_type="application/json")
    assert_envelope(response, 400, "bad_request")


def test_deeply_nested_json_in_a_push_answers_400(staff):
    mutation_json = '{"id":"' + new_id() + '","op":"visit.create","data":{"x":' + nested(900) + "}}"
    body = '{"device_id":"d","mutations":[' + mutation_json + "]}"
    assert_envelope(raw_push(staff, body.encode()), 400, "bad_request")


def test_json_nested_within_the_limit_is_judged_by_the_schema(client):
    response = client.post("/api/auth/login", data='{"username": ' + nested(20) + "}",
                           content_type="application/json")
    assert_envelope(response, 422, "validation_error")


def test_brackets_and_escapes_inside_strings_do_not_count_as_nesting(staff, own_recipient):
    visit = visit_data(own_recipient["id"], notes='[[[[' * 40 + '\\"{{{' * 20 + '\\\\')
    [result] = staff.push(mutation("visit.create", visit))
    assert result["status"] == "applied", result


@pytest.mark.parametrize("path", ["/%00", "/assets/%00.js", "/api/%00", "/api/visits/%00", "/api/difficulties/%00",
                                  "/api/campaigns/%00/coverage", "/api/recipients/%00/archive",
                                  "/x%0d%0aFAKE%20LOG%20LINE", "/" + "a" * 5000, "/api/visits/" + "a" * 5000])
def test_odd_paths_answer_a_4xx_envelope(admin, path):
    # (A browser's Accept: text/html gets the app shell for a path that may be a route of the PWA.)
    response = admin.get(path)
    assert_envelope(response, (400, 404))


def test_a_header_with_a_control_character_answers_400(client):
    response = client.get("/api/health", headers={"User-Agent": "probe\u0001"})
    assert_envelope(response, 400, "bad_request")


def test_a_request_path_cannot_forge_a_log_line(app, caplog, monkeypatch):
    # Alembic's logging setup (the test database's migrations) disables the loggers that existed before it.
    monkeypatch.setattr(logging.getLogger("server.errors"), "disabled", False)
    forged = "/api/x%0D%0A2026-12-04%20ERROR%20server:%20FORGED%1B[2J"
    with app.test_request_context(forged, method="GET"), caplog.at_level(logging.ERROR):
        assert "\r\n" in request.path
        app.handle_user_exception(RuntimeError("boom"))
    [record] = [r for r in caplog.records if "unhandled error" in r.getMessage()]
    message = record.getMessage()
    assert "\n" not in message and "\r" not in message and "\x1b" not in message
    assert "\\r\\n2026-12-04 ERROR server: FORGED\\x1b[2J" in message


def test_make_run_leaves_the_access_log_to_the_app():
    """gunicorn's access line carries the query string (a search names people) and, with `%(U)s`/`%(q)s`,
    decoded CR/LF: `make run`, like deploy/gunicorn.conf.py, has none; the app logs each request as one JSON
    line with the route's pattern (server/observability.py)."""
    procfile = (repo_root() / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    assert "--access-logfile" not in web and "--access-logformat" not in web
