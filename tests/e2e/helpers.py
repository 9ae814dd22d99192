"""Steps shared by the browser tests: log in, read the device database (opened with the password), draw a signature."""

import json
import time
import uuid
from urllib.parse import urlparse

import requests

from .conftest import DEMO_PASSWORD

READ_STORE = """
async (name) => await new Promise((resolve, reject) => {
  const open = indexedDB.open('zoufang');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains(name)) { db.close(); resolve([]); return; }
    const req = db.transaction(name).objectStore(name).getAll();
    req.onsuccess = () => { db.close(); resolve(req.result.map((r) => { const c = { ...r }; delete c.bytes; return c; })); };
    req.onerror = () => { db.close(); reject(req.error); };
  };
})
"""


# The phone's encryption at rest (pwa/src/db/sealed.ts, lib/crypto.ts), done again here from the documented format,
# as anyone holding the phone and the password could: each user's data key is wrapped (AES-GCM) by
# PBKDF2-SHA256(password, salt, iterations) in the `keys` store; a sealed row keeps its plain fields and `enc` =
# 12-byte IV || AES-GCM(JSON of the other fields, additional data = the store's name). `zfTestCrypto(password)`
# unwraps every key the password opens (cached on the page: PBKDF2 is slow on purpose) and seals or opens rows.
PLAIN_FIELDS = {
    "users": ["id", "_version"],
    "recipients": ["id", "area_id", "_version"],
    "visits": ["id", "recipient_id", "visited_at", "author_id", "_version"],
    "difficulties": ["id", "recipient_id", "visit_id", "status", "follow_up_at", "_version"],
    "followups": ["id", "difficulty_id", "at", "_version"],
    "units": ["id", "area_id", "kind", "_version"],
    "creation_items": ["id", "deadline", "status", "category_id", "lead_unit_id", "_version"],
    "evidence": ["id", "item_id", "unit_id", "status", "created_at", "taken_at", "uploaded_by", "_version"],
    "rectifications": ["id", "item_id", "unit_id", "status", "deadline", "created_at", "closed_at", "_version"],
    "outbox": ["id", "user_id", "seq", "op", "entity_type", "entity_id", "base_version", "client_time", "attachments",
               "state", "attempts", "protects", "resend"],
    "drafts": ["key", "user_id", "updated_at", "attachments"],
}
# Acknowledged mutations are outbox rows moved as they are: sealed for the outbox (its additional data).
PLAIN_FIELDS["acked"] = [*PLAIN_FIELDS["outbox"], "acked_at"]
AAD = {"acked": "outbox"}

TEST_CRYPTO_JS = """
const zfTestCrypto = async (password) => {
  const PLAIN = """ + json.dumps(PLAIN_FIELDS) + """;
  const AAD = """ + json.dumps(AAD) + """;
  const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  const db = await req(indexedDB.open('zoufang'));
  const rings = db.objectStoreNames.contains('keys') ? await req(db.transaction('keys').objectStore('keys').getAll()) : [];
  db.close();
  const utf8 = new TextEncoder();
  window.__zfTestKeys = window.__zfTestKeys || {};
  const keys = {};
  for (const ring of rings) {
    const id = ring.user_id + ':' + Array.from(ring.wrapped.slice(0, 8)).join(',') + ':' + password;
    if (!(id in window.__zfTestKeys)) {
      const base = await crypto.subtle.importKey('raw', utf8.encode(password), 'PBKDF2', false, ['deriveKey']);
      const kek = await crypto.subtle.deriveKey({ name: 'PBKDF2', salt: ring.salt, iterations: ring.iterations, hash: 'SHA-256' },
        base, { name: 'AES-GCM', length: 256 }, false, ['unwrapKey']);
      window.__zfTestKeys[id] = await crypto.subtle.unwrapKey('raw', ring.wrapped, kek, { name: 'AES-GCM', iv: ring.iv },
        { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']).catch(() => null);
    }
    if (window.__zfTestKeys[id]) keys[ring.user_id] = window.__zfTestKeys[id];
  }
  const openWith = async (key, enc, aad) => crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: enc.slice(0, 12), additionalData: utf8.encode(aad) }, key, enc.slice(12));
  const openBytes = async (enc, aad) => {
    for (const key of Object.values(keys)) {
      try { return await openWith(key, enc, aad); } catch (e) { /* another user's key */ }
    }
    throw new Error('no key opens this row');
  };
  return {
    keys,
    async open(store, row) {
      if (!row || !row.enc) return row;
      const copy = { ...row };
      delete copy.enc;
      if (store === 'attachments') return { ...copy, bytes_length: (await openBytes(row.enc, store)).byteLength };
      return { ...JSON.parse(new TextDecoder().decode(await openBytes(row.enc, AAD[store] || store))), ...copy };
    },
    async seal(store, record, userId) {
      const row = {};
      const rest = {};
      for (const [k, v] of Object.entries(record)) (PLAIN[store].includes(k) ? row : rest)[k] = v;
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8.encode(AAD[store] || store) },
        keys[userId], utf8.encode(JSON.stringify(rest))));
      row.enc = new Uint8Array(12 + sealed.length);
      row.enc.set(iv);
      row.enc.set(sealed, 12);
      return row;
    },
  };
};
"""

