"""Notifications in real Chromium: a push shown by the service worker and its tap routed, the inbox badge polled
without Web Push, and the Settings switch subscribing end to end through the dispatcher and web-push-testing."""

import json
import sqlite3
import uuid

import pytest

from tests.system.push_server import start_push_server

from .conftest import DEFAULT_TIMEOUT_MS
from .helpers import go, login, unlock, wait_for_service_worker, wait_until

pytestmark = pytest.mark.e2e

WAIT = 20  # seconds, for anything polled here


@pytest.fixture
def push_server():
    server = start_push_server()
    try:
        yield server
    finally:
        server.stop()


def returned_visit(staff_api, reviewer_api) -> str:
    """staff_demo submits a visit and reviewer_demo returns it: the server makes a `visit_returned` row."""
    recipient = next(c["data"] for c in staff_api.pull_all() if c["type"] == "recipient")
    visit_id = str(uuid.uuid4())
    answer = staff_api.post("/api/sync/push", {"device_id": "e2e-push", "mutations": [{
        "id": str(uuid.uuid4()), "op": "visit.create", "base_version": None, "client_time": "2026-11-28T08:00:00.000Z",
        "data": {"id": visit_id, "recipient_id": recipient["id"], "visited_at": "2026-11-28T02:00:00.000Z",
                 "kind": "routine", "occasion": "日常走访", "participants": "李晓红", "gifts": "米、油", "cash_cents": 0,
                 "notes": "身体状况良好", "location": None, "photos": [], "signature": None,
                 "no_signature_reason": None}}]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "applied", answer.text
    review = reviewer_api.post(f"/api/visits/{visit_id}/review", {"decision": "return", "comment": "请补充情况"})
    assert review.status_code == 200, review.text
    return visit_id


def inbox(api) -> dict:
    answer = api.get("/api/notifications")
    assert answer.status_code == 200, answer.text
    return answer.json()


def badge(page) -> int:
    loc = page.locator("[data-test=tab-inbox] .van-badge")
    if not loc.count() or not loc.first.is_visible():
        return 0
    return int(loc.first.inner_text().strip() or 0)


def service_worker(context):
    if not context.service_workers:
        context.wait_for_event("serviceworker", timeout=DEFAULT_TIMEOUT_MS)
    return context.service_workers[0]


def test_a_pushed_notification_is_shown_and_its_tap_opens_the_due_list(context, e2e_server):
    base = e2e_server.url
    context.grant_permissions(["notifications"], origin=base)
    page = context.new_page()
    login(page, base)
    wait_for_service_worker(page)

    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    try:
        cdp.send("ServiceWorker.enable")
        reg = wait_until(lambda: next((r for r in registrations if r["scopeURL"] == base + "/" and not r["isDeleted"]),
                                      None), timeout=WAIT, page=page, message="the service worker registration")
        payload = {"id": 987654, "kind": "follow_up_due", "title": "今日跟进提醒", "body": "3 项跟进今天到期",
                   "url": "/difficulties?due=today", "tag": "notification-987654"}
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": base, "registrationId": reg["registrationId"],
                                                      "data": json.dumps(payload, ensure_ascii=False)})
    finally:
        cdp.detach()

    shown = wait_until(lambda: page.evaluate("""async () => {
        const reg = await navigator.serviceWorker.ready;
        return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, icon: n.icon,
          data: n.data }));
    }"""), timeout=WAIT, page=page, message="the notification to be shown")
    assert shown == [{"title": "今日跟进提醒", "body": "3 项跟进今天到期", "tag": "notification-987654",
                      "icon": base + "/pwa-192x192.png", "data": {"id": 987654, "url": "/difficulties?due=today"}}]

    # CDP cannot click a notification: dispatch the click in the worker to run the real handler on the real one.
    go(page, base, "/settings")
    service_worker(context).evaluate("""async (tag) => {
        const [n] = await self.registration.getNotifications({ tag });
        self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n }));
    }""", "notification-987654")
    page.wait_for_url(lambda url: url.endswith("/difficulties?due=today"), timeout=WAIT * 1000)
    assert page.locator("[data-test=difficulties-title]").inner_text().strip().startswith("今天到期的跟进")
    # The handler closed it.
    wait_until(lambda: page.evaluate(
        "async () => (await (await navigator.serviceWorker.ready).getNotifications()).length") == 0,
        timeout=WAIT, page=page, message="the notification to be closed")


