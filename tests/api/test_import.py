import io
import time
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from server.extensions import db
from server.models import Area, AuditLog, ChangeLog, Recipient, User
from server.schemas.common import id_number_check_digit
from server.services import imports, sync
from server.services.areas import create_area
from server.services.auth import actor_for
from server.services.imports import COLUMNS
from tests.conftest import mutation, new_id

HEADER = [header for _, header in COLUMNS]
IMPORT_URL = "/api/recipients/import"


def id_number(n: int, region: str = "330102", male: bool = True) -> str:
    """A valid, distinct ID number for each n (< 1,000,000)."""
    born = date(1940, 1, 1) + timedelta(days=n // 500)
    serial = (n % 500) * 2 + (1 if male else 0)
    first17 = f"{region}{born:%Y%m%d}{serial:03d}"
    return first17 + id_number_check_digit(first17)


def xlsx(rows: list[list], header: list = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, filename: str = "roster.xlsx", dry_run: bool = False):
    url = f"{IMPORT_URL}?dry_run=1" if dry_run else IMPORT_URL
    # Encoded here: the test client spools a body over 500 KB to a temporary file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), filename)})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def good_row(n: int, village: str = "东关村", **overrides) -> list:
    values = {"姓名": f"测试{n}", "性别": "男", "身份证号": id_number(n), "联系电话": f"139{n:08d}",
              "类别": "烈士遗属", "所在村(社区)": village, "家庭住址": f"{village}{n}号", "备注": None}
    values.update(overrides)
    return [values[h] for h in HEADER]


def errors_by_row(body: dict) -> dict[int, set[str]]:
    return {r["row"]: set(r["errors"]) for r in body["rows"] if not r["ok"]}


def recipient_count() -> int:
    return db.session.execute(select(func.count()).select_from(Recipient)).scalar_one()


def change_rows() -> list:
    return db.session.execute(select(ChangeLog.entity_type, ChangeLog.entity_id, ChangeLog.seq)
                              .order_by(ChangeLog.id)).all()


def audits(action: str) -> list[AuditLog]:
    query = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
    return db.session.execute(query).scalars().all()


def other_county():
    """A second county with one township and village, outside the demo users' scope."""
    county = create_area("880100", "邻县", "county")
    township = create_area("880101", "邻县城关镇", "township", county.id)
    village = create_area("880101001", "东关村", "village", township.id)
    return county, village


# -- the template --------------------------------------------------------------------------------------


def test_template_lists_header_categories_and_villages_in_scope(reviewer):
    response = reviewer.get("/api/recipients/import-template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames[:2] == ["优抚对象", "代码表"]
    sheet = workbook["优抚对象"]
    assert [c.value for c in sheet[1]] == ["姓名", "性别", "身份证号", "联系电话", "类别", "所在村(社区)",
                                           "家庭住址", "备注"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width >= 20
    validations = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert validations["B2"] == '"男,女"'
    assert validations["E2"].startswith("'代码表'!")
    codes = workbook["代码表"]
    categories = {row[1]: row[0] for row in codes.iter_rows(min_row=2, values_only=True) if row[1]}
    assert categories["martyr_family"] == "烈士遗属" and len(categories) == 11
    villages = {row[4]: row[3] for row in codes.iter_rows(min_row=2, values_only=True) if row[4]}
    assert len(villages) == 9 and villages["990101001"] == "东关村"


def test_template_lists_only_villages_in_scope(app, reviewer):
    other_county()
    workbook = load_workbook(io.BytesIO(reviewer.get("/api/recipients/import-template.xlsx").data))
    codes = [row[4] for row in workbook["代码表"].iter_rows(min_row=2, values_only=True) if row[4]]
    assert "880101001" not in codes and len(codes) == 9


def test_staff_may_neither_import_nor_download_the_template(staff):
    assert staff.get("/api/recipients/import-template.xlsx").status_code == 403
    response = upload(staff, xlsx([good_row(1)]), dry_run=True)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


# -- checking ------------------------------------------------------------------------------------------


ENDS_IN_X = next(n for n in range(100, 400) if id_number(n).endswith("X"))


def seeded_bad_rows() -> tuple[list[list], dict[int, set[str]]]:
    """Good rows with known bad ones among them: (rows, {sheet row: fields in error})."""
    bad_id = id_number(7)
    rows = [
        good_row(1),                                                     # 2
        good_row(2, 性别="female", 类别="disabled_veteran"),             # 3  code and English gender: fine
        good_row(3, 姓名=None),                                          # 4
        good_row(4, 类别=None),                                          # 5
        good_row(5, 类别="烈士"),                                        # 6
        good_row(6, 性别="未知"),                                        # 7
        good_row(7, 身份证号=bad_id[:17]),                                # 8  length
        good_row(8, 身份证号="33010219401332" + "0010"),                   # 9  birth date 1940-13-32
        good_row(9, 身份证号=bad_id[:17] + ("0" if bad_id[17] != "0" else "1")),  # 10 check digit
        good_row(10, village="不存在村"),                                 # 11
        good_row(11, village="990101002"),                               # 12 a village code: fine
        good_row(12),                                                    # 13 duplicate of row 15
        good_row(13, village="重名村"),                                   # 14 two villages share this name
        good_row(12, 姓名="又一个"),                                      # 15 duplicate of row 13
        good_row(14, 身份证号="330102********0011"),                       # 16 masked
        good_row(15, village="880101001"),                               # 17 another county's village
        good_row(ENDS_IN_X, 身份证号=id_number(ENDS_IN_X).lower()),  # 18 a lower-case x: fine
    ]
    expected = {4: {"name"}, 5: {"category"}, 6: {"category"}, 7: {"gender"}, 8: {"id_number"},
                9: {"id_number"},
                10: {"id_number"}, 11: {"area_id"}, 13: {"id_number"}, 14: {"area_id"}, 15: {"id_number"},
                16: {"id_number"}, 17: {"area_id"}}
    return rows, expected


def make_namesake_villages() -> None:
    """Two villages called 重名村 in the demo county (different townships)."""
    query = select(Area).where(Area.level == "township").order_by(Area.code)
    townships = db.session.execute(query).scalars().all()
    create_area("990101901", "重名村", "village", townships[0].id)
    create_area("990102901", "重名村", "village", townships[1].id)


def test_dry_run_reports_exactly_the_seeded_bad_rows_and_writes_nothing(app, reviewer):
    make_namesake_villages()
    other_county()
    rows, expected = seeded_bad_rows()
    before, changes_before = recipient_count(), change_rows()
    response = upload(reviewer, xlsx(rows), dry_run=True)
    assert response.status_code == 200, response.json
    body = response.json
    assert errors_by_row(body) == expected
    assert [r["row"] for r in body["rows"]] == list(range(2, 2 + len(rows)))
    assert body["invalid"] == len(expected) and body["valid"] == len(rows) - len(expected)
    assert body["dry_run"] is True and body["created"] == body["valid"]
    by_row = {r["row"]: r for r in body["rows"]}
    [namesake] = by_row[14]["errors"]["area_id"]
    assert "990101901" in namesake and "990102901" in namesake
    assert "13" in by_row[15]["errors"]["id_number"][0]
    assert recipient_count() == before and change_rows() == changes_before
    [audit] = audits("recipient.import")
    assert audit.details["dry_run"] is True and audit.details["invalid"] == len(expected)


def test_header_row_may_sit_below_a_title_and_columns_may_be_reordered(reviewer):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["示范县优抚对象名册"])
    sheet.append(["所在村(社区)", "类别", "身份证号", "姓名"])
    sheet.append(["东关村", "残疾军人", id_number(1), "张三"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    body = upload(reviewer, buffer.getvalue(), dry_run=True).json
    assert body["rows"] == [{"row": 3, "ok": True, "action": "created"}]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_is_read_as_utf8_with_or_without_bom_or_gb18030(reviewer, encoding):
    lines = [",".join(HEADER), f"张三,男,{id_number(1)},13900000001,烈士遗属,东关村,东关村1号,",
             f"李四,女,{id_number(2, male=False)},,军属,南门村,,", f"王五,男,{id_number(3)},,烈士,东关村,,"]
    content = ("\r\n".join(lines) + "\r\n").encode(encoding)
    body = upload(reviewer, content, "roster.csv", dry_run=True).json
    assert errors_by_row(body) == {4: {"category"}}
    assert body["valid"] == 2


def test_a_file_without_the_required_columns_is_refused(reviewer):
    response = upload(reviewer, xlsx([["张三", id_number(1)]], header=["姓名", "身份证号"]), dry_run=True)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_file"
    assert response.json["error"]["fields"]["columns"] == ["类别", "所在村(社区)"]


def test_no_file_an_old_xls_or_a_broken_xlsx_are_refused(reviewer):
    response = reviewer.post(f"{IMPORT_URL}?dry_run=1", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and response.json["error"]["fields"]["file"]
    old_excel = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 100
    assert upload(reviewer, old_excel, "roster.xls", dry_run=True).status_code == 415
    response = upload(reviewer, b"PK\x03\x04 not really a zip", "roster.xlsx", dry_run=True)
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_file"


# -- importing -----------------------------------------------------------------------------------------


def test_import_creates_recipients_phones_receive_and_a_second_import_changes_nothing(app, reviewer, staff):
    rows = [good_row(n, village=["东关村", "西街社区", "南门村"][n % 3]) for n in range(1, 31)]
    rows[0][HEADER.index("性别")] = None  # derived from the ID number
    content = xlsx(rows)
    before = recipient_count()
    body = upload(reviewer, content).json
    counts = (body["valid"], body["invalid"], body["created"], body["updated"], body["unchanged"])
    assert counts == (30, 0, 30, 0, 0)
    assert {r["action"] for r in body["rows"]} == {"created"}
    assert recipient_count() == before + 30
    first = db.session.execute(select(Recipient).where(Recipient.id_number == id_number(1))).scalar_one()
    assert (first.name, first.gender, first.category) == ("测试1", "male", "martyr_family")
    assert first.phone == "13900000001"
    assert len(audits("recipient.create")) >= 30

    # staff_demo (城关镇) pulls them, with masked ID numbers.
    changes, _ = staff.pull_all()
    pulled = {c["data"]["name"]: c["data"] for c in changes.values() if c["type"] == "recipient"}
    assert pulled["测试1"]["id_number"] == id_number(1)[:6] + "********" + id_number(1)[-4:]

    versions = dict(db.session.execute(select(Recipient.id, Recipient.version)).all())
    changes_before, creates_before = change_rows(), len(audits("recipient.create"))
    again = upload(reviewer, content).json
    assert (again["valid"], again["created"], again["updated"], again["unchanged"]) == (30, 0, 0, 30)
    db.session.expire_all()
    assert dict(db.session.execute(select(Recipient.id, Recipient.version)).all()) == versions
    assert change_rows() == changes_before
    assert len(audits("recipient.create")) == creates_before and not audits("recipient.update")
    assert [a.details["created"] for a in audits("recipient.import")] == [30, 0]


def test_import_updates_only_the_changed_fields_and_blank_cells_keep_values(app, reviewer):
    upload(reviewer, xlsx([good_row(1), good_row(2)]))
    recipient = db.session.execute(select(Recipient).where(Recipient.id_number == id_number(1))).scalar_one()
    version, address = recipient.version, recipient.address
    changed = good_row(1, 联系电话="13811112222", 家庭住址=None, 类别="残疾军人", village="西街社区")
    body = upload(reviewer, xlsx([changed, good_row(2)])).json
    assert [r["action"] for r in body["rows"]] == ["updated", "unchanged"]
    db.session.expire_all()
    recipient = db.session.get(Recipient, recipient.id)
    assert recipient.version == version + 1
    assert (recipient.phone, recipient.address) == ("13811112222", address)
    assert recipient.category == "disabled_veteran"
    west = db.session.execute(select(Area.id).where(Area.code == "990101002")).scalar_one()
    assert recipient.area_id == west
    [update] = audits("recipient.update")
    assert update.device_id == "roster-import"


def test_import_updates_a_recipient_registered_by_a_phone(app, reviewer, own_recipient):
    full = db.session.get(Recipient, own_recipient["id"])
    village = db.session.get(Area, full.area_id)
    row = good_row(1, 姓名=full.name, 身份证号=full.id_number, village=village.code, 类别=full.category,
                   性别={"male": "男", "female": "女"}[full.gender])
    body = upload(reviewer, xlsx([row])).json
    assert body["rows"] == [{"row": 2, "ok": True, "action": "updated"}]
    db.session.expire_all()
    assert db.session.get(Recipient, full.id).phone == row[HEADER.index("联系电话")]


def test_scope_another_countys_village_and_recipients_are_out_of_reach(app, reviewer, admin):
    _, village = other_county()
    admin_user = db.session.execute(select(User).where(User.username == "admin_demo")).scalar_one()
    admin_actor = actor_for(admin_user)
    elsewhere = id_number(99)
    result = sync.push(admin_actor, [mutation("recipient.create", {
        "id": new_id(), "name": "邻县人", "gender": "male", "id_number": elsewhere, "phone": None,
        "address": None, "area_id": village.id, "category": "veteran", "tags": [], "notes": None})])
    assert result["results"][0]["status"] == "applied"
    before = recipient_count()
    rows = [good_row(1, village="880101001"), good_row(2, 身份证号=elsewhere), good_row(3)]
    body = upload(reviewer, xlsx(rows)).json
    # A number registered outside the reviewer's scope is created like a fresh one (and flagged for the
    # office: tests/api/test_security_ids.py); the other county's record is untouched.
    assert errors_by_row(body) == {2: {"area_id"}}
    assert body["created"] == 2 and recipient_count() == before + 2
    stranger = db.session.execute(select(Recipient).where(Recipient.id_number == elsewhere,
                                                          Recipient.area_id == village.id)).scalar_one()
    assert stranger.name == "邻县人" and stranger.version == 1

    # The admin sees every county: the same village code imports.
    body = upload(admin, xlsx([good_row(1, village="880101001")])).json
    assert body["rows"] == [{"row": 2, "ok": True, "action": "created"}]


# -- size ----------------------------------------------------------------------------------------------

LARGE = 20_000
LARGE_BAD = {137: "category", 4_321: "id_number", 10_000: "area_id", 19_999: "name", 20_001: "gender"}


def large_roster() -> bytes:
    villages = ["东关村", "西街社区", "南门村", "青山村", "石桥村", "柳树村", "河口村", "新河村", "渡口村"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for sheet_row in range(2, LARGE + 2):
        row = good_row(sheet_row, village=villages[sheet_row % 9])
        bad = LARGE_BAD.get(sheet_row)
        if bad == "category":
            row[HEADER.index("类别")] = "不知道"
        elif bad == "id_number":
            row[HEADER.index("身份证号")] = row[HEADER.index("身份证号")][:-1] + "Y"
        elif bad == "area_id":
            row[HEADER.index("所在村(社区)")] = "没有这个村"
        elif bad == "name":
            row[HEADER.index("姓名")] = ""
        elif bad == "gender":
            row[HEADER.index("性别")] = "?"
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(call):
    """(result, wall seconds, CPU seconds of this process): the machine may be shared, CPU time less so."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


@pytest.mark.slow
def test_a_20000_row_roster_is_checked_and_imported(app, reviewer, capsys):
    content = large_roster()
    body, *dry = timed(lambda: upload(reviewer, content, dry_run=True).json)
    assert errors_by_row(body) == {row: {name} for row, name in LARGE_BAD.items()}
    assert body["valid"] == LARGE - len(LARGE_BAD)

    before = recipient_count()
    body, *real = timed(lambda: upload(reviewer, content).json)
    assert body["created"] == LARGE - len(LARGE_BAD)
    assert errors_by_row(body) == {row: {name} for row, name in LARGE_BAD.items()}
    assert recipient_count() == before + LARGE - len(LARGE_BAD)

    body, *again = timed(lambda: upload(reviewer, content).json)
    assert body["unchanged"] == LARGE - len(LARGE_BAD) and body["created"] == body["updated"] == 0
    with capsys.disabled():
        print(f"\n20,000 rows ({len(content) // 1024} KB), wall/CPU s: dry run {dry[0]:.1f}/{dry[1]:.1f}, "
              f"import {real[0]:.1f}/{real[1]:.1f}, second import {again[0]:.1f}/{again[1]:.1f}")


def test_a_workbook_that_unpacks_to_gigabytes_is_refused_unread(reviewer, monkeypatch):
    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 1000)
    response = upload(reviewer, xlsx([good_row(1)]), dry_run=True)
    assert response.status_code == 413 and response.json["error"]["code"] == "payload_too_large"