# db/outbox.ts `mutationId`: a version-7 UUID that sorts as its seq (the outbox's key order is the queue's).
MUTATION_ID_JS = """
const mutationId = (seq) => {
  const ms = Math.floor(seq / 1000);
  const random = crypto.getRandomValues(new Uint8Array(8));
  random[0] = (random[0] & 0x3f) | 0x80;
  const hex = (n, w) => n.toString(16).padStart(w, '0');
  const tail = Array.from(random, (b) => hex(b, 2)).join('');
  const time = hex(ms, 12);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${hex(seq - ms * 1000, 3)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
};
"""

# Queue mutations the way db/outbox.ts `newMutation` and `enqueue` do (sealed; one transaction, seq and ids in
# order), without the replica rows: for a queue too long to type in through the screens.
QUEUE_JS = """async ({ userId, mutations, password }) => {
""" + MUTATION_ID_JS + TEST_CRYPTO_JS + """
  const sealer = await zfTestCrypto(password);
  let seq = Date.now() * 1000;
  const clientTime = new Date().toISOString();
  const rows = [];
  for (const m of mutations) {
    const s = seq++;
    const protects = m.op === 'followup.create' ? [m.data.id, m.data.difficulty_id] : [m.data.id];
    rows.push(await sealer.seal('outbox', { id: mutationId(s), user_id: userId, seq: s, op: m.op,
      entity_type: m.op.split('.')[0], entity_id: m.data.id, data: m.data, base_version: null, client_time: clientTime,
      attachments: [], state: 'pending', error: null, attempts: 0, server_entity: null, protects }, userId));
  }
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('zoufang'); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error);
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction('outbox', 'readwrite');
    for (const row of rows) tx.objectStore('outbox').put(row);
    tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); tx.onabort = () => reject(tx.error);
  });
  db.close();
}"""

# Every row of a store as the app reads it: sealed rows opened with the keys `password` unwraps.
READ_PLAIN = """async ({ name, password }) => {
""" + TEST_CRYPTO_JS + """
  const crypto_ = await zfTestCrypto(password);
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('zoufang'); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error);
  });
  if (!db.objectStoreNames.contains(name)) { db.close(); return []; }
  const rows = await new Promise((resolve, reject) => {
    const r = db.transaction(name).objectStore(name).getAll(); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error);
  });
  db.close();
  const out = [];
  // `acked` keeps each stored answer's mutations as one row, `rows` (db/outbox.ts `keepAcknowledged`).
  const flat = name === 'acked' ? rows.flatMap((r) => (Array.isArray(r.rows) ? r.rows.map((m) => ({ ...m, acked_at: r.acked_at })) : [r])) : rows;
  for (const row of flat) { const plain = await crypto_.open(name, row); delete plain.bytes; out.push(plain); }
  return out;
}"""


def queue_mutations(page, user_id: str, mutations: list[dict], password: str = DEMO_PASSWORD) -> None:
    page.evaluate(QUEUE_JS, {"userId": user_id, "mutations": mutations, "password": password})