def test_the_inbox_badge_counts_unread_rows_without_push_and_drops_after_reading(context, e2e_server, staff_api,
                                                                                  reviewer_api):
    base = e2e_server.url
    page = context.new_page()
    login(page, base)
    wait_for_service_worker(page)
    before = inbox(staff_api)["unread"]
    wait_until(lambda: badge(page) == before, timeout=WAIT, page=page, message=f"the badge to show {before}")

    first = returned_visit(staff_api, reviewer_api)
    second = returned_visit(staff_api, reviewer_api)
    assert inbox(staff_api)["unread"] == before + 2

    # No push at all: the page polls (here on `online`, as when the phone gets its connection back).
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_until(lambda: badge(page) == before + 2, timeout=WAIT, page=page, message="the badge to count the new rows")

    page.locator("[data-test=tab-inbox]").click()
    page.wait_for_url("**/inbox")
    items = page.locator("[data-test=inbox-item][data-unread='1']")
    wait_until(lambda: items.count() == before + 2, timeout=WAIT, page=page, message="the unread rows listed")
    newest = page.locator("[data-test=inbox-item]").first
    assert "走访记录被退回" in newest.inner_text()
    newest.click()
    page.wait_for_url(f"**/visits/{second}")

    wait_until(lambda: inbox(staff_api)["unread"] == before + 1, timeout=WAIT, message="the server to mark it read")
    read = {i["url"]: i["read_at"] for i in inbox(staff_api)["items"]}
    assert read[f"/visits/{second}"] is not None and read[f"/visits/{first}"] is None
    go(page, base, "/")
    wait_until(lambda: badge(page) == before + 1, timeout=WAIT, page=page, message="the badge to go down")

    # Offline, the badge still shows the last answer (cached in IndexedDB), and the list too.
    context.set_offline(True)
    try:
        page.reload()
        unlock(page, base)  # offline: the phone alone checks the password
        page.locator("[data-test=tab-inbox]").wait_for()
        wait_until(lambda: badge(page) == before + 1, timeout=WAIT, page=page, message="the cached badge offline")
        page.locator("[data-test=tab-inbox]").click()
        page.locator("[data-test=inbox-offline]").wait_for()
        assert page.locator("[data-test=inbox-item][data-unread='1']").count() == before + 1
    finally:
        context.set_offline(False)


STUB_PUSH = """
(sub) => {
  window.__push = { permissionAsked: 0, subscribed: [], unsubscribed: 0 };
  const current = { value: null };
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  Notification.requestPermission = async () => { window.__push.permissionAsked++; return 'granted'; };
  PushManager.prototype.getSubscription = async function () { return current.value; };
  PushManager.prototype.subscribe = async function (opts) {
    const key = opts.applicationServerKey;
    window.__push.subscribed.push(b64url(key.buffer ?? key));
    current.value = {
      endpoint: sub.endpoint, expirationTime: null, options: { userVisibleOnly: true, applicationServerKey: key.buffer ?? key },
      toJSON: () => ({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }),
      unsubscribe: async () => { window.__push.unsubscribed++; current.value = null; return true; },
    };
    return current.value;
  };
}
"""


def stored_endpoints(e2e_server) -> list[str]:
    with sqlite3.connect(f"file:{e2e_server.tmp / 'e2e.db'}?mode=ro", uri=True, timeout=10) as db:
        return [row[0] for row in db.execute("SELECT endpoint FROM push_subscriptions")]


def test_the_settings_switch_subscribes_and_the_dispatcher_delivers(context, e2e_server, staff_api, reviewer_api,
                                                                  push_server):
    base = e2e_server.url
    key = staff_api.get("/api/push/vapid-public-key").json()["public_key"]
    sub = push_server.subscribe(key)
    # A real pushManager.subscribe() needs the browser vendor's push service: hand out the test server's.
    context.add_init_script(script=f"({STUB_PUSH})({json.dumps({'endpoint': sub['endpoint'], 'keys': sub['keys']})})")
    page = context.new_page()
    login(page, base)
    wait_for_service_worker(page)
    go(page, base, "/settings")
    cell = page.locator("[data-test=push-cell]")
    assert "到期跟进和被退回的走访会提醒您，不含任何个人信息" in cell.inner_text()
    assert page.evaluate("() => window.__push.permissionAsked") == 0  # never before the user asks

    page.locator("[data-test=push-switch]").click()
    page.locator("[data-test=push-switch].van-switch--on").wait_for()
    assert page.evaluate("() => window.__push") == {"permissionAsked": 1, "subscribed": [key], "unsubscribed": 0}
    wait_until(lambda: sub["endpoint"] in stored_endpoints(e2e_server), timeout=WAIT, message="the subscription row")

    # The whole path: a returned visit → the dispatcher → encrypted, VAPID-signed → decrypted by the push server.
    visit_id = returned_visit(staff_api, reviewer_api)
    e2e_server.flask("reminders", "send-due")
    received = [json.loads(m) for m in push_server.messages(sub["clientHash"])]
    mine = [m for m in received if m["url"] == f"/visits/{visit_id}"]
    assert len(mine) == 1, received
    assert mine[0]["kind"] == "visit_returned" and mine[0]["tag"] == f"notification-{mine[0]['id']}"
    assert "李" not in json.dumps(mine[0], ensure_ascii=False)  # no personal data in the payload

    # Off again: the browser unsubscribes and the server forgets it.
    page.locator("[data-test=push-switch]").click()
    page.locator("[data-test=push-switch]:not(.van-switch--on)").wait_for()
    assert page.evaluate("() => window.__push.unsubscribed") == 1
    wait_until(lambda: sub["endpoint"] not in stored_endpoints(e2e_server), timeout=WAIT,
               message="the subscription row to be deleted")


def test_a_phone_without_push_says_so(context, e2e_server):
    context.add_init_script(script="delete window.PushManager")
    page = context.new_page()
    login(page, e2e_server.url)
    go(page, e2e_server.url, "/settings")
    cell = page.locator("[data-test=push-cell]")
    cell.wait_for()
    assert "此手机不支持推送" in cell.inner_text()
    assert page.locator("[data-test=push-switch].van-switch--disabled").count() == 1
