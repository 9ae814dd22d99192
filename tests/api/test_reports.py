import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from server.extensions import db
from server.models import AuditLog, Difficulty, Visit
from server.models.base import utcnow
from server.services.areas import create_area
from server.services.reports import local_today
from server.services.users import create_user
from tests.api.test_import import id_number
from tests.conftest import difficulty_data, mutation, new_id, visit_data

ZONE = ZoneInfo("Asia/Shanghai")
PASSWORD = "Test@2026-report"
SHEETS = ["汇总", "走访明细", "困难诉求", "跟进逾期", "办结超期"]
FORMULA = '=HYPERLINK("http://x.invalid","点我")'


def local(day, hour: int, minute: int = 0) -> str:
    """A local wall-clock time on `day` as the ISO UTC string a phone sends."""
    at = datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)
    return at.replace(tzinfo=None).isoformat() + "Z"


def workbook_of(response):
    """Read the workbook and close the response (as a WSGI server does: the temporary file goes with it)."""
    with response:
        assert response.status_code == 200, response.data[:300]
        assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return load_workbook(io.BytesIO(response.data))


def data_rows(sheet, header_row: int = 1) -> list[dict]:
    header = [c.value for c in sheet[header_row]]
    return [dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=header_row + 1, values_only=True)]


@pytest.fixture
def county(app, login):
    """测试县: 甲镇 (一村, 二村) and 乙乡 (三村), its own reviewer and staff, and a week of work.

    甲镇: visits v1 (R1, ¥200, approved), v2 (R1), v3 (R3, ¥50.50, at 00:30 on the first day);
    乙乡: v5 (R4, ¥100); v4 (R4) at 23:30 the evening before the range is outside it.
    Difficulties: d1 (R1, overdue), d2 (R2, resolved this week), d3 (R4, in progress, overdue),
    d4 (R3, opened weeks ago, still open), d5 (R3, opened and resolved weeks ago: in no sheet),
    d6 (R4, open, its description looks like an Excel formula).
    """
    today = local_today("Asia/Shanghai")
    root = create_area("770100", "测试县", "county")
    jia = create_area("770101", "甲镇", "township", root.id)
    yi = create_area("770102", "乙乡", "township", root.id)
    one = create_area("770101001", "一村", "village", jia.id)
    two = create_area("770101002", "二村", "village", jia.id)
    three = create_area("770102001", "三村", "village", yi.id)
    create_user("reviewer_t", "孙主任（测试县）", PASSWORD, "reviewer", root.id)
    create_user("staff_t", "赵六（测试县）", PASSWORD, "staff", root.id)
    staff = login("staff_t", PASSWORD)

    recipients = {}
    people = (("R1", "钱一", one, 501), ("R2", "钱二", one, 502), ("R3", "钱三", two, 503),
              ("R4", "钱四", three, 504))
    for key, name, village, n in people:
        recipients[key] = {"id": new_id(), "name": name, "gender": "male", "id_number": id_number(n),
                           "phone": None, "address": None, "area_id": village.id, "category": "martyr_family",
                           "tags": [], "notes": None}
    staff.push(*(mutation("recipient.create", r) for r in recipients.values()))
    r = {k: v["id"] for k, v in recipients.items()}
    visits = {
        "v1": visit_data(r["R1"], visited_at=local(today - timedelta(days=2), 10), kind="festival",
                         cash_cents=20000, no_signature_reason="卧床无法签字"),
        "v2": visit_data(r["R1"], visited_at=local(today - timedelta(days=1), 9), kind="routine"),
        "v3": visit_data(r["R3"], visited_at=local(today - timedelta(days=6), 0, 30), kind="hospital",
                         cash_cents=5050, no_signature_reason="住院"),
        "v4": visit_data(r["R4"], visited_at=local(today - timedelta(days=7), 23, 30), kind="routine"),
        "v5": visit_data(r["R4"], visited_at=local(today - timedelta(days=3), 15), kind="hardship",
                         cash_cents=10000, no_signature_reason="外出务工，家属代收"),
    }
    difficulties = {
        "d1": difficulty_data(r["R1"], category="medical", description="看病难",
                              due_date=(today - timedelta(days=3)).isoformat(),
                              follow_up_at=local(today - timedelta(days=2), 9)),
        "d2": difficulty_data(r["R2"], category="housing", description="房屋漏雨",
                              due_date=(today + timedelta(days=5)).isoformat()),
        "d3": difficulty_data(r["R4"], category="living", description="取暖困难",
                              due_date=(today - timedelta(days=1)).isoformat()),
        "d4": difficulty_data(r["R3"], category="legal", description="土地纠纷"),
        "d6": difficulty_data(r["R4"], category="other", description=FORMULA,
                              due_date=(today + timedelta(days=30)).isoformat(),
                              follow_up_at=local(today + timedelta(days=2), 9)),
        "d5": difficulty_data(r["R3"], category="education", description="子女入学"),
    }
    results = staff.push(*(mutation("visit.create", v) for v in visits.values()),
                         *(mutation("difficulty.create", d) for d in difficulties.values()))
    assert {x["status"] for x in results} == {"applied"}
    now = utcnow().isoformat() + "Z"
    results = staff.push(
        mutation("followup.create", {"id": new_id(), "difficulty_id": difficulties["d2"]["id"], "at": now,
                                     "note": "已维修", "status": "resolved", "next_follow_up_at": None}),
        mutation("followup.create", {"id": new_id(), "difficulty_id": difficulties["d3"]["id"], "at": now,
                                     "note": "联系民政", "status": "in_progress", "next_follow_up_at": None}))
    assert {x["status"] for x in results} == {"applied"}
    # Test data from before the week (a phone cannot back-date what the server stamps itself).
    weeks_ago = utcnow() - timedelta(days=20)
    db.session.execute(update(Visit).where(Visit.id == visits["v1"]["id"]).values(status="approved"))
    db.session.execute(update(Difficulty).where(Difficulty.id == difficulties["d4"]["id"])
                       .values(created_at=weeks_ago))
    db.session.execute(update(Difficulty).where(Difficulty.id == difficulties["d5"]["id"])
                       .values(created_at=weeks_ago, status="resolved",
                               resolved_at=weeks_ago + timedelta(days=1)))
    db.session.commit()
    return {"today": today, "recipients": recipients, "visits": visits, "difficulties": difficulties,
            "reviewer": login("reviewer_t", PASSWORD)}


