"""Steps shared by the browser tests: log in, read the device database, draw a signature."""

import time

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

# Queue mutations the way db/outbox.ts `newMutation` does (one transaction, seq and ids in order), without
# the replica rows: for a queue too long to type in through the screens.
QUEUE_JS = """async ({ userId, mutations }) => {
""" + MUTATION_ID_JS + """
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('zoufang'); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error);
  });
  let seq = Date.now() * 1000;
  const clientTime = new Date().toISOString();
  await new Promise((resolve, reject) => {
    const tx = db.transaction('outbox', 'readwrite');
    for (const m of mutations) {
      const s = seq++;
      tx.objectStore('outbox').put({ id: mutationId(s), user_id: userId, seq: s, op: m.op, entity_type: m.op.split('.')[0],
        entity_id: m.data.id, data: m.data, base_version: null, client_time: clientTime, attachments: [],
        state: 'pending', error: null, attempts: 0, server_entity: null });
    }
    tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); tx.onabort = () => reject(tx.error);
  });
  db.close();
}"""


def queue_mutations(page, user_id: str, mutations: list[dict]) -> None:
    page.evaluate(QUEUE_JS, {"userId": user_id, "mutations": mutations})


def read_store(page, name: str) -> list[dict]:
    return page.evaluate(READ_STORE, name)


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
    return sorted(read_store(page, "outbox"), key=lambda m: m["seq"])


def open_recipient(page, base: str, index: int) -> tuple[str, str]:
    """Open the index-th recipient of the roster; return (id, name)."""
    page.goto(base + "/recipients")
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
        page.goto(base + path)
        page.locator(ready).first.wait_for()
        yield screen, path
