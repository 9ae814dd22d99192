"""Recipients' papers: the archive page and PDF in local time and Chinese, the bulk archive ZIP of a village or
township (scoped, streamed), and a campaign's not-visited list as a workbook."""

import hashlib
import io
import re
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from server.extensions import db
from server.models import Area, AuditLog, Recipient
from server.services.reports import local_today
from server.services.users import create_user
from tests.conftest import PNG_1PX, difficulty_data, mutation, new_id, visit_data

PASSWORD = "Test@2026-papers"
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@pytest.fixture
def archived(staff, own_recipient):
    """own_recipient with a visit at 2026-11-01 02:05 UTC (10:05 in Shanghai) with a photo and a signature,
    and a difficulty followed up at 2026-11-05 15:40 UTC (23:40 local)."""
    sha = hashlib.sha256(PNG_1PX).hexdigest()
    assert staff.put(f"/api/attachments/{sha}", data=PNG_1PX, content_type="image/png").status_code == 201
    visit = visit_data(own_recipient["id"], visited_at="2026-11-01T02:05:00.000Z", photos=[sha], signature=sha,
                       notes="老人身体硬朗")
    difficulty = difficulty_data(own_recipient["id"], description="需要轮椅")
    follow_up = {"id": new_id(), "difficulty_id": difficulty["id"], "at": "2026-11-05T15:40:00.000Z",
                 "note": "已联系残联", "status": "in_progress", "next_follow_up_at": None}
    results = staff.push(mutation("visit.create", visit), mutation("difficulty.create", difficulty),
                         mutation("followup.create", follow_up))
    assert {r["status"] for r in results} == {"applied"}
    return own_recipient


def pdf_text(content: bytes) -> tuple[str, PdfReader]:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def test_archive_page_shows_local_times_never_iso_or_zone_codes(reviewer, archived):
    html = reviewer.get(f"/api/recipients/{archived['id']}/archive.html").get_data(as_text=True)
    assert "2026-11-01 10:05" in html and "2026-11-05 23:40" in html
    assert not ISO.search(html) and "Asia/" not in html and "UTC" not in html


def test_archive_pdf_has_chinese_text_local_times_photos_and_signature(app, reviewer, archived):
    response = reviewer.get(f"/api/recipients/{archived['id']}/archive.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text, reader = pdf_text(response.data)
    for words in (archived["name"], "优抚对象档案", "走访记录", "老人身体硬朗", "需要轮椅", "已联系残联",
                  "2026-11-01 10:05", "2026-11-05 23:40"):
        assert words in text, words
    assert not ISO.search(text) and "Asia/" not in text
    # The photo and the signature are in the PDF, read from the attachment store.
    assert sum(len(page.images) for page in reader.pages) >= 2
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "recipient.archive",
                                                      AuditLog.entity_id == archived["id"])).scalars().all()
    assert len(audit) == 1


def test_archive_pdf_fetches_nothing_but_the_recipients_attachments(app, reviewer, staff, own_recipient):
    visit = visit_data(own_recipient["id"], notes='<img src="file:///etc/passwd"> http://127.0.0.1/x')
    assert staff.push(mutation("visit.create", visit))[0]["status"] == "applied"
    text, _ = pdf_text(reviewer.get(f"/api/recipients/{own_recipient['id']}/archive.pdf").data)
    assert '<img src="file:///etc/passwd">' in text  # printed as text, never fetched
    assert "root:" not in text


def test_staff_cannot_print_the_archive(staff, own_recipient):
    assert staff.get(f"/api/recipients/{own_recipient['id']}/archive.pdf").status_code == 403


def zip_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/zip" and response.is_streamed
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_a_villages_zip_holds_one_pdf_per_recipient_of_the_village(reviewer, archived):
    village_id = archived["area_id"]
    people = db.session.execute(select(Recipient.id, Recipient.name).where(Recipient.area_id == village_id)).all()
    assert len(people) >= 2
    archive = zip_of(reviewer.get(f"/api/reports/archive.zip?area={village_id}"))
    names = archive.namelist()
    assert sorted(names) == sorted(f"{name}_{rid[:8]}.pdf" for rid, name in people)
    member = f"{archived['name']}_{archived['id'][:8]}.pdf"
    text, _ = pdf_text(archive.read(member))
    assert "已联系残联" in text and "2026-11-05 23:40" in text
    [audit] = db.session.execute(select(AuditLog).where(AuditLog.action == "report.archive_export")).scalars().all()
    assert audit.entity_id == str(village_id) and audit.details == {"recipients": len(people)}