def weekly(client, today):
    return client.get(f"/api/reports/weekly.xlsx?from={today - timedelta(days=6)}&to={today}")


def test_summary_counts_visits_cash_and_difficulties_by_township(county):
    today = county["today"]
    book = workbook_of(weekly(county["reviewer"], today))
    assert book.sheetnames == SHEETS
    summary = book["汇总"]
    period = f"{today - timedelta(days=6)} 至 {today}"
    assert summary["A1"].value.startswith(f"测试县走访慰问工作周报（{period}）　导出时间：")
    assert summary.freeze_panes == "A4"
    rows = {row["乡镇(街道)"]: row for row in data_rows(summary, header_row=3)}
    assert list(rows) == ["甲镇", "乙乡", "合计"]
    expected = {
        #        visits approved people cash   opened resolved unresolved 跟进逾期 办结超期
        "甲镇": (3, 1, 2, 250.5, 2, 1, 2, 1, 1),
        "乙乡": (1, 0, 1, 100, 2, 0, 2, 0, 1),
        "合计": (4, 1, 3, 350.5, 4, 1, 4, 1, 2),
    }
    for township, numbers in expected.items():
        assert tuple(list(rows[township].values())[1:]) == numbers, township


def test_visit_sheet_lists_the_weeks_visits_with_labels_and_masked_id_numbers(county):
    today = county["today"]
    sheet = workbook_of(weekly(county["reviewer"], today))["走访明细"]
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["E"].width >= 18
    rows = data_rows(sheet, header_row=2)
    assert [r["走访类型"] for r in rows] == ["住院探望", "困难帮扶", "节日慰问", "日常走访"]
    first = rows[0]
    full = id_number(503)
    assert first["身份证号"] == full[:6] + "********" + full[-4:]
    assert (first["姓名"], first["乡镇(街道)"], first["村(社区)"]) == ("钱三", "甲镇", "二村")
    assert first["走访时间"] == datetime.combine(today - timedelta(days=6), time(0, 30))
    assert first["走访人员"] == "赵六（测试县）" and first["优抚类别"] == "烈士遗属"
    assert (first["慰问金(元)"], first["签字"], first["审核状态"]) == (50.5, "未签字：住院", "待审核")
    assert rows[2]["审核状态"] == "已通过" and rows[3]["慰问金(元)"] == 0


