"""The office journey in real Chromium: a phone logs a visit offline, a reviewer on a PC returns it, the phone
fixes it, the reviewer approves it and the phone can no longer edit it; the coverage dashboard matches the data."""

import hashlib
import os
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from .conftest import DEFAULT_TIMEOUT_MS, ROOT
from .console import options_of, shown_times, type_day, type_range
from .helpers import (
    go,
    login,
    open_recipient,
    open_section,
    outbox,
    outbox_rows,
    read_plain,
    wait_for_service_worker,
    wait_initial_sync,
    wait_until,
)
from .test_offline_journey import make_photo

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "docs" / "screenshots"
# Screenshots for the README are refreshed only when asked (ZOUFANG_SCREENSHOTS=1), so a test run leaves the
# tree clean.
TAKE_SHOTS = os.environ.get("ZOUFANG_SCREENSHOTS") == "1"
LAT, LNG = 30.274084, 120.15507


def shot(page, name: str) -> None:
    if TAKE_SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".el-message").first.wait_for(state="detached", timeout=10_000)  # toasts gone
        page.wait_for_timeout(300)  # let charts and fonts settle
        page.screenshot(path=str(SHOTS / f"{name}.png"))


def server_visit(api, visit_id: str) -> dict:
    answer = api.get(f"/api/visits/{visit_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def sync_phone(page, base: str) -> None:
    """Open the home screen and press "sync now"; the queue must drain."""
    go(page, base, "/")
    page.locator("[data-test=sync-now]").click()
    wait_until(lambda: not outbox_rows(page), timeout=30, message="the phone's queue to drain", page=page)


def phone_visit(page, visit_id: str) -> dict | None:
    return next((v for v in read_plain(page, "visits") if v["id"] == visit_id), None)


def wait_phone_status(page, base: str, visit_id: str, status: str) -> dict:
    def pulled():
        page.locator("[data-test=sync-now]").click()
        page.wait_for_timeout(500)
        v = phone_visit(page, visit_id)
        return v if v and v.get("status") == status else None

    go(page, base, "/")
    return wait_until(pulled, timeout=30, message=f"the phone to pull the visit as {status}", page=page)


def review_in_console(page, visit_id: str, decision: str, comment: str) -> None:
    page.locator(f"[data-test={decision}]").click()
    dialog = page.locator("[data-test=review-dialog]")
    dialog.wait_for()
    if comment:
        dialog.locator("[data-test=review-comment]").fill(comment)
    dialog.locator("[data-test=review-confirm]").click()
    dialog.wait_for(state="hidden")
    expected = {"approve": "已通过", "return": "已退回"}[decision]
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel)?.textContent.trim() === text",
        arg=["[data-test=detail-status]", expected], timeout=DEFAULT_TIMEOUT_MS)


