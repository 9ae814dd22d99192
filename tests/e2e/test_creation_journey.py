"""The creation campaign end to end: the office imports a standard and assigns items to 县人武部 (through the API,
with the CSRF token); its liaison, on a phone (360×740, zh-CN) and offline, records an inspection with two photos
and GPS; online again it syncs; the office accepts one piece and scores a 失分点 with a 整改 deadline; the 整改's
reminder reaches the liaison's inbox and opens the item; the next weekly briefing (python-docx) lists it."""

import hashlib
import io
import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from PIL import Image

from .conftest import ROOT, browser_context
from .helpers import SPA_GO, go, login, outbox, read_store, wait_for_service_worker, wait_until
from .test_offline_journey import make_photo

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"
# The README's phone screenshots are refreshed only when asked (ZOUFANG_SCREENSHOTS=1): a run leaves the tree clean.
TAKE_SHOTS = os.environ.get("ZOUFANG_SCREENSHOTS") == "1"
LAT, LNG = 30.274084, 120.15507
RWB = "县人武部"


def shot(page, name: str) -> None:
    if TAKE_SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".van-toast").first.wait_for(state="hidden", timeout=10_000)
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"field-liaison-{name}.png"), full_page=name == "item")


def write(api, method: str, path: str, **kwargs):
    response = api.http.request(method, api.url + path, headers={"X-CSRF-Token": api.csrf}, timeout=60, **kwargs)
    assert response.status_code < 300, (path, response.status_code, response.text)
    return response.json()


def county_today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def import_and_assign(api) -> tuple[dict, dict]:
    """A new version of the standard from the county's workbook, and two of its items given to 县人武部: one
    overdue since yesterday, one due in ten days. Returns (the overdue item, the other).

    The new version carries each item's work on by number, so the two are items nobody has finished or sent
    evidence for yet (the demo's first items are done, with evidence)."""
    workbook = api.get("/api/creation/standard.xlsx")
    assert workbook.status_code == 200
    checked = write(api, "POST", "/api/creation/standards/import?dry_run=1",
                    files={"file": ("考评标准.xlsx", workbook.content)})
    assert checked["invalid"] == 0 and checked["standard"] is None
    imported = write(api, "POST", "/api/creation/standards/import", files={"file": ("考评标准.xlsx", workbook.content)})
    assert imported["invalid"] == 0 and imported["standard"] is not None
    unit = next(u for u in api.get("/api/creation/units").json()["items"] if u["name"] == RWB)
    items = [i for i in api.get("/api/creation/items").json()["items"]
             if i["status"] in ("not_started", "in_progress") and not sum(i["evidence"].values())
             and not i["open_rectifications"] and not i["metric"] and i["rule"]]
    late, later = items[0], items[1]
    today = county_today()
    late = write(api, "PATCH", f"/api/creation/items/{late['id']}", json={
        "lead_unit_id": unit["id"], "deadline": (today - timedelta(days=1)).isoformat(), "version": late["version"]})
    later = write(api, "PATCH", f"/api/creation/items/{later['id']}", json={
        "lead_unit_id": unit["id"], "deadline": (today + timedelta(days=10)).isoformat(), "version": later["version"]})
    return late, later