def test_difficulty_sheets_list_the_weeks_and_every_unresolved_one_and_the_overdue(county):
    today = county["today"]
    book = workbook_of(weekly(county["reviewer"], today))
    rows = data_rows(book["困难诉求"], header_row=2)
    by_text = {r["诉求内容"]: r for r in rows}
    assert set(by_text) == {"看病难", "房屋漏雨", "取暖困难", "土地纠纷", FORMULA}
    medical = by_text["看病难"]
    assert (medical["状态"], medical["办结超期"], medical["诉求类别"]) == ("待处理", "是", "医疗")
    assert by_text["看病难"]["办结时限"] == datetime.combine(today - timedelta(days=3), time())
    assert (by_text["房屋漏雨"]["状态"], by_text["房屋漏雨"]["办结超期"]) == ("已解决", "否")
    assert by_text["房屋漏雨"]["解决时间"] is not None
    assert (by_text["取暖困难"]["状态"], by_text["取暖困难"]["办结超期"]) == ("处理中", "是")
    assert by_text["土地纠纷"]["办结超期"] == "否"
    # Text from a phone is never a formula in the office's Excel.
    [cell] = [c for row in book["困难诉求"].iter_rows() for c in row if c.value == FORMULA]
    assert cell.data_type == "s"
    overdue = data_rows(book["办结超期"], header_row=2)
    listed = [(r["诉求内容"], r["超期天数"], r["乡镇(街道)"]) for r in overdue]
    assert listed == [("看病难", 3, "甲镇"), ("取暖困难", 1, "乙乡")]
    # 跟进逾期: the next follow-up date passed with no follow-up (d6's is still ahead, d3's was cleared).
    late = data_rows(book["跟进逾期"], header_row=2)
    assert [(r["诉求内容"], r["逾期天数"], r["应跟进时间"]) for r in late] == [
        ("看病难", 2, datetime.combine(today - timedelta(days=2), time(9)))]


def test_no_full_id_number_appears_anywhere(county):
    book = workbook_of(weekly(county["reviewer"], county["today"]))
    full = {r["id_number"] for r in county["recipients"].values()}
    cells = {c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row}
    assert not full & cells
    assert any(isinstance(c, str) and "********" in c for c in cells)


def test_the_export_is_audited(county):
    today = county["today"]
    weekly(county["reviewer"], today).close()
    query = select(AuditLog).where(AuditLog.action == "report.weekly_export")
    [audit] = db.session.execute(query).scalars().all()
    assert audit.user_id == county["reviewer"].user["id"]
    assert audit.details == {"from": str(today - timedelta(days=6)), "to": str(today), "visits": 4,
                             "difficulties": 5, "follow_up_overdue": 1, "deadline_overdue": 2}


def test_default_range_is_the_last_seven_days(county):
    today = county["today"]
    summary = workbook_of(county["reviewer"].get("/api/reports/weekly.xlsx"))["汇总"]
    assert f"{today - timedelta(days=6)} 至 {today}" in summary["A1"].value
    assert data_rows(summary, header_row=3)[-1]["走访次数"] == 4


