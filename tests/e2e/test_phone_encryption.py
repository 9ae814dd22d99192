"""Encryption at rest on the phone (issue 12), in real Chromium against the real server.

What a lost phone holds is read the way a finder would: every IndexedDB store and blob, raw, through the indexedDB
API; nothing of the roster, the visits or the photos may be readable there. The password (and only the right
one) opens it again, offline too; a session the server revoked wipes the phone's copy but keeps its unsynced
records; the app locks itself in the background.
"""

import io
import json
import random
import uuid
from pathlib import Path

import pytest
from PIL import Image

from .conftest import DEMO_PASSWORD
from .helpers import (
    change_password,
    go,
    login,
    new_staff,
    open_recipient,
    open_section,
    outbox_rows,
    read_plain,
    read_store,
    sign_in,
    start_online,
    wait_for_service_worker,
    wait_until,
)

pytestmark = pytest.mark.e2e

# Every store, every row, as IndexedDB hands it out: strings as they are; ArrayBuffers, typed arrays and Blobs as
# their bytes in hex and decoded as UTF-8 (a name inside a buffer in the clear would show there).
DUMP_JS = """async () => {
  const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  const db = await req(indexedDB.open('zoufang'));
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const text = (bytes) => new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const flat = async (v) => {
    if (v instanceof Blob) v = new Uint8Array(await v.arrayBuffer());
    if (v instanceof ArrayBuffer) v = new Uint8Array(v);
    if (ArrayBuffer.isView(v)) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return { hex: hex(bytes), utf8: text(bytes) };
    }
    if (Array.isArray(v)) return Promise.all(v.map(flat));
    if (v && typeof v === 'object') {
      const out = {};
      for (const [k, x] of Object.entries(v)) out[k] = await flat(x);
      return out;
    }
    return v;
  };
  const dump = {};
  for (const name of db.objectStoreNames) {
    const rows = await req(db.transaction(name).objectStore(name).getAll());
    dump[name] = await flat(rows);
  }
  db.close();
  return dump;
}"""


def dump_indexeddb(page) -> tuple[dict, str]:
    dump = page.evaluate(DUMP_JS)
    return dump, json.dumps(dump, ensure_ascii=False)


def make_photo(path) -> bytes:
    """A small camera-like JPEG (the device keeps its bytes as they are)."""
    rng = random.Random(12)
    img = Image.new("RGB", (480, 360))
    img.putdata([(rng.randrange(256), rng.randrange(256), 90) for _ in range(480 * 360)])
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def save_visit(page, notes: str, photo_path=None) -> None:
    page.click("[data-test=start-visit]")
    page.locator("[data-test=notes] textarea").fill(notes)
    if photo_path:
        open_section(page, "photos")
        page.set_input_files("[data-test=photo-input]", str(photo_path))
        page.locator("[data-test=photo-thumb]").wait_for()
    page.click("[data-test=submit-visit]")
    page.wait_for_url("**/recipients/*")