def test_a_liaison_records_an_inspection_offline_and_the_office_orders_a_fix(browser, e2e_server, reviewer_api,
                                                                              tmp_path):
    base = e2e_server.url
    late, later = import_and_assign(reviewer_api)
    # Two photos: a camera-like JPEG, and the same pixels at another quality (other bytes, another hash).
    files = [tmp_path / "a.jpg", tmp_path / "b.jpg"]
    Image.open(io.BytesIO(make_photo(files[0]))).save(files[1], "JPEG", quality=50)
    photos = [f.read_bytes() for f in files]
    shas = [hashlib.sha256(p).hexdigest() for p in photos]

    ctx = browser_context(browser, viewport={"width": 360, "height": 740}, has_touch=True,
                          geolocation={"latitude": LAT, "longitude": LNG, "accuracy": 12}, permissions=["geolocation"])
    try:
        page = ctx.new_page()
        page.goto(base + "/")
        login(page, base, "liaison_demo")
        # A liaison lands on their tasks: their unit's items, the overdue one first and marked; no roster tab.
        page.wait_for_url("**/creation")
        wait_for_service_worker(page)
        wait_until(lambda: {late["id"], later["id"]} <= {i["id"] for i in read_store(page, "creation_items")},
                   message="the liaison's items to be pulled", page=page)
        assert read_store(page, "recipients") == []
        row = page.locator(f"[data-test=creation-item][data-id='{late['id']}']")
        row.wait_for()
        assert late["number"] in row.inner_text() and row.get_attribute("data-urgency") == "overdue"
        assert "已逾期" in row.inner_text()
        assert page.locator(f"[data-test=creation-item][data-id='{later['id']}']").get_attribute("data-urgency") == "later"
        urgencies = [r.get_attribute("data-urgency") for r in page.locator("[data-test=creation-item]").all()]
        assert urgencies.index("overdue") < urgencies.index("later")  # overdue first
        assert page.locator("[data-test=tab-tasks]").is_visible()
        assert page.locator("nav").get_by_text("优抚对象").count() == 0
        page.evaluate(SPA_GO, "/recipients")  # inside the app: a reload would lock it
        page.wait_for_url("**/creation")  # the guard: never the recipient screens
        page.locator("[data-test=creation-item]").first.wait_for()
        shot(page, "tasks")

        # Offline: the item, then an inspection with two photos and GPS, queued in the outbox.
        ctx.set_offline(True)
        row.click()
        page.wait_for_url(f"**/creation/items/{late['id']}")
        page.locator("[data-test=item-content]", has_text=late["content"][:20]).wait_for()
        assert late["rule"] and late["rule"][:20] in page.locator("[data-test=item-rule]").inner_text()
        assert "已逾期" in page.locator("[data-test=item-deadline]").inner_text()
        page.click("[data-test=record-inspection]")
        page.wait_for_url("**/evidence/new")
        page.locator("[data-test=location]").get_by_text(f"{LAT}").wait_for()
        page.locator("[data-test=evidence-title] input").fill("示范点位现场检查")
        page.locator("[data-test=evidence-note] textarea").fill("军人服务站标识、制度上墙")
        for count, file in enumerate(files, start=1):
            page.set_input_files("[data-test=photo-input]", str(file))
            wait_until(lambda n=count: page.locator("[data-test=photo-thumb]").count() == n,
                       message="the photo thumbnail", page=page)
        shot(page, "inspection")
        page.click("[data-test=evidence-save]")
        page.wait_for_url(f"**/creation/items/{late['id']}")
        queued = outbox(page)
        assert [m["op"] for m in queued] == ["evidence.create", "evidence.create"]
        assert [m["attachments"] for m in queued] == [[shas[0]], [shas[1]]]
        assert queued[0]["data"]["location"]["lat"] == LAT
        assert [m["data"]["title"] for m in queued] == ["示范点位现场检查（1/2）", "示范点位现场检查（2/2）"]
        assert page.locator("[data-test=item-evidence]").count() == 2  # shown at once, waiting to sync

        # Online: it syncs, photos first through /api/attachments, then the two pieces.
        ctx.set_offline(False)
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        wait_until(lambda: not outbox(page), timeout=45, message="the outbox to drain", page=page)
        evidence = reviewer_api.get(f"/api/creation/evidence?item_id={late['id']}").json()["items"]
        assert sorted(e["sha256"] for e in evidence) == sorted(shas)
        assert all(e["status"] == "submitted" and e["location"]["lat"] == LAT for e in evidence)
        for sha, photo in zip(shas, photos, strict=True):
            assert reviewer_api.get(f"/api/attachments/{sha}").content == photo

        # The office accepts one piece, returns the other, and scores a 失分点 with a 整改 within nine days.
        first_piece, second_piece = sorted(evidence, key=lambda e: e["title"])
        write(reviewer_api, "POST", f"/api/creation/evidence/{first_piece['id']}/review", json={"decision": "accept"})
        write(reviewer_api, "POST", f"/api/creation/evidence/{second_piece['id']}/review",
              json={"decision": "return", "comment": "照片不清晰，请重拍"})
        current = reviewer_api.get(f"/api/creation/items/{late['id']}").json()
        fix_by = county_today() + timedelta(days=9)
        scored = write(reviewer_api, "PATCH", f"/api/creation/items/{late['id']}", json={
            "estimated_score": 0, "loss_notes": "示范点位台账不全", "rectification_deadline": fix_by.isoformat(),
            "version": current["version"]})
        assert scored["status"] == "needs_fix"
        [fix] = [r for r in scored["rectifications"] if r["status"] == "open"]
        assert fix["deadline"] == fix_by.isoformat()

        # The reminders go out as the dispatcher sends them; the 整改 notice is in the liaison's inbox.
        e2e_server.flask("reminders", "send-due")
        go(page, base, "/inbox", "liaison_demo")
        # Its own notice: an earlier test's 整改 on the same item (the console's) has another deadline.
        notice = page.locator("[data-test=inbox-item]", has_text=f"第{late['number']}项有1条整改任务").filter(
            has_text=f"{fix_by.month}月{fix_by.day}日")
        notice.first.wait_for()
        notice = notice.first
        assert "整改通知" in notice.inner_text()
        shot(page, "inbox")
        notice.click()
        page.wait_for_url(f"**/creation/items/{late['id']}", timeout=20_000)
        page.locator("[data-test=item-fix]", has_text="示范点位台账不全").wait_for()
        returned = page.locator("[data-test=item-evidence][data-status=returned]")
        returned.wait_for()
        assert "照片不清晰，请重拍" in returned.inner_text()
        assert page.locator("[data-test=item-evidence][data-status=accepted]").count() == 1
        assert "需整改" in page.locator("[data-test=item-status]").inner_text()
        shot(page, "item")
    finally:
        ctx.close()

    # The next weekly briefing lists the 整改, its item and its deadline, and the new evidence.
    response = reviewer_api.get("/api/creation/briefing.docx")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    text = "\n".join([p.text for p in document.paragraphs] + cells)
    assert "五、整改情况" in text
    assert "示范点位台账不全" in cells and fix_by.isoformat() in cells and RWB in cells
    assert "示范点位现场检查（1/2）" in cells