def test_a_report_covers_only_the_readers_scope(county, reviewer):
    today = county["today"]
    book = workbook_of(weekly(reviewer, today))
    townships = [r["乡镇(街道)"] for r in data_rows(book["汇总"], header_row=3)]
    assert townships == ["城关镇", "青山乡", "河口镇", "合计"]
    names = {r["姓名"] for sheet in SHEETS[1:] for r in data_rows(book[sheet], header_row=2)}
    assert not names & {"钱一", "钱二", "钱三", "钱四"}


def test_an_admin_report_names_each_township_with_its_county(county, admin):
    book = workbook_of(weekly(admin, county["today"]))
    townships = [r["乡镇(街道)"] for r in data_rows(book["汇总"], header_row=3)]
    assert "测试县甲镇" in townships and "示范县城关镇" in townships


def test_staff_may_not_export(staff):
    response = staff.get("/api/reports/weekly.xlsx")
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("query", ["from=2026-02-30", "to=yesterday", "from=2026-11-10&to=2026-11-01",
                                   "from=2025-01-01&to=2026-06-30", "from=20261101"])
def test_bad_dates_are_refused(reviewer, query):
    response = reviewer.get(f"/api/reports/weekly.xlsx?{query}")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert set(response.json["error"]["fields"]) <= {"from", "to"}


def test_every_sheet_prints_a4_landscape_one_page_wide_with_its_header_repeated(county):
    today = county["today"]
    response = weekly(county["reviewer"], today)
    book = workbook_of(response)
    for sheet in book:
        header_row = 3 if sheet.title == "汇总" else 2
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize) == ("landscape", 9), sheet.title  # 9: A4
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.print_title_rows == f"${header_row}:${header_row}", sheet.title
        assert sheet.freeze_panes == f"A{header_row + 1}", sheet.title
        title = sheet["A1"].value
        assert title.startswith("测试县走访慰问工作周报") and f"{today - timedelta(days=6)} 至 {today}" in title
        # The export time as the office reads it: local, minutes, no ISO "T" and no zone code.
        stamp = title.split("导出时间：")[1]
        assert len(stamp) == 16 and stamp[10] == " " and stamp[:10] in (str(today), str(today + timedelta(days=1)))
        assert sheet["A1"].font.b and sheet["A1"].font.sz >= 14
        for row in sheet.iter_rows(min_row=header_row, max_row=sheet.max_row):
            for cell in row:
                if cell.value is not None:
                    assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin", (
                        sheet.title, cell.coordinate)


def test_summary_adds_coverage_by_township_and_village_for_running_campaigns(county):
    today = county["today"]
    reviewer = county["reviewer"]
    running = {"name": "春节走访", "starts_on": str(today - timedelta(days=10)),
               "ends_on": str(today + timedelta(days=5)), "categories": []}
    ended = {"name": "去年活动", "starts_on": "2025-01-01", "ends_on": "2025-02-01", "categories": []}
    for body in (running, ended):
        assert reviewer.post("/api/campaigns", json=body).status_code == 201
    summary = workbook_of(weekly(reviewer, today))["汇总"]
    rows = [list(r) for r in summary.iter_rows(values_only=True)]
    texts = [r[0] for r in rows]
    assert any(t and t.startswith("走访活动覆盖率：春节走访") for t in texts)
    assert not any(t and "去年活动" in t for t in texts)
    block = rows[texts.index("乡镇(街道) / 村(社区)") + 1:]
    table = {r[0]: tuple(r[1:4]) for r in block}
    # R1 and R3 (甲镇) were visited this week, R2 not; R4 (乙乡) was.
    assert table["甲镇"] == (3, 2, 0.6667) and table["　一村"] == (2, 1, 0.5) and table["　二村"] == (1, 1, 1)
    assert table["乙乡"] == (1, 1, 1) and table["合计"] == (4, 3, 0.75)
    [rate] = [c for r in summary.iter_rows() for c in r if c.value == 0.75]
    assert rate.number_format == "0.0%"