def test_a_townships_zip_has_a_folder_per_village(reviewer, archived):
    township_id = db.session.get(Area, archived["area_id"]).parent_id
    villages = db.session.execute(select(Area.id, Area.name).where(Area.parent_id == township_id)).all()
    expected = {f"{vname}/{name}_{rid[:8]}.pdf" for vid, vname in villages
                for rid, name in db.session.execute(
                    select(Recipient.id, Recipient.name).where(Recipient.area_id == vid)).all()}
    archive = zip_of(reviewer.get(f"/api/reports/archive.zip?area={township_id}"))
    assert set(archive.namelist()) == expected and len(expected) > 3
    assert all(archive.read(name).startswith(b"%PDF-") for name in archive.namelist()[:2])


def test_the_bulk_archive_is_scoped_to_the_caller(app, login, staff, reviewer, archived):
    village_id = archived["area_id"]
    township_id = db.session.get(Area, village_id).parent_id
    other, county_id = db.session.execute(select(Area.id, Area.parent_id).where(
        Area.level == "township", Area.id != township_id).order_by(Area.code)).first()
    create_user("reviewer_other", "周主任（另一乡镇）", PASSWORD, "reviewer", other)
    township_reviewer = login("reviewer_other", PASSWORD)
    # Another township's office sees neither the township nor its village: they do not exist for it.
    for area_id in (township_id, village_id):
        response = township_reviewer.get(f"/api/reports/archive.zip?area={area_id}")
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert zip_of(township_reviewer.get(f"/api/reports/archive.zip?area={other}")).namelist()
    assert staff.get(f"/api/reports/archive.zip?area={village_id}").status_code == 403
    county = reviewer.get(f"/api/reports/archive.zip?area={county_id}")
    assert county.status_code == 422 and set(county.json["error"]["fields"]) == {"area"}
    assert reviewer.get("/api/reports/archive.zip").status_code == 422


def test_the_not_visited_list_exports_as_a_printable_workbook(reviewer, staff, archived):
    today = local_today("Asia/Shanghai")
    body = {"name": "冬季走访", "starts_on": str(today - timedelta(days=3)), "ends_on": str(today + timedelta(days=3)),
            "categories": []}
    campaign = reviewer.post("/api/campaigns", json=body).json
    visited = visit_data(archived["id"], visited_at=(f"{today - timedelta(days=1)}T02:00:00.000Z"))
    assert staff.push(mutation("visit.create", visited))[0]["status"] == "applied"
    coverage = reviewer.get(f"/api/campaigns/{campaign['id']}/coverage").json
    with reviewer.get(f"/api/campaigns/{campaign['id']}/not-visited.xlsx") as response:
        assert response.status_code == 200, response.data[:300]
        sheet = load_workbook(io.BytesIO(response.data))["未走访名单"]
    assert sheet["A1"].value.startswith("示范县冬季走访未走访名单") and "导出时间：" in sheet["A1"].value
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$3:$3"
    header = [c.value for c in sheet[3]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert len(rows) == coverage["totals"]["targets"] - coverage["totals"]["visited"] > 0
    assert [r["序号"] for r in rows] == list(range(1, len(rows) + 1))
    assert archived["id"] not in {n["id"] for n in coverage["not_visited"]}
    assert {(r["姓名"], r["村(社区)"]) for r in rows} == {(n["name"], n["village_name"])
                                                        for n in coverage["not_visited"]}
    assert all(r["乡镇(街道)"] and r["优抚类别"] for r in rows)
    assert staff.get(f"/api/campaigns/{campaign['id']}/not-visited.xlsx").status_code == 403
