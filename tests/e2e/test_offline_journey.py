"""The field journey in real Chromium against the real server: offline work, reloads, sync, rejections, expiry."""

import hashlib
import io
import random
import re
import uuid

import pytest
from PIL import Image

from .helpers import (
    draw_signature,
    go,
    goto_unlocked,
    login,
    open_recipient,
    open_section,
    outbox,
    outbox_rows,
    queue_mutations,
    read_plain,
    read_store,
    start_online,
    unlock,
    wait_until,
)

pytestmark = pytest.mark.e2e


def make_photo(path) -> bytes:
    """A small camera-like JPEG (fits the device limits, so the app keeps its bytes as they are)."""
    rng = random.Random(7)
    img = Image.new("RGB", (640, 480))
    img.putdata([(rng.randrange(256), rng.randrange(256), 120) for _ in range(640 * 480)])
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    data = buf.getvalue()
    path.write_bytes(data)
    return data



def save_simple_visit(page, notes: str) -> None:
    page.click("[data-test=start-visit]")
    page.locator("[data-test=notes] textarea").fill(notes)
    page.click("[data-test=submit-visit]")
    page.wait_for_url("**/recipients/*")


def test_offline_visit_with_photo_signature_and_two_difficulties_syncs_exactly_once(context, e2e_server, staff_api, tmp_path):
    base = e2e_server.url
    photo = make_photo(tmp_path / "photo.jpg")
    page = start_online(context, base)

    context.set_offline(True)
    page.reload()
    unlock(page, base)  # the data key lives only in memory: a reload asks for the password, offline too
    page.locator("[data-test=online-state]").wait_for()
    assert page.locator("[data-test=online-state]").inner_text() == "离线"

    rid, _ = open_recipient(page, base, 0)
    page.click("[data-test=start-visit]")
    page.locator("[data-test=occasion] input").fill("春节走访慰问")
    open_section(page, "details")
    page.locator("[data-test=gifts] input").fill("米、油")
    page.locator("[data-test=cash] input").fill("500")
    open_section(page, "photos")
    page.set_input_files("[data-test=photo-input]", str(tmp_path / "photo.jpg"))
    page.locator("[data-test=photo-thumb]").wait_for()
    draw_signature(context, page)
    for text in ("房屋漏雨需修缮", "慢性病用药负担重"):
        page.click("[data-test=add-inline-difficulty]")
        page.locator("[data-test=difficulty-description] textarea").last.fill(text)
    page.click("[data-test=submit-visit]")
    page.wait_for_url(f"**/recipients/{rid}")

    queued = outbox(page)
    assert [m["op"] for m in queued] == ["visit.create", "difficulty.create", "difficulty.create"]
    visit_id = queued[0]["entity_id"]
    sha = hashlib.sha256(photo).hexdigest()
    assert queued[0]["data"]["photos"] == [sha]
    assert queued[0]["data"]["signature"]
    assert queued[0]["data"]["cash_cents"] == 50000

    # Close the app and open it again, still offline: the password opens it, the queue is intact and shown.
    page.close()
    page = context.new_page()
    goto_unlocked(page, base + "/outbox", base)
    page.locator("[data-test=outbox-item]").first.wait_for()
    assert page.locator("[data-test=outbox-item]").count() == 3
    assert [m["entity_id"] for m in outbox(page)][0] == visit_id

    context.set_offline(False)
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the outbox to drain")
    page.locator("[data-test=outbox-empty]").wait_for()

    changes = staff_api.pull_all()
    # The recipient may have older (seeded) visits: exactly one is this one.
    visits = [c for c in changes if c["type"] == "visit" and c["data"]["recipient_id"] == rid and not c["deleted"]
              and c["data"]["occasion"] == "春节走访慰问"]
    assert [v["id"] for v in visits] == [visit_id]
    assert visits[0]["data"]["photos"] == [sha] and visits[0]["data"]["cash_cents"] == 50000
    difficulties = [c for c in changes if c["type"] == "difficulty" and c["data"]["visit_id"] == visit_id]
    assert sorted(d["data"]["description"] for d in difficulties) == ["慢性病用药负担重", "房屋漏雨需修缮"]
    stored = staff_api.get(f"/api/attachments/{sha}")
    assert stored.status_code == 200
    assert stored.content == photo
    signature = staff_api.get(f"/api/attachments/{visits[0]['data']['signature']}")
    assert signature.status_code == 200 and signature.content[:2] == b"\xff\xd8"