def test_return_fix_approve_lock_and_coverage(context, office, e2e_server, staff_api, reviewer_api, tmp_path):
    base = e2e_server.url
    photo = make_photo(tmp_path / "photo.jpg")
    started = datetime.now(UTC)

    # --- The phone: log a visit offline (photo, GPS, cash with a reason for no signature, a difficulty).
    context.grant_permissions(["geolocation"], origin=base)
    context.set_geolocation({"latitude": LAT, "longitude": LNG, "accuracy": 12})
    phone = context.new_page()
    phone.goto(base + "/")
    login(phone, base)
    assert phone.url.rstrip("/") == base, "staff land on the field app, not the console"
    wait_for_service_worker(phone)
    wait_initial_sync(phone)
    context.set_offline(True)
    rid, name = open_recipient(phone, base, 3)
    phone.click("[data-test=start-visit]")
    phone.locator("[data-test=occasion] input").fill("春节走访慰问")
    phone.locator("[data-test=cash] input").fill("300")
    phone.locator("[data-test=no-signature-reason] input").fill("卧床无法签字")
    phone.locator("[data-test=notes] textarea").fill("家中老人身体尚可")
    open_section(phone, "photos")
    phone.set_input_files("[data-test=photo-input]", str(tmp_path / "photo.jpg"))
    phone.locator("[data-test=photo-thumb]").wait_for()
    phone.click("[data-test=location]")
    phone.locator("[data-test=location]").get_by_text(str(LAT)).wait_for()
    phone.click("[data-test=add-inline-difficulty]")
    phone.locator("[data-test=difficulty-description] textarea").last.fill("西厢房屋顶漏雨需修缮")
    phone.click("[data-test=submit-visit]")
    phone.wait_for_url(f"**/recipients/{rid}")
    queued = outbox(phone)
    visit_id = queued[0]["entity_id"]
    assert queued[0]["op"] == "visit.create"

    context.set_offline(False)
    wait_until(lambda: not outbox_rows(phone), timeout=45, message="the offline visit to sync", page=phone)
    assert server_visit(reviewer_api, visit_id)["status"] == "submitted"

    # --- The reviewer on a PC: logs in, lands on the console, finds the visit and returns it.
    pc = office.new_page()
    pc.goto(base + "/login")
    login(pc, base, "reviewer_demo")
    pc.wait_for_url("**/office/visits")
    pc.locator("[data-test=office-layout]").wait_for()
    # A row of the visits table: its cells carry the hooks (Element Plus tables put no attributes on rows).
    row = pc.locator("[data-test=visit-table] tr", has=pc.locator(f"[data-test=visit-row][data-id='{visit_id}']"))
    row.wait_for()
    assert name in row.inner_text() and "待审核" in row.inner_text()
    # Local time as a clerk writes it, and each person's area once (the demo's name already carries it).
    assert shown_times(row.inner_text()) and all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", t)
                                                 for t in shown_times(pc.inner_text(".office-main")))
    shot(pc, "office-visits")
    authors = options_of(pc, "filter-author")
    assert "李晓红（城关镇）" in authors and not [a for a in authors if a.count("（") > 1]
    row.locator("[data-test=visit-open]").click()
    pc.wait_for_url(f"**/office/visits/{visit_id}")
    pc.locator("[data-test=detail-cash]").get_by_text("300 元").wait_for()
    assert "卧床无法签字" in pc.inner_text(".office-main")
    assert str(LAT) in pc.locator("[data-test=detail-location]").inner_text()
    assert "精度约 12 米" in pc.locator("[data-test=detail-location]").inner_text()
    assert "西厢房屋顶漏雨需修缮" in pc.locator("[data-test=detail-difficulty]").inner_text()
    # The photo is served full size from the server and opens in a preview.
    sha = hashlib.sha256(photo).hexdigest()
    assert pc.locator("[data-test=detail-photo] img").get_attribute("src") == f"/api/attachments/{sha}"
    pc.wait_for_function("() => document.querySelector('[data-test=detail-photo] img').naturalWidth === 640",
                         timeout=DEFAULT_TIMEOUT_MS)
    # The ID number is masked until the reviewer asks (an audited read).
    masked = pc.inner_text("[data-test=id-number]")
    assert "*" in masked
    shot(pc, "office-visit-detail")
    pc.click("[data-test=reveal-id]")
    pc.wait_for_function("() => !document.querySelector('[data-test=id-number]').textContent.includes('*')",
                         timeout=DEFAULT_TIMEOUT_MS)
    full = pc.inner_text("[data-test=id-number]")
    assert full[:6] == masked[:6] and full[-4:] == masked[-4:] and len(full) == 18
    with pc.expect_popup(timeout=DEFAULT_TIMEOUT_MS) as popup:
        pc.click("[data-test=archive-link]")
    archive = popup.value
    archive.wait_for_load_state()
    assert f"/api/recipients/{rid}/archive.html" in archive.url and name in archive.inner_text("body")
    # Local times (2026-12-04 23:23), never an ISO string or a zone code.
    printed = archive.inner_text("body")
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", printed) and not re.search(r"\d{2}T\d{2}:", printed)
    archive.close()
    # The same archive as a PDF, made on the server.
    with pc.expect_download(timeout=DEFAULT_TIMEOUT_MS) as download:
        pc.click("[data-test=archive-pdf]")
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    # The photo opens full size and Esc closes it, as does the viewer's close button.
    pc.click("[data-test=detail-photo]")
    viewer = pc.locator(".el-image-viewer__wrapper")
    viewer.wait_for()
    assert viewer.locator("img").first.get_attribute("src") == f"/api/attachments/{sha}"
    pc.keyboard.press("Escape")
    viewer.wait_for(state="detached")
    pc.click("[data-test=detail-photo]")
    viewer.wait_for()
    viewer.locator(".el-image-viewer__close").click()
    viewer.wait_for(state="detached")
    # The return dialog closes with Esc too, sending nothing.
    pc.click("[data-test=return]")
    pc.locator("[data-test=review-dialog]").wait_for()
    pc.keyboard.press("Escape")
    pc.locator("[data-test=review-dialog]").wait_for(state="hidden")
    assert server_visit(reviewer_api, visit_id)["status"] == "submitted"

    review_in_console(pc, visit_id, "return", "请补充慰问金发放说明")
    assert "请补充慰问金发放说明" in pc.inner_text("[data-test=detail-comment]")
    assert server_visit(reviewer_api, visit_id)["status"] == "returned"
    # Reviewing it again is refused, and the console says why in words.
    assert reviewer_api.post(f"/api/visits/{visit_id}/review", {"decision": "approve"}).json()["error"]["code"] == \
        "invalid_transition"

    # --- The phone: the author is told (inbox API), sees the visit returned with the comment, and fixes it.
    inbox = staff_api.get("/api/notifications").json()["items"]
    assert any(n["kind"] == "visit_returned" and n["url"] == f"/visits/{visit_id}" for n in inbox)
    wait_phone_status(phone, base, visit_id, "returned")
    go(phone, base, f"/visits/{visit_id}")
    phone.get_by_text("请补充慰问金发放说明").first.wait_for()
    assert "已退回" in phone.inner_text("body")
    phone.click("[data-test=edit-visit]")
    phone.wait_for_url(f"**/visits/{visit_id}/edit")
    phone.locator("[data-test=notes] textarea").fill("家中老人身体尚可；慰问金由村委会代领后当面交付")
    phone.click("[data-test=submit-visit]")
    phone.wait_for_url(lambda url: "/edit" not in url)
    wait_until(lambda: not outbox_rows(phone), timeout=45, message="the fix to sync", page=phone)
    fixed = server_visit(reviewer_api, visit_id)
    assert fixed["status"] == "submitted" and "代领" in fixed["notes"]

    # --- The reviewer approves it.
    pc.reload()
    pc.locator("[data-test=detail-status]").get_by_text("待审核").wait_for()
    assert "代领" in pc.inner_text("[data-test=detail-notes]")
    review_in_console(pc, visit_id, "approve", "")
    assert server_visit(reviewer_api, visit_id)["status"] == "approved"

    # --- The phone can no longer edit it: the button is gone, and the server refuses an edit.
    wait_phone_status(phone, base, visit_id, "approved")
    go(phone, base, f"/visits/{visit_id}")
    phone.get_by_text("已通过").first.wait_for()
    assert phone.locator("[data-test=edit-visit]").count() == 0
    answer = staff_api.post("/api/sync/push", {"device_id": "e2e-office", "mutations": [{
        "id": str(uuid.uuid4()), "op": "visit.update", "data": {"id": visit_id, "notes": "改"},
        "base_version": server_visit(reviewer_api, visit_id)["version"],
        "client_time": datetime.now(UTC).isoformat()}]}).json()
    assert answer["results"][0]["status"] == "rejected"
    assert answer["results"][0]["error"]["code"] == "visit_locked"

    # --- The difficulties board shows the difficulty; the reviewer assigns a unit and a deadline.
    pc.click("[data-test=nav-difficulties]")
    pc.wait_for_url("**/office/difficulties")
    board_row = pc.locator("[data-test=board-table] tr").filter(has_text="西厢房屋顶漏雨需修缮")
    board_row.wait_for()
    shot(pc, "office-board")
    board_row.locator("[data-test=board-open]").click()
    pc.wait_for_url("**/office/difficulties/*")
    # The assignee picker names each colleague with their area once.
    assert not [a for a in options_of(pc, "assignee") if a.count("（") > 1]
    pc.locator("[data-test=unit]").fill("镇住建办")
    due = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    type_day(pc, "due-date", due)
    assert pc.locator("[data-test=due-date] input").input_value() == due
    pc.click("[data-test=save-assignment]")
    difficulty_id = pc.url.rsplit("/", 1)[-1]
    wait_until(lambda: reviewer_api.get(f"/api/difficulties/{difficulty_id}").json().get("due_date") == due,
               timeout=20, message="the assignment to be saved", page=pc)
    assert reviewer_api.get(f"/api/difficulties/{difficulty_id}").json()["responsible_unit"] == "镇住建办"

    # --- Coverage: a campaign made in the console; the dashboard's numbers match the data.
    today = started.astimezone(timezone(timedelta(hours=8))).date()
    pc.click("[data-test=nav-campaigns]")
    pc.wait_for_url("**/office/campaigns")
    pc.click("[data-test=campaign-new]")
    pc.locator("[data-test=campaign-name]").fill("e2e 走访活动")
    type_range(pc, "campaign-dates", (today - timedelta(days=20)).isoformat(), (today + timedelta(days=10)).isoformat())
    pc.click("[data-test=campaign-save]")
    pc.wait_for_url("**/office/campaigns/*")
    pc.locator("[data-test=kpi-targets]").wait_for()
    pc.locator("[data-test=chart-coverage] canvas").first.wait_for()

    changes = reviewer_api.pull_all()
    recipients = {c["id"] for c in changes if c["type"] == "recipient" and not c["deleted"]}
    lower = datetime.combine(today - timedelta(days=20), datetime.min.time(), timezone(timedelta(hours=8)))
    upper = datetime.combine(today + timedelta(days=11), datetime.min.time(), timezone(timedelta(hours=8)))
    visited = {c["data"]["recipient_id"] for c in changes if c["type"] == "visit" and not c["deleted"]
               and lower <= datetime.fromisoformat(c["data"]["visited_at"].replace("Z", "+00:00")) < upper}
    assert rid in visited
    assert int(pc.inner_text("[data-test=kpi-targets]")) == len(recipients)
    assert int(pc.inner_text("[data-test=kpi-visited]")) == len(visited & recipients)
    rate = round(len(visited & recipients) / len(recipients) * 100, 1)
    assert pc.inner_text("[data-test=kpi-rate]") == f"{rate:g}%"
    assert pc.inner_text("[data-test=not-visited-count]") == f"尚未走访 {len(recipients - visited)} 人"
    # The table's townships add up to the totals.
    cells = pc.locator("[data-test=coverage-table] .el-table__body tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.textContent.trim()))")
    assert sum(int(c[1]) for c in cells) == len(recipients)
    assert sum(int(c[2]) for c in cells) == len(visited & recipients)
    if TAKE_SHOTS:
        pc.reload()  # without the "created" toast
        pc.locator("[data-test=chart-coverage] canvas").first.wait_for()
    shot(pc, "office-coverage")

    # The notifications open in the console's own layout, not the phone's.
    pc.click("[data-test=office-inbox]")
    pc.wait_for_url("**/office/inbox")
    pc.locator("[data-test=office-layout] [data-test=inbox-table]").wait_for()
    assert pc.locator(".van-tabbar").count() == 0

    # The field app never downloaded office code: no office chunk in the phone's caches or its loaded scripts.
    loaded = phone.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    cached = phone.evaluate("async () => { const out = []; for (const k of await caches.keys()) {"
                            " for (const r of await (await caches.open(k)).keys()) out.push(r.url) } return out }")
    assert cached and not [u for u in cached + loaded if "/assets/office-" in u]
    assert list((ROOT / "pwa" / "dist" / "assets").glob("office-*.js")), "the build names its office chunks"