def read_store(page, name: str) -> list[dict]:
    """A store's rows as IndexedDB holds them (sealed rows: plain fields and `enc`)."""
    return page.evaluate(READ_STORE, name)


def read_plain(page, name: str, password: str = DEMO_PASSWORD) -> list[dict]:
    """A store's rows as the app reads them: sealed rows opened with the keys the password unwraps."""
    return page.evaluate(READ_PLAIN, {"name": name, "password": password})


def wait_until(predicate, timeout: float = 30, interval: float = 0.25, message: str = "condition", page=None):
    """Poll `predicate`; with `page`, sleep through Playwright so its events (CDP) keep flowing."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        if page is not None:
            page.wait_for_timeout(interval * 1000)
        else:
            time.sleep(interval)


def login(page, base: str, username: str = "staff_demo") -> None:
    if not page.url.startswith(base) or "/login" not in page.url:
        page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def wait_for_service_worker(page) -> None:
    # A function, not an expression: Playwright evaluates expressions with eval, which the app's CSP forbids.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)


def wait_initial_sync(page) -> None:
    wait_until(lambda: len(read_store(page, "recipients")) > 0, message="the roster to be pulled")


def outbox(page) -> list[dict]:
    """The queue, oldest first, opened (data, error, server entity)."""
    return sorted(read_plain(page, "outbox"), key=lambda m: m["seq"])


def outbox_rows(page) -> list[dict]:
    """The queue's plain fields alone, oldest first (no key needed: op, state, ids)."""
    return sorted(read_store(page, "outbox"), key=lambda m: m["seq"])


# A navigation inside the running app (vue-router follows popstate): no reload, so the data key stays in memory.
SPA_GO = """(to) => { history.pushState(null, '', to); dispatchEvent(new PopStateEvent('popstate', { state: null })); }"""
AT_OR_LOGIN = """(to) => location.pathname + location.search === to || location.pathname === '/login'"""


def go(page, base: str, path: str, username: str = "staff_demo") -> None:
    """Open `path` in the field app. A page showing the app navigates inside it (a reload would lock it: the data
    key lives only in memory); any other page loads it, and the password unlocks it (or signs in)."""
    if page.url.startswith(base) and urlparse(page.url).path != "/login":
        page.evaluate(SPA_GO, path)
    else:
        page.goto(base + path)
    page.wait_for_function(AT_OR_LOGIN, arg=path)
    if urlparse(page.url).path == "/login" and not path.startswith("/login"):
        login(page, base, username)


def unlock(page, base: str, username: str = "staff_demo") -> None:
    """A reloaded or new page of a logged-in phone shows the unlock screen: the password opens it again."""
    page.locator("[data-test=login-locked], [data-test=login-expired], [data-test=login-offline]").first.wait_for()
    login(page, base, username)


def goto_unlocked(page, url: str, base: str, username: str = "staff_demo") -> None:
    """Open `url` in a page of a logged-in phone: the unlock screen first (the key lives only in memory), then it."""
    page.goto(url)
    page.wait_for_url(lambda u: "/login" in u)
    login(page, base, username)


def open_recipient(page, base: str, index: int) -> tuple[str, str]:
    """Open the index-th recipient of the roster; return (id, name)."""
    go(page, base, "/recipients")
    item = page.locator("[data-test=recipient-item]").nth(index)
    item.wait_for()
    name = item.locator(".van-cell__title span").first.inner_text().strip()
    item.click()
    page.wait_for_url("**/recipients/*")
    page.locator("[data-test=start-visit]").wait_for()
    return page.url.rsplit("/", 1)[-1], name


def draw_signature_with_mouse(page) -> None:
    """Sign on the pad with the mouse (pointer events, pointerType mouse); do not confirm."""
    canvas = page.locator("[data-test=signature-pad] canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box, "signature canvas not visible"
    x0, y0 = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x0 + i * 8, y0 + (12 if i % 2 else -12), steps=2)
    page.mouse.up()


def open_section(page, name: str) -> None:
    """Unfold an optional section of the visit form (details, photos) unless it is open already."""
    title = page.locator(f"[data-test=section-{name}] .van-collapse-item__title")
    if "van-collapse-item__title--expanded" not in (title.get_attribute("class") or ""):
        title.click()
    page.locator(f"[data-test=section-{name}] .van-collapse-item__content").wait_for()


