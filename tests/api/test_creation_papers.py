"""/api/creation papers: the standard's workbook and its import, the responsibility table's workbook, the
weekly briefing (Word) and the evidence archive (ZIP), on the demo campaign."""

import hashlib
import io
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from server.extensions import db
from server.models import Evidence, Item, Standard
from server.services.attachments import FileStore
from server.services.creation import demo
from tests.api.creation_support import attach, items_by_number, pdf

PAPERS = ("/api/creation/standard.xlsx", "/api/creation/responsibility.xlsx", "/api/creation/briefing.docx",
          "/api/creation/archive.zip")


@pytest.fixture
def demo_files(app):
    """The demo's evidence files in this test's attachment store (the template database's are elsewhere)."""
    store = FileStore(app.config["ATTACHMENTS_DIR"])
    for _name, _points, rows in demo.STANDARD:
        for number, *_rest, evidence in rows:
            for title, kind, _review, _comment in evidence:
                data = (demo._pdf if kind == "pdf" else demo._png)(f"{number}:{title}".encode())
                store.put(hashlib.sha256(data).hexdigest(), data)
    return store


def sheet_of(response):
    assert response.status_code == 200, response.data[:300]
    return load_workbook(io.BytesIO(response.data)).worksheets[0]


def tree_shape(tree: dict) -> list:
    return [(c["name"], c["max_points"], [(i["number"], i["content"], i["points"], i["rule"], i["evidence_required"],
                                           i["metric"]) for i in c["items"]]) for c in tree["categories"]]