def test_a_rejected_record_stays_visible_while_the_rest_sync(context, e2e_server, staff_api):
    base = e2e_server.url
    page = start_online(context, base)
    rid, _ = open_recipient(page, base, 1)
    save_simple_visit(page, "第一次走访")
    wait_until(lambda: not outbox_rows(page), message="the first visit to sync")
    visit_id = next(v["id"] for v in read_plain(page, "visits") if v["recipient_id"] == rid and v.get("notes") == "第一次走访")

    context.set_offline(True)
    go(page, base, f"/visits/{visit_id}/edit")
    page.locator("[data-test=notes] textarea").fill("离线时补充的情况")
    page.click("[data-test=submit-visit]")
    page.wait_for_url(f"**/recipients/{rid}")
    other_rid, _ = open_recipient(page, base, 2)
    save_simple_visit(page, "另一户的走访")
    assert [m["op"] for m in outbox_rows(page)] == ["visit.update", "visit.create"]

    # Meanwhile the county office approves the first visit: the phone's edit can no longer apply.
    reviewer = e2e_server.api("reviewer_demo")
    try:
        assert reviewer.post(f"/api/visits/{visit_id}/review", {"decision": "approve", "comment": ""}).status_code == 200
    finally:
        reviewer.close()

    context.set_offline(False)
    wait_until(lambda: [m["state"] for m in outbox_rows(page)] == ["rejected"], timeout=45, message="one rejected mutation")
    left = outbox(page)
    assert left[0]["op"] == "visit.update" and left[0]["error"]["code"] == "visit_locked"
    go(page, base, "/outbox")
    item = page.locator("[data-test=outbox-item]")
    item.first.wait_for()
    assert item.count() == 1
    assert "走访已审核通过，不能再修改" in page.locator("[data-test=outbox-reason]").inner_text()

    changes = staff_api.pull_all()
    assert any(c["type"] == "visit" and c["data"]["recipient_id"] == other_rid and c["data"]["notes"] == "另一户的走访"
               for c in changes)

    page.click("[data-test=outbox-discard]")
    page.locator(".van-dialog__confirm").click()
    page.locator("[data-test=outbox-empty]").wait_for()


def test_session_expired_while_offline_then_relogin_flushes_the_queue(context, e2e_server, staff_api):
    base = e2e_server.url
    page = start_online(context, base)
    context.set_offline(True)
    rid, _ = open_recipient(page, base, 3)
    save_simple_visit(page, "会话过期前记录")
    assert len(outbox_rows(page)) == 1

    # The session lapsed meanwhile (the cookie is gone: plain 401, not a revocation: nothing is wiped).
    context.clear_cookies()
    context.set_offline(False)
    page.locator("[data-test=login-expired]").wait_for(timeout=45_000)
    assert len(outbox_rows(page)) == 1
    assert read_store(page, "recipients"), "an expired session keeps the replica"

    login(page, base)
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the queue to flush after re-login")
    fresh = e2e_server.api("staff_demo")
    try:
        assert any(c["type"] == "visit" and c["data"]["recipient_id"] == rid and c["data"]["notes"] == "会话过期前记录"
                   for c in fresh.pull_all())
    finally:
        fresh.close()


def test_the_visit_form_survives_a_reload_mid_typing(context, e2e_server):
    base = e2e_server.url
    page = start_online(context, base)
    open_recipient(page, base, 4)
    page.click("[data-test=start-visit]")
    page.locator("[data-test=occasion] input").fill("八一建军节慰问")
    page.locator("[data-test=notes] textarea").fill("老人身体尚可，")
    page.wait_for_timeout(600)  # the draft is written within 250 ms of the last keystroke
    context.set_offline(True)
    page.reload()
    unlock(page, base)  # offline: the phone alone checks the password, then the form comes back
    page.locator("[data-test=occasion] input").wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-test=occasion] input')?.value === '八一建军节慰问'", timeout=15_000)
    assert page.locator("[data-test=notes] textarea").input_value() == "老人身体尚可，"
    context.set_offline(False)