def draw_signature(context, page) -> None:
    """Sign on the signature pad with real touch events, then press its confirm button."""
    canvas = page.locator("[data-test=signature-pad] canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box, "signature canvas not visible"
    cdp = context.new_cdp_session(page)
    try:
        x0, y0 = box["x"] + 30, box["y"] + box["height"] / 2
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
        for i in range(1, 25):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
                {"x": x0 + i * 8, "y": y0 + (12 if i % 2 else -12)}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()
    page.locator("[data-test=signature-confirm]").click()
    page.locator("[data-test=signature-image]").wait_for()


def pick_today(page, field: str) -> str:
    """Open a FormDateField, confirm the picker (today), return the day as the cell shows it."""
    page.locator(f"[data-test={field}] .van-cell").click()
    popup = page.locator("[data-test=date-popup]:visible")
    popup.locator(".van-picker__confirm").click()
    popup.wait_for(state="hidden")
    return page.locator(f"[data-test={field}] .van-cell__value").inner_text().strip()


def start_online(context, base: str):
    """A new page, logged in as staff_demo, controlled by the service worker, after its first sync."""
    page = context.new_page()
    page.goto(base + "/")
    login(page, base)
    wait_for_service_worker(page)
    wait_initial_sync(page)
    return page


def session_user_id(page) -> str:
    return str(next(r["value"] for r in read_store(page, "meta") if r["key"] == "session")["user"]["id"])


def change_password(base: str, username: str, current: str, new: str) -> None:
    """The user changes their password elsewhere (another device, straight through the API)."""
    other = requests.Session()
    other.trust_env = False
    try:
        login = other.post(f"{base}/api/auth/login", json={"username": username, "password": current}, timeout=30)
        assert login.status_code == 200, login.text
        changed = other.post(f"{base}/api/auth/password", json={"current_password": current, "new_password": new},
                             headers={"X-CSRF-Token": login.json()["csrf_token"]}, timeout=30)
        assert changed.status_code == 204, changed.text
    finally:
        other.close()


def new_staff(e2e_server, password: str) -> str:
    """A staff account of staff_demo's township (its roster), made by the admin, its temporary password already
    replaced by `password`; returns its username."""
    admin = e2e_server.api("admin_demo")
    try:
        area_id = admin.get("/api/admin/users?q=staff_demo").json()["items"][0]["area_id"]
        username = f"139{uuid.uuid4().int % 10**8:08d}"  # a phone number, as field staff's usernames usually are
        answer = admin.post("/api/admin/users", {"username": username, "display_name": "加密测试员", "role": "staff",
                                                 "area_id": area_id, "password": "Temp#2027tt"})
        assert answer.status_code == 201, answer.text
    finally:
        admin.close()
    change_password(e2e_server.url, username, "Temp#2027tt", password)
    return username


def sign_in(page, username: str, password: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def liaison_screens(page, base: str):
    """Log in as liaison_demo (县人武部) and yield each field screen a liaison has, ready: (screen, path)."""
    page.goto(base + "/login")
    login(page, base, "liaison_demo")
    page.wait_for_url("**/creation")
    wait_until(lambda: read_store(page, "creation_items"), message="the liaison's items to be pulled", page=page)
    page.locator("[data-test=creation-item]").first.wait_for()
    yield "tasks", "/creation"
    # The item with the most to show: evidence (and perhaps a 整改), else the first.
    evidence = read_store(page, "evidence")
    item_id = evidence[0]["item_id"] if evidence else read_store(page, "creation_items")[0]["id"]
    for screen, path, ready in [("item", f"/creation/items/{item_id}", "[data-test=item-status]"),
                                ("inspection form", f"/creation/items/{item_id}/evidence/new", "[data-test=evidence-save]"),
                                ("inbox", "/inbox", "[data-test=inbox-item], [data-test=inbox-empty]"),
                                ("outbox", "/outbox", "[data-test=sync-card]"),
                                ("settings", "/settings", "[data-test=logout]")]:
        go(page, base, path, "liaison_demo")
        page.locator(ready).first.wait_for()
        yield screen, path