def hide_and_show(page, hidden_ms: int) -> None:
    """The app goes to the background for `hidden_ms` and comes back (visibilitychange, as a phone's tab switch)."""
    page.evaluate("""() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.wait_for_timeout(hidden_ms)
    page.evaluate("""() => {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }""")


def new_staff_on_a_phone(context, e2e_server, password: str):
    """A new staff account signed in on a fresh page: its roster pulled and the app's code cached (so the phone
    may go offline next). Returns (username, page)."""
    username = new_staff(e2e_server, password)
    page = context.new_page()
    page.goto(e2e_server.url + "/login")
    sign_in(page, username, password)
    page.wait_for_url(lambda url: "/login" not in url)
    wait_until(lambda: read_store(page, "recipients"), message="the roster", page=page)
    wait_for_service_worker(page)
    return username, page


def test_nothing_personal_is_readable_in_indexeddb_after_a_sync_a_visit_with_a_photo_and_a_draft(
        context, e2e_server, staff_api, tmp_path):
    base = e2e_server.url
    photo = make_photo(tmp_path / "photo.jpg")
    page = start_online(context, base)

    # A visit with a photo, synced (the photo stays on the phone a week, the visit in the replica).
    rid, _ = open_recipient(page, base, 0)
    synced_note = f"加密核对已同步{uuid.uuid4().int % 10**6:06d}"
    save_visit(page, synced_note, tmp_path / "photo.jpg")
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the visit to sync", page=page)
    # A visit queued offline (the outbox's payload) and a half-typed form (a draft).
    context.set_offline(True)
    open_recipient(page, base, 1)
    queued_note = f"加密核对待同步{uuid.uuid4().int % 10**6:06d}"
    save_visit(page, queued_note)
    other_rid, _ = open_recipient(page, base, 2)
    page.click("[data-test=start-visit]")
    draft_note = f"加密核对草稿{uuid.uuid4().int % 10**6:06d}"
    page.locator("[data-test=notes] textarea").fill(draft_note)
    wait_until(lambda: any(f":visit:new:{other_rid}" in d["key"] for d in read_store(page, "drafts")),
               message="the draft to be written", page=page)

    roster = [c["data"] for c in staff_api.pull_all() if c["type"] == "recipient" and not c["deleted"]]
    assert len([r for r in roster if r["phone"] and r["address"]]) >= 10  # the demo's households
    secrets = {"note of the synced visit": synced_note, "queued visit's note": queued_note, "draft": draft_note}
    for r in roster:
        secrets[f"name of {r['id']}"] = r["name"]
        if r["phone"]:
            secrets[f"phone of {r['id']}"] = r["phone"]
        if r["address"]:
            secrets[f"address of {r['id']}"] = r["address"]

    dump, text = dump_indexeddb(page)
    leaks = {what: value for what, value in secrets.items() if value in text}
    assert not leaks, f"readable in IndexedDB: {leaks}"
    # The photo's bytes (windows from its entropy-coded middle) appear nowhere, in no buffer.
    hexed = photo.hex()
    windows = [hexed[i:i + 64] for i in range(len(hexed) // 4, 3 * len(hexed) // 4, len(hexed) // 16)]
    assert not [w for w in windows if w in text]

    # Not vacuous: the stores hold these records, sealed, and the password opens them.
    assert len(dump["recipients"]) == len(roster) and all("enc" in r and "name" not in r for r in dump["recipients"])
    assert [a for a in dump["attachments"] if "enc" in a and "bytes" not in a]
    assert {r["name"] for r in read_plain(page, "recipients")} == {r["name"] for r in roster}
    notes = {v.get("notes") for v in read_plain(page, "visits")}
    assert synced_note in notes and queued_note in notes
    assert [m["data"]["notes"] for m in read_plain(page, "outbox")] == [queued_note]
    # The synced visit's mutation is kept for a re-send after a server restore (store `acked`): sealed too.
    # (one row per stored answer: its mutations' outbox rows as they were, in `rows`)
    kept = [m for row in dump["acked"] for m in row.get("rows", [row])]
    assert kept and all("enc" in m and "data" not in m for m in kept)
    assert synced_note in [m["data"].get("notes") for m in read_plain(page, "acked")]
    assert any(d["data"].get("notes") == draft_note for d in read_plain(page, "drafts"))
    stored = staff_api.get(f"/api/attachments/{next(a['sha256'] for a in dump['attachments'])}")
    assert stored.status_code == 200 and stored.content == photo
    context.set_offline(False)


def test_offline_logout_then_offline_login_takes_the_right_password_only(context, e2e_server, staff_api):
    base = e2e_server.url
    page = start_online(context, base)
    context.set_offline(True)
    go(page, base, "/settings")
    page.click("[data-test=logout]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_url("**/login*")
    assert not [r for r in read_store(page, "meta") if r["key"] == "session" and r["value"]]

    # Offline, the phone alone decides: a wrong password never unlocks.
    page.locator("[data-test=login-offline]").wait_for()
    page.fill("input[name=username]", "staff_demo")
    page.fill("input[name=password]", "Wrong@2026")
    page.click("button[type=submit]")
    assert page.locator("[data-test=login-error]").inner_text() == "密码不正确"
    assert "/login" in page.url
    assert not [r for r in read_store(page, "meta") if r["key"] == "session" and r["value"]]

    # The right one opens the phone's records, still offline: the roster is there to work with.
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    rid, _ = open_recipient(page, base, 3)
    note = f"离线登录后记录{uuid.uuid4().int % 10**6:06d}"
    save_visit(page, note)
    assert len(outbox_rows(page)) == 1

    # Back online, the server still knows the cookie (the logout never reached it): the queue flushes unasked.
    context.set_offline(False)
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the queue to flush", page=page)
    assert any(c["type"] == "visit" and c["data"].get("notes") == note and c["data"]["recipient_id"] == rid
               for c in staff_api.pull_all())


def test_a_sign_in_offline_whose_cookie_expired_works_locally_and_asks_for_an_online_sign_in(context, e2e_server,
                                                                                             staff_api):
    base = e2e_server.url
    page = start_online(context, base)
    go(page, base, "/settings")
    page.click("[data-test=logout]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_url("**/login*")
    context.set_offline(True)
    login(page, base)
    rid, _ = open_recipient(page, base, 4)
    note = f"需联网登录{uuid.uuid4().int % 10**6:06d}"
    save_visit(page, note)

    # Online again, but no session on the server (the logout reached it): a banner asks for an online sign-in.
    context.set_offline(False)
    page.locator("[data-test=expired-banner]").wait_for(timeout=30_000)
    assert len(outbox_rows(page)) == 1
    page.locator("[data-test=expired-banner]").click()
    login(page, base)
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the queue to flush after the online sign-in",
               page=page)
    assert any(c["type"] == "visit" and c["data"].get("notes") == note for c in staff_api.pull_all())


def test_a_revoked_session_wipes_the_replica_and_drafts_but_keeps_the_queue(context, e2e_server, staff_api):
    base = e2e_server.url
    page = start_online(context, base)
    context.set_offline(True)
    rid, _ = open_recipient(page, base, 5)
    note = f"撤销前未同步{uuid.uuid4().int % 10**6:06d}"
    save_visit(page, note)
    open_recipient(page, base, 6)
    page.click("[data-test=start-visit]")
    page.locator("[data-test=notes] textarea").fill("撤销前的草稿")
    wait_until(lambda: read_store(page, "drafts"), message="the draft", page=page)
    go(page, base, "/")
    [queued] = outbox_rows(page)

    # The phone is lost: the office ends its sessions. It learns so at its next contact.
    admin = e2e_server.api("admin_demo")
    try:
        staff_id = staff_api.get("/api/auth/me").json()["user"]["id"]
        assert admin.post(f"/api/admin/users/{staff_id}/revoke-sessions", {}).status_code == 200
    finally:
        admin.close()
    context.set_offline(False)
    page.locator("[data-test=login-revoked]").wait_for(timeout=45_000)

    for store in ("users", "recipients", "visits", "difficulties", "followups", "drafts"):
        assert read_store(page, store) == [], store
    assert [m["id"] for m in outbox_rows(page)] == [queued["id"]]
    assert "enc" in read_store(page, "outbox")[0] and "data" not in read_store(page, "outbox")[0]
    assert [k["revoked_at"] for k in read_store(page, "keys") if k["username"] == "staff_demo"][0]
    assert "1 条记录" in page.locator("[data-test=login-revoked]").inner_text()

    # Offline the revoked account does not open, even with its password; the office can still get the records.
    context.set_offline(True)
    page.fill("input[name=username]", "staff_demo")
    page.fill("input[name=password]", DEMO_PASSWORD)
    assert page.locator("button[type=submit]").is_disabled()
    with page.expect_download() as download:
        page.click("[data-test=login-export]")
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert [m["data"]["notes"] for m in json.loads(exported["payload"])["mutations"]] == [note]

    # The same user signs in online: the queue goes on.
    context.set_offline(False)
    login(page, base)
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the queue to flush after the online login",
               page=page)
    fresh = e2e_server.api("staff_demo")  # the revocation ended staff_api's session too
    try:
        assert any(c["type"] == "visit" and c["data"].get("notes") == note and c["data"]["recipient_id"] == rid
                   for c in fresh.pull_all())
    finally:
        fresh.close()


def test_the_app_locks_after_the_idle_limit_in_the_background(context, e2e_server):
    base = e2e_server.url
    page = start_online(context, base)
    # The limit may be shortened for a test (never lengthened beyond 15 minutes).
    page.evaluate("() => localStorage.setItem('zoufang.lockAfterMs', '1500')")
    rid, _ = open_recipient(page, base, 7)

    hide_and_show(page, 300)  # a glance at another app: still open
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/recipients/{rid}")

    hide_and_show(page, 2500)
    page.locator("[data-test=login-locked]").wait_for()
    assert page.locator("[data-test=recipient-item], [data-test=start-visit]").count() == 0
    # Locked means the key is gone: the engine runs no round until the password is given again.
    before = page.evaluate("() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/sync/')).length")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(1000)
    assert page.evaluate(
        "() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/sync/')).length") == before

    login(page, base)
    page.wait_for_url(f"**/recipients/{rid}")
    page.locator("[data-test=start-visit]").wait_for()


def test_a_password_changed_elsewhere_takes_the_old_one_once_and_a_change_here_rewraps_the_key(
        context, e2e_server):
    base = e2e_server.url
    first, second, third = "Field#2027a", "Second#2027b", "Third#2027c"
    username, page = new_staff_on_a_phone(context, e2e_server, first)
    context.set_offline(True)
    open_recipient(page, base, 8)
    note = f"改密前未同步{uuid.uuid4().int % 10**6:06d}"
    save_visit(page, note)
    go(page, base, "/settings")
    page.click("[data-test=logout]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_url("**/login*")

    # Meanwhile the password changes on another device: this phone's key is still wrapped by the old one.
    change_password(base, username, first, second)

    context.set_offline(False)
    sign_in(page, username, second)
    page.locator("[data-test=login-stale]").wait_for()
    page.fill("[data-test=login-old-password] input", "Wrong#2027x")
    page.click("button[type=submit]")
    assert page.locator("[data-test=login-error]").inner_text() == "密码不正确"
    page.fill("[data-test=login-old-password] input", first)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the queue to flush", page=page)

    # A change on this phone wraps the same key by the new password: the old one no longer opens it.
    go(page, base, "/password", username)
    page.fill("[data-test=password-current] input", second)
    page.fill("[data-test=password-new] input", third)
    page.fill("[data-test=password-repeat] input", third)
    page.click("[data-test=password-submit]")
    page.wait_for_url(lambda url: "/password" not in url)
    context.set_offline(True)
    go(page, base, "/settings", username)
    page.click("[data-test=logout]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_url("**/login*")
    sign_in(page, username, second)
    assert page.locator("[data-test=login-error]").inner_text() == "密码不正确"
    sign_in(page, username, third)
    page.wait_for_url(lambda url: "/login" not in url)
    assert any(v.get("notes") == note for v in read_plain(page, "visits", third))
    context.set_offline(False)


def test_a_password_changed_elsewhere_wipes_nothing_and_the_new_one_rewraps_the_key_at_the_next_login(
        context, e2e_server):
    base = e2e_server.url
    first, second = "Field#2027a", "Second#2027b"
    username, page = new_staff_on_a_phone(context, e2e_server, first)
    roster = len(read_store(page, "recipients"))
    context.set_offline(True)
    open_recipient(page, base, 3)
    note = f"别处改密前未同步{uuid.uuid4().int % 10**6:06d}"
    save_visit(page, note)
    open_recipient(page, base, 4)
    page.click("[data-test=start-visit]")
    page.locator("[data-test=notes] textarea").fill("别处改密前的草稿")
    wait_until(lambda: read_store(page, "drafts"), message="the draft", page=page)
    go(page, base, "/", username)

    # The user changes the password on another device: that ends this phone's session (401 password_changed).
    change_password(base, username, first, second)
    context.set_offline(False)
    notice = page.locator("[data-test=login-password-changed]")
    notice.wait_for(timeout=45_000)
    assert "1 条" in notice.inner_text()
    # Nothing is wiped: the replica, the draft and the queue all stay (sealed); the phone's key is not revoked.
    assert len(read_store(page, "recipients")) == roster
    assert len(read_store(page, "drafts")) == 1
    assert len(outbox_rows(page)) == 1
    assert not [k for k in read_store(page, "keys") if k["username"] == username][0]["revoked_at"]

    # Until the next online login the old password still opens the phone offline, the new one not yet.
    context.set_offline(True)
    page.reload()
    sign_in(page, username, second)
    assert page.locator("[data-test=login-error]").inner_text() == "密码不正确"
    sign_in(page, username, first)
    page.wait_for_url(lambda url: "/login" not in url)
    assert any(v.get("notes") == note for v in read_plain(page, "visits", first))

    # Online, the new password signs in without asking for the old one (this page holds the key); the queue flushes.
    context.set_offline(False)
    go(page, base, "/login", username)
    sign_in(page, username, second)
    page.wait_for_url(lambda url: "/login" not in url)
    assert page.locator("[data-test=login-stale]").count() == 0
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the queue to flush", page=page)
    assert len(read_store(page, "drafts")) == 1

    # From now on the key is wrapped by the new password only.
    context.set_offline(True)
    go(page, base, "/settings", username)
    page.click("[data-test=logout]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_url("**/login*")
    sign_in(page, username, first)
    assert page.locator("[data-test=login-error]").inner_text() == "密码不正确"
    sign_in(page, username, second)
    page.wait_for_url(lambda url: "/login" not in url)
    context.set_offline(False)


def test_a_forgotten_old_password_starts_afresh_and_sets_the_locked_queue_aside(context, e2e_server):
    base = e2e_server.url
    first, reset = "Field#2027a", "Reset#2027z"
    username, page = new_staff_on_a_phone(context, e2e_server, first)
    context.set_offline(True)
    open_recipient(page, base, 8)
    save_visit(page, "忘记旧密码前的记录")
    [queued] = outbox_rows(page)
    go(page, base, "/settings", username)
    page.click("[data-test=logout]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_url("**/login*")

    # The user forgot it; the admin hands over a temporary one.
    admin = e2e_server.api("admin_demo")
    try:
        user_id = admin.get(f"/api/admin/users?q={username}").json()["items"][0]["id"]
        assert admin.post(f"/api/admin/users/{user_id}/reset-password", {"password": reset}).status_code == 200
    finally:
        admin.close()
    context.set_offline(False)
    sign_in(page, username, reset)
    page.locator("[data-test=login-stale]").wait_for()
    page.click("[data-test=login-forget]")
    page.locator("[data-test=login-forget-warning]").wait_for()
    page.click("[data-test=login-forget]")
    page.wait_for_url(lambda url: "/login" not in url)  # on to the new password the server asks for

    # The old queue cannot be opened any more: kept aside, never sent, under another id.
    [aside] = [m for m in outbox_rows(page) if m["id"] == queued["id"]]
    assert aside["user_id"] != queued["user_id"] and aside["user_id"].startswith(queued["user_id"] + "~")
    assert len([k for k in read_store(page, "keys") if k["user_id"] == queued["user_id"]]) == 1
