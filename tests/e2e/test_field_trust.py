"""What the phone tells field staff, in real Chromium: a drawn signature is kept, the sync card says the truth offline."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from .helpers import (
    draw_signature_with_mouse,
    go,
    open_recipient,
    outbox,
    read_plain,
    read_store,
    start_online,
    wait_until,
)

pytestmark = pytest.mark.e2e



def last_sync_hhmm(page) -> str:
    """The phone's last successful sync as the card shows it: HH:MM, Shanghai time (the context's zone)."""
    row = next(r for r in read_store(page, "meta") if r["key"].startswith("last_sync:"))
    at = datetime.fromisoformat(row["value"].replace("Z", "+00:00"))
    return at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")


def sync_state(page):
    state = page.locator("[data-test=sync-state]")
    state.wait_for()
    return state


def test_a_signature_drawn_with_the_mouse_and_not_confirmed_is_saved_and_reaches_the_server(context, e2e_server, staff_api):
    base = e2e_server.url
    page = start_online(context, base)
    rid, _ = open_recipient(page, base, 7)
    page.click("[data-test=start-visit]")
    page.locator("[data-test=occasion] input").fill("鼠标签字的走访")
    page.locator("[data-test=cash] input").fill("300")
    draw_signature_with_mouse(page)
    assert page.locator("[data-test=signature-confirm]").is_enabled()  # drawn, never confirmed
    page.click("[data-test=submit-visit]")
    page.locator(".van-toast", has_text="已保存 · 正在同步").wait_for()  # online: the toast says it is on its way
    page.wait_for_url(f"**/recipients/{rid}")

    visit = next(v for v in read_plain(page, "visits") if v["recipient_id"] == rid and v.get("occasion") == "鼠标签字的走访")
    assert visit["signature"] and not visit.get("no_signature_reason")
    assert visit["cash_cents"] == 30000
    assert any(a["sha256"] == visit["signature"] for a in read_store(page, "attachments"))

    wait_until(lambda: not outbox(page), timeout=45, message="the visit to sync")
    stored = [c for c in staff_api.pull_all() if c["type"] == "visit" and c["id"] == visit["id"]]
    assert stored and stored[-1]["data"]["signature"] == visit["signature"]
    image = staff_api.get(f"/api/attachments/{visit['signature']}")
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"  # a JPEG


def test_offline_the_sync_card_is_calm_with_nothing_and_with_three_records_waiting(context, e2e_server):
    base = e2e_server.url
    page = start_online(context, base)
    go(page, base, "/outbox")
    page.locator("[data-test=outbox-empty] .van-icon").wait_for()
    assert page.locator("[data-test=outbox-empty] img").count() == 0  # no image to break offline
    wait_until(lambda: any(r["key"].startswith("last_sync:") for r in read_store(page, "meta")), message="a first sync")
    hhmm = last_sync_hhmm(page)

    context.set_offline(True)
    state = sync_state(page)
    expect_idle = f"离线 · 记录已保存在本机 · 上次同步 {hhmm}"
    wait_until(lambda: state.inner_text().strip() == expect_idle, timeout=10, page=page,
               message=f"{expect_idle!r}, got {state.inner_text()!r}")
    assert state.get_attribute("data-tone") == "calm"

    for i in range(3):
        open_recipient(page, base, 8 + i)
        page.click("[data-test=start-visit]")
        page.locator("[data-test=notes] textarea").fill(f"离线记录 {i}")
        page.click("[data-test=submit-visit]")
        toast = page.locator(".van-toast", has_text="已保存")
        toast.wait_for()
        assert "已保存 · 联网后自动同步" in toast.inner_text()
        page.wait_for_url("**/recipients/*")
    assert len(outbox(page)) == 3

    go(page, base, "/outbox")
    state = sync_state(page)
    expect_waiting = f"离线 · 3 条记录已保存在本机，联网后自动同步 · 上次同步 {hhmm}"
    wait_until(lambda: state.inner_text().strip() == expect_waiting, timeout=10, page=page,
               message=f"{expect_waiting!r}, got {state.inner_text()!r}")
    # Records waiting while offline are safe, not an error: the sync that failed offline does not turn it red.
    assert state.get_attribute("data-tone") == "calm"
    assert page.locator("[data-test=online-state]").inner_text() == "离线"

    # Tapping a queued record opens it.
    page.locator("[data-test=outbox-open]").first.click()
    page.wait_for_url(re.compile(r"/visits/[0-9a-f-]{36}$"))
    context.set_offline(False)