def test_chinese_by_default_and_english_after_switching(context, e2e_server):
    base = e2e_server.url
    page = context.new_page()
    page.goto(base + "/")
    assert page.locator("button[type=submit]").inner_text().strip() == "登录"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    login(page, base)
    page.locator(".van-tabbar").get_by_text("首页").wait_for()
    go(page, base, "/settings")
    page.click("[data-test=lang-en]")
    page.locator(".van-tabbar").get_by_text("Home").wait_for()
    page.reload()
    assert page.locator("button[type=submit]").inner_text().strip() == "Unlock"
    unlock(page, base)
    page.locator(".van-tabbar").get_by_text("Settings").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"


def test_a_second_user_on_the_phone_never_sends_the_first_users_records(context, e2e_server, staff_api):
    base = e2e_server.url
    page = start_online(context, base)
    context.set_offline(True)
    rid, _ = open_recipient(page, base, 5)
    save_simple_visit(page, "第一位用户离线记录")
    [queued] = outbox(page)

    go(page, base, "/settings")
    page.click("[data-test=logout]")
    assert "1 条记录未同步" in page.locator(".van-dialog__message").inner_text()
    page.locator(".van-dialog__confirm").click()
    page.wait_for_url("**/login*")

    context.set_offline(False)
    login(page, base, "reviewer_demo")
    # Whatever screen the reviewer lands on, the engine runs a full round (push, then pull) after login.
    wait_until(lambda: any(row["key"].startswith("last_sync:") and row["key"] != f"last_sync:{queued['user_id']}"
                           for row in read_store(page, "meta")), timeout=45, message="the reviewer's first sync")
    assert any(r["id"] == rid for r in read_store(page, "recipients"))
    assert [m["id"] for m in outbox(page)] == [queued["id"]]
    early = [c for c in staff_api.pull_all() if c["type"] == "visit" and c["data"].get("notes") == "第一位用户离线记录"]
    assert not early, f"sent before its user logged in again: {early}, outbox {outbox(page)}"
    go(page, base, "/settings", "reviewer_demo")
    page.locator("[data-test=other-users]").wait_for()

    page.click("[data-test=logout]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_url("**/login*")
    login(page, base, "staff_demo")
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the first user's queue to flush")
    visits = [c for c in staff_api.pull_all() if c["type"] == "visit" and c["data"].get("notes") == "第一位用户离线记录"]
    assert len(visits) == 1 and visits[0]["data"]["recipient_id"] == rid


def test_with_the_app_closed_the_sealed_queue_waits_for_the_next_unlock(context, e2e_server, staff_api):
    """Background Sync fires with no page open: the worker cannot open the queue (its key lives only in an unlocked
    page's memory), so nothing leaves; the next unlock sends it."""
    base = e2e_server.url
    page = start_online(context, base)
    context.set_offline(True)
    rid, _ = open_recipient(page, base, 6)
    save_simple_visit(page, "后台同步的记录")
    assert len(outbox_rows(page)) == 1
    page.close()

    # No page of the app is open: only the service worker could send the queue.
    blank = context.new_page()
    cdp = context.new_cdp_session(blank)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    wait_until(lambda: registrations, timeout=15, message="the service worker registration", page=blank)
    context.set_offline(False)
    reg = next(r for r in registrations if r["scopeURL"].startswith(base))
    cdp.send("ServiceWorker.dispatchSyncEvent", {"origin": base, "registrationId": reg["registrationId"],
                                                  "tag": "zoufang-sync", "lastChance": False})

    def synced():
        return any(c["type"] == "visit" and c["data"].get("notes") == "后台同步的记录" and c["data"]["recipient_id"] == rid
                   for c in staff_api.pull_all())

    blank.wait_for_timeout(3000)  # what the worker's sync event would have sent by now (it sent it in ~1 s before)
    assert not synced()
    cdp.detach()

    page = context.new_page()
    goto_unlocked(page, base + "/outbox", base)
    wait_until(synced, timeout=45, interval=1, message="the unlocked page to push the visit", page=page)


def test_offline_new_recipient_visit_and_follow_up_reach_the_server(context, e2e_server, staff_api):
    base = e2e_server.url
    page = start_online(context, base)
    context.set_offline(True)

    # A follow-up on an open difficulty (the seed gives the first recipients some).
    go(page, base, "/")
    page.locator("[data-test=due-item]").first.click()
    page.wait_for_url("**/difficulties/*")
    difficulty_id = page.url.rsplit("/", 1)[-1]
    page.locator("[data-test=followup-note] textarea").fill("已电话联系，下周上门")
    page.get_by_text("处理中", exact=True).click()
    page.click("[data-test=save-followup]")
    page.locator(".van-cell__label", has_text="已电话联系，下周上门").wait_for()
    assert page.locator("[data-test=difficulty-status]").inner_text().endswith("处理中")

    # A household met on the road: create the recipient offline, then log the visit for it.
    go(page, base, "/recipients")
    page.click("[data-test=new-recipient]")
    page.locator("[data-test=recipient-name] input").fill("赵新来")
    page.locator("[data-test=recipient-area]").select_option(index=1)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/recipients/[0-9a-f-]{36}$"))
    new_rid = page.url.rsplit("/", 1)[-1]
    save_simple_visit(page, "新登记对象的首次走访")
    assert [m["op"] for m in outbox(page)] == ["followup.create", "recipient.create", "visit.create"]

    context.set_offline(False)
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the outbox to drain")
    changes = {(c["type"], c["id"]): c for c in staff_api.pull_all()}
    assert changes[("recipient", new_rid)]["data"]["name"] == "赵新来"
    assert any(c["type"] == "visit" and c["data"]["recipient_id"] == new_rid for c in changes.values())
    followups = [c for c in changes.values() if c["type"] == "followup" and c["data"]["difficulty_id"] == difficulty_id]
    assert [f["data"]["note"] for f in followups] == ["已电话联系，下周上门"]
    assert changes[("difficulty", difficulty_id)]["data"]["status"] == "in_progress"


def test_a_long_queue_goes_two_batches_at_a_time_and_dependent_records_after_their_own(context, e2e_server, staff_api):
    """600 queued mutations against the real server: 200 visits of known recipients, 200 new recipients (a
    batch independent of the first, so it travels beside it), 200 visits of the new recipients (which must
    wait for the recipients' answer). Every one is applied exactly once; nothing is rejected."""
    base = e2e_server.url
    page = start_online(context, base)
    # A slow link (half a second each way, as in a village): a batch's answer takes longer than the phone needs
    # to read and send the next one, so whether it waits shows only what the engine decides.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 500, "downloadThroughput": -1, "uploadThroughput": -1})
    known = sorted(read_store(page, "recipients"), key=lambda r: r["id"])
    user_id = str(next(r["value"] for r in read_store(page, "meta") if r["key"] == "session")["user"]["id"])
    village = known[0]["area_id"]

    def visit(recipient_id: str, i: int) -> dict:
        return {"op": "visit.create", "data": {
            "id": str(uuid.uuid4()), "recipient_id": recipient_id, "visited_at": "2026-11-20T02:00:00.000Z",
            "kind": "routine", "occasion": f"批量走访 {i}", "participants": "李晓红", "gifts": "", "cash_cents": 0,
            "notes": "离线批量记录", "location": None, "photos": [], "signature": None, "no_signature_reason": None}}

    new = [{"op": "recipient.create", "data": {
        "id": str(uuid.uuid4()), "name": f"新对象{i}", "gender": "male", "id_number": None, "phone": None,
        "address": None, "area_id": village, "category": "veteran", "tags": [], "notes": None}} for i in range(200)]
    of_known = [visit(known[i % len(known)]["id"], i) for i in range(200)]
    of_new = [visit(m["data"]["id"], i) for i, m in enumerate(new)]
    queue_mutations(page, user_id, of_known + new + of_new)
    assert len(outbox_rows(page)) == 600

    # Queued behind the engine's back (no save ran): the `online` event starts the round that sends them.
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_until(lambda: not outbox_rows(page), timeout=60, message="the outbox to drain", page=page)
    cdp.detach()

    pushes = page.evaluate("""() => performance.getEntriesByType('resource')
      .filter((e) => e.name.endsWith('/api/sync/push')).map((e) => [e.startTime, e.responseEnd])""")
    assert len(pushes) == 3
    (first_sent, first_answered), (second_sent, second_answered), (third_sent, _) = pushes
    assert first_answered - first_sent >= 450  # the slow link is in place
    assert second_sent < first_answered  # the new recipients travelled beside the first batch
    assert third_sent > second_answered  # their visits left only after the recipients' answer

    changes = {(c["type"], c["id"]): c for c in staff_api.pull_all()}
    for m in of_known + new + of_new:
        kind = m["op"].split(".")[0]
        assert changes[(kind, m["data"]["id"])]["version"] == 1, m
    assert sum(1 for c in changes.values() if c["type"] == "recipient" and c["data"]["name"].startswith("新对象")) == 200