def workbook_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["某县考评标准"])
    sheet.append(["考评项目", "序号", "考评内容", "分值", "评分标准"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def post_standard(client, data: bytes, dry_run: bool, filename: str = "标准.xlsx"):
    return client.post(f"/api/creation/standards/import?dry_run={int(dry_run)}",
                       data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


# -- the standard ----------------------------------------------------------------------------------------


def test_the_standard_workbook_is_print_ready_and_lists_every_item(reviewer):
    sheet = sheet_of(reviewer.get("/api/creation/standard.xlsx"))
    assert "第1版" in sheet["A1"].value
    assert [c.value for c in sheet[2]] == ["考评项目", "序号", "考评内容", "分值", "评分标准", "佐证材料要求"]
    assert sheet.print_title_rows == "$2:$2"
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet["B3"].border.left.style == "thin"
    items = [r for r in sheet.iter_rows(min_row=3, values_only=True) if r[1]]
    assert len(items) == 40 and sum(r[3] for r in items) == 100


def test_the_standard_round_trips_through_its_workbook(reviewer):
    before = reviewer.get("/api/creation/standard").json
    exported = reviewer.get("/api/creation/standard.xlsx").data
    checked = post_standard(reviewer, exported, dry_run=True)
    assert checked.status_code == 200, checked.json
    assert checked.json["invalid"] == 0 and checked.json["valid"] == 48 and checked.json["standard"] is None
    assert all(r["ok"] for r in checked.json["rows"])
    assert reviewer.get("/api/creation/standard").json["version"] == before["version"]  # a dry run writes nothing
    # Read back from its own workbook, no item changed: the whole campaign's work would carry on.
    assert checked.json["changes"] == {"added": 0, "removed": 0, "changed": 0, "carried": 40}
    table = items_by_number(reviewer)

    imported = post_standard(reviewer, exported, dry_run=False)
    assert imported.status_code == 200, imported.json
    assert imported.json["changes"] == checked.json["changes"]
    assert imported.json["standard"]["version"] == before["version"] + 1
    after = reviewer.get("/api/creation/standard").json
    assert after["version"] == before["version"] + 1 and after["id"] != before["id"]
    assert tree_shape(after) == tree_shape(before)
    assert sum(1 for c in after["categories"] for i in c["items"] if i["metric"]) == 3  # bindings kept
    assert after["target"] == before["target"] and after["name"] == before["name"]
    # The work carries over by item number: the table keeps its units, statuses, scores and evidence.
    carried = items_by_number(reviewer)
    assert carried["1.1"]["lead_unit_name"] == "县委办公室"
    for key in ("status", "self_score", "estimated_score", "evidence", "open_rectifications", "score"):
        assert {n: i[key] for n, i in carried.items()} == {n: i[key] for n, i in table.items()}, key
    assert len(after["changes"]["carried"]) == 40 and after["changes"]["changed"] == []


def test_a_dry_run_names_each_bad_row_and_writes_nothing(reviewer):
    data = workbook_bytes([
        ["组织领导", "1.1", "成立领导小组", 2, "未成立扣2分"],
        ["组织领导", "1.2", "制定方案", None, None],
        ["组织领导", "1.3", "纳入规划", "两分", None],
        ["组织领导", None, "缺序号", 1, None],
        ["拥军支前", "2.1", "征兵任务", 3, None],
        ["拥军支前", "2.1", "重复序号", 1, None],
    ])
    response = post_standard(reviewer, data, dry_run=True)
    assert response.status_code == 200, response.json
    rows = {r["row"]: r for r in response.json["rows"]}
    assert rows[3]["ok"] is True
    assert rows[4]["errors"] == {"points": ["必填 / required"]} and rows[4]["error_codes"]["points"]
    assert list(rows[5]["errors"]) == ["points"] and "数字" in rows[5]["errors"]["points"][0]
    assert list(rows[6]["errors"]) == ["number"]
    assert rows[7]["ok"] is True and rows[8]["errors"] == {"number": ["already used"]}
    assert response.json["valid"] == 2 and response.json["invalid"] == 4
    versions = db.session.execute(select(Standard.version)).scalars().all()
    # Without dry_run an invalid row writes nothing either.
    again = post_standard(reviewer, data, dry_run=False)
    assert again.status_code == 200 and again.json["standard"] is None
    db.session.expire_all()
    assert db.session.execute(select(Standard.version)).scalars().all() == versions


def test_a_category_row_gives_its_maximum_and_a_mismatch_is_named(reviewer):
    data = workbook_bytes([["组织领导", None, None, 5, None], ["组织领导", "1.1", "成立领导小组", 2, None],
                           ["组织领导", "1.2", "制定方案", 2, None]])
    rows = post_standard(reviewer, data, dry_run=True).json["rows"]
    assert rows[0]["ok"] and not rows[1]["ok"] and "max_points" in rows[1]["errors"]


@pytest.mark.parametrize(("data", "filename", "code"), [
    (b"PK\x03\x04 not really a zip", "标准.xlsx", "invalid_file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "标准.xls", "unsupported_file_type"),
    (b"", "标准.xlsx", "validation_error"),
])
def test_a_bad_file_is_refused_cleanly(reviewer, data, filename, code):
    response = post_standard(reviewer, data, dry_run=True, filename=filename)
    assert response.status_code in (415, 422) and response.json["error"]["code"] == code


def test_a_workbook_without_the_header_is_an_invalid_file(reviewer):
    workbook = Workbook()
    workbook.active.append(["姓名", "身份证号"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = post_standard(reviewer, buffer.getvalue(), dry_run=True)
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_file"
    assert post_standard(reviewer, workbook_bytes([]), dry_run=True).status_code == 422
    assert reviewer.post("/api/creation/standards/import?dry_run=maybe", data={},
                         content_type="multipart/form-data").status_code == 400


# -- the responsibility table ----------------------------------------------------------------------------


def test_the_responsibility_table_has_the_county_columns_and_a_row_per_item(reviewer):
    sheet = sheet_of(reviewer.get("/api/creation/responsibility.xlsx"))
    assert "责任分解表" in sheet["A1"].value
    assert [c.value for c in sheet[2]] == ["考评项目", "序号", "考评内容", "分值", "牵头单位", "配合单位", "完成时限",
                                           "状态", "自评分", "预估分"]
    assert sheet.print_title_rows == "$2:$2" and sheet.page_setup.orientation == "landscape"
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    items = items_by_number(reviewer)
    assert [r[1] for r in rows] == list(items)
    first = rows[0]
    assert first[0] == "组织领导" and first[4] == "县委办公室" and first[5] == "县退役军人事务局"
    assert first[7] == "已完成"
    for row in rows:
        item = items[row[1]]
        assert row[3] == item["points"] and row[9] == item["estimated_score"] and row[8] == item["self_score"]


# -- the briefing ----------------------------------------------------------------------------------------


def test_the_briefing_has_its_sections_figures_fonts_and_page_numbers(reviewer):
    dashboard = reviewer.get("/api/creation/dashboard").json
    response = reviewer.get("/api/creation/briefing.docx")
    assert response.status_code == 200, response.data[:300]
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    for section in ("一、总体得分", "二、分项进展", "三、本周新增佐证材料", "四、逾期事项", "五、整改情况",
                    "六、下周到期事项"):
        assert section in text
    assert f"预估总分 {dashboard['estimated_total']:g} 分" in text and f"目标 {dashboard['target']:g} 分" in text
    categories = document.tables[0]
    assert [c.text for c in categories.rows[0].cells] == ["考评项目", "满分", "预估分", "事项数", "已完成"]
    assert [r.cells[0].text for r in categories.rows[1:]] == [c["name"] for c in dashboard["categories"]]
    assert [float(r.cells[2].text) for r in categories.rows[1:]] == [c["estimated"] for c in dashboard["categories"]]
    overdue = [i["number"] for i in reviewer.get("/api/creation/items?overdue=true").json["items"]]
    overdue_table = next(t for t in document.tables if t.rows[0].cells[1].text == "考评内容")
    assert [r.cells[0].text for r in overdue_table.rows[1:]] == overdue
    fonts = document.paragraphs[0].runs[0]._element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "微软雅黑"
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    footer = section.footer._element.xml
    assert "PAGE" in footer and "fldChar" in footer


def test_the_briefing_lists_the_weeks_new_evidence_and_the_change_from_last_week(reviewer):
    items = items_by_number(reviewer)
    attach(reviewer, items["7.2"]["id"], pdf(b"briefing"), title="宣传视频脚本", content_type="application/pdf")
    document = Document(io.BytesIO(reviewer.get("/api/creation/briefing.docx").data))
    evidence = next(t for t in document.tables if t.rows[0].cells[1].text == "材料")
    assert "宣传视频脚本" in [r.cells[1].text for r in evidence.rows[1:]]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "较上周" in text or "上周无记录" in text


@pytest.mark.parametrize("week", ["2026-W60", "2026-13", "last", "2026-W00"])
def test_a_bad_week_is_400_invalid_input(reviewer, week):
    response = reviewer.get(f"/api/creation/briefing.docx?week={week}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_input" and "week" in response.json["error"]["field_codes"]


def test_a_past_week_names_its_range(reviewer):
    response = reviewer.get("/api/creation/briefing.docx?week=2026-W01")
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)
    assert "2026年第1周（2025-12-29 至 2026-01-04）" in text


# -- the archive -----------------------------------------------------------------------------------------


def test_the_archive_holds_the_accepted_evidence_and_its_index(reviewer, demo_files):
    items = items_by_number(reviewer)
    attach(reviewer, items["7.2"]["id"], pdf(b"submitted only"), title="未审核材料", content_type="application/pdf")
    response = reviewer.get("/api/creation/archive.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.is_streamed and "Content-Length" not in response.headers  # chunks, not one body
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[0] == "档案目录.xlsx"
    accepted = db.session.execute(
        select(Evidence.sha256, Evidence.title, Item.number).join(Item, Item.id == Evidence.item_id)
        .where(Evidence.status == "accepted", Item.standard_id == select(Standard.id)
               .where(Standard.is_current.is_(True)).scalar_subquery())).all()
    files = names[1:]
    assert accepted and len(files) == len(accepted)
    assert sorted(hashlib.sha256(archive.read(n)).hexdigest() for n in files) == sorted(a.sha256 for a in accepted)
    assert not any("未审核材料" in n for n in names)
    for name in files:
        category, item, _ = name.split("/")
        assert category[:2].isdigit() and item.split(" ")[0] in items
    index = load_workbook(io.BytesIO(archive.read("档案目录.xlsx"))).worksheets[0]
    assert [c.value for c in index[2]] == ["序号", "考评项目", "条目", "考评内容", "提交单位", "材料名称", "文件",
                                           "日期"]
    rows = list(index.iter_rows(min_row=3, values_only=True))
    assert [r[6] for r in rows] == files
    assert sorted((r[2], r[5]) for r in rows) == sorted((a.number, a.title) for a in accepted)
    assert all(r[4] and r[7] for r in rows)


def test_a_file_missing_from_the_store_is_named_in_the_index_and_left_out(reviewer, demo_files):
    gone = db.session.execute(select(Evidence.sha256).where(Evidence.status == "accepted").limit(1)).scalar_one()
    demo_files.path(gone).unlink()
    archive = zipfile.ZipFile(io.BytesIO(reviewer.get("/api/creation/archive.zip").data))
    files = [hashlib.sha256(archive.read(n)).hexdigest() for n in archive.namelist()[1:]]
    assert gone not in files and files
    index = load_workbook(io.BytesIO(archive.read("档案目录.xlsx"))).worksheets[0]
    missing = [r[6] for r in index.iter_rows(min_row=3, values_only=True) if r[6].endswith("（文件缺失）")]
    assert len(missing) == 1 and len(files) + 1 == index.max_row - 2


def test_archive_names_are_safe():
    from server.services.creation.papers import safe_name
    assert safe_name('../a/b\\c:"d"?') == "_a_b_c__d__"
    assert safe_name("..") == "_" and safe_name("双拥 工作") == "双拥 工作"


# -- who may --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["liaison_demo", "staff_demo"])
def test_liaisons_and_staff_get_403(login, who):
    client = login(who)
    for url in PAPERS:
        response = client.get(url)
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden", url
    response = post_standard(client, workbook_bytes([["组织领导", "1.1", "x", 1, None]]), dry_run=True)
    assert response.status_code == 403


# -- the county's responsibility table, imported ---------------------------------------------------------


def post_table(client, data: bytes, dry_run: bool):
    return client.post(f"/api/creation/responsibility/import?dry_run={int(dry_run)}",
                       data={"file": (io.BytesIO(data), "责任分解表.xlsx")}, content_type="multipart/form-data")


def test_the_exported_table_imports_back_without_changes(reviewer):
    before = items_by_number(reviewer)
    exported = reviewer.get("/api/creation/responsibility.xlsx").data
    response = post_table(reviewer, exported, dry_run=False)
    assert response.status_code == 200, response.json
    assert response.json["invalid"] == 0 and response.json["valid"] == 40 and response.json["applied"]
    after = items_by_number(reviewer)
    assert {n: (i["lead_unit_id"], i["cooperating_unit_ids"], i["deadline"], i["version"]) for n, i in after.items()} \
        == {n: (i["lead_unit_id"], i["cooperating_unit_ids"], i["deadline"], i["version"]) for n, i in before.items()}


def test_the_county_table_assigns_units_and_deadlines_and_a_dry_run_writes_nothing(reviewer):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["创建工作责任分解表"])
    sheet.append(["序号", "考评内容", "牵头单位", "配合单位", "完成时限"])
    sheet.append(["7.2", "宣传片", "县住建局", "县委宣传部、县人武部", "2026年9月30日"])
    sheet.append(["1.1", None, None, None, "2026/10/1"])
    sheet.append(["9.9", None, "县住建局", None, None])
    sheet.append(["1.2", None, "不存在的局", "县人武部，无名单位", "明天"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = items_by_number(reviewer)
    checked = post_table(reviewer, buffer.getvalue(), dry_run=True)
    assert checked.status_code == 200, checked.json
    rows = {r["row"]: r for r in checked.json["rows"]}
    assert rows[3]["ok"] and rows[4]["ok"] and list(rows[5]["errors"]) == ["number"]
    assert set(rows[6]["errors"]) == {"lead_unit_id", "cooperating_unit_ids", "deadline"}
    assert "无名单位" in rows[6]["errors"]["cooperating_unit_ids"][0]
    assert not checked.json["applied"] and items_by_number(reviewer) == before
    assert not post_table(reviewer, buffer.getvalue(), dry_run=False).json["applied"]
    assert items_by_number(reviewer) == before  # one bad row: nothing written

    for _ in range(2):
        sheet.delete_rows(5)
    buffer = io.BytesIO()
    workbook.save(buffer)
    applied = post_table(reviewer, buffer.getvalue(), dry_run=False)
    assert applied.status_code == 200 and applied.json["applied"], applied.json
    after = items_by_number(reviewer)
    assert after["7.2"]["lead_unit_name"] == "县住建局" and after["7.2"]["deadline"] == "2026-09-30"
    assert after["7.2"]["cooperating_unit_names"] == ["县委宣传部", "县人武部"]
    assert after["1.1"]["deadline"] == "2026-10-01"
    assert after["1.1"]["lead_unit_id"] == before["1.1"]["lead_unit_id"]  # a blank cell changes nothing


@pytest.mark.parametrize("who", ["liaison_demo", "staff_demo"])
def test_liaisons_and_staff_cannot_import_the_table(login, who):
    exported = workbook_bytes([["组织领导", "1.1", "x", 1, None]])
    assert post_table(login(who), exported, dry_run=True).status_code == 403
