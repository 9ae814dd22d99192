"""Every screen in Chinese shows Chinese: no English words, field names or error codes leak onto it.

The field app is visited on a phone (360×740), the office console and the admin pages on a PC (1366×768),
all with zh-CN; the outbox holds a record the server rejected, so its translated reason is read too.
"""

import re
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .conftest import browser_context
from .console import choose
from .helpers import (
    change_password,
    go,
    liaison_screens,
    login,
    new_staff,
    open_recipient,
    outbox_rows,
    queue_mutations,
    read_store,
    sign_in,
    wait_for_service_worker,
    wait_initial_sync,
    wait_until,
)

pytestmark = pytest.mark.e2e

# Latin words a Chinese screen may show: the units and names Chinese itself writes in Latin letters, the
# language switch's "English" (a language is offered by its own name), the pinyin initials the roster search
# takes (its hint's example, "zs" for 张三) and the demo's usernames (data, not wording).
ALLOWED = {"GPS", "ID", "IP", "km", "KB", "MB", "GB", "xlsx", "csv", "CSV", "Excel", "English", "zs", "staff_demo",
           "reviewer_demo", "admin_demo", "liaison_demo"}
# The area CSV's format, which its hint spells out: the file's own column names and level values.
ALLOWED_ON = {"/office/areas": {"UTF", "code", "name", "level", "parent_code", "province", "city", "county",
                                "township", "village"}}
LATIN = re.compile(r"[A-Za-z][A-Za-z_]+")
# Identifiers the screens set in monospace (an audit row's shortened ids), scripts and styles are no wording.
DATA_SELECTOR = ".mono, code, kbd, script, style, noscript, template"
# Ids are data, shown for support (the device's id): their hex letters are no words.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
# What the user reads: the text, and the words of placeholders, labels for screen readers and tooltips.
SHOWN_TEXT = """(data) => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const words = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !visible(el) || el.closest(data)) continue;
    words.push(node.textContent);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], img[alt]')) {
    if (!visible(el) || el.closest(data)) continue;
    for (const name of ['placeholder', 'aria-label', 'title', 'alt']) {
      const value = el.getAttribute(name);
      if (value) words.push(value);
    }
  }
  return words.join('\\n');
}"""


def latin_words(page, screen: str) -> list[str]:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)  # let lazy text (toasts, relative times) render
    text = UUID.sub(" ", page.evaluate(SHOWN_TEXT, DATA_SELECTOR))
    allowed = ALLOWED | ALLOWED_ON.get(screen.split(" ")[0], set())
    return sorted({w for w in LATIN.findall(text) if w not in allowed})


def assert_chinese(page, screen: str, leaks: dict) -> None:
    found = latin_words(page, screen)
    if found:
        leaks[screen] = found


def session_user_id(page) -> str:
    return str(next(r["value"] for r in read_store(page, "meta") if r["key"] == "session")["user"]["id"])


def test_every_field_screen_speaks_chinese_even_with_a_rejected_record(context, e2e_server):
    base = e2e_server.url
    page = context.new_page()
    leaks: dict[str, list[str]] = {}
    go(page, base, "/login")
    page.locator("button[type=submit]").wait_for()
    assert_chinese(page, "login", leaks)
    login(page, base)
    wait_initial_sync(page)

    for path, ready, screen in [("/", "[data-test=sync-card]", "home"),
                                ("/recipients", "[data-test=recipient-item]", "recipients"),
                                ("/difficulties", "body", "difficulties"),
                                ("/inbox", "body", "inbox"),
                                ("/settings", "[data-test=logout]", "settings"),
                                ("/recipients/new", "form", "new recipient")]:
        go(page, base, path)
        page.locator(ready).first.wait_for()
        assert_chinese(page, screen, leaks)

    recipient_id, _ = open_recipient(page, base, 0)
    assert_chinese(page, "recipient", leaks)
    go(page, base, f"/visits/new?recipient={recipient_id}")
    page.locator("form").first.wait_for()
    assert_chinese(page, "visit form", leaks)
    go(page, base, f"/difficulties/new?recipient={recipient_id}")
    page.locator("form").first.wait_for()
    assert_chinese(page, "new difficulty", leaks)

    [visit, *_] = read_store(page, "visits")  # the demo's
    go(page, base, f"/visits/{visit['id']}")
    page.locator("main, #app").first.wait_for()
    assert_chinese(page, "visit", leaks)
    [difficulty, *_] = read_store(page, "difficulties")
    go(page, base, f"/difficulties/{difficulty['id']}")
    page.locator("main, #app").first.wait_for()
    assert_chinese(page, "difficulty", leaks)

    # A visit the server refuses (notes too long, cash out of range): the outbox shows why, in words.
    queue_mutations(page, session_user_id(page), [{"op": "visit.create", "data": {
        "id": str(uuid.uuid4()), "recipient_id": recipient_id,
        "visited_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "kind": "routine", "occasion": None, "participants": None, "gifts": None, "cash_cents": -5,
        "notes": "长" * 4001, "location": None, "photos": [], "signature": None, "no_signature_reason": None}}])
    go(page, base, "/")
    page.locator("[data-test=sync-now]").click()
    wait_until(lambda: any(m["state"] == "rejected" for m in outbox_rows(page)), message="the rejection", page=page)
    go(page, base, "/outbox")
    reason = page.locator("[data-test=outbox-reason]").first
    reason.wait_for()
    assert "备注" in reason.inner_text() and "慰问金" in reason.inner_text(), reason.inner_text()
    assert_chinese(page, "outbox with a rejected record", leaks)

    assert leaks == {}, leaks


def test_a_liaisons_screens_speak_chinese(context, e2e_server):
    """The creation campaign's phone screens (tasks, an item with its evidence, the inspection form, the inbox)."""
    page = context.new_page()
    leaks: dict[str, list[str]] = {}
    screens = []
    for screen, _ in liaison_screens(page, e2e_server.url):
        assert_chinese(page, screen, leaks)
        screens.append(screen)
    assert len(screens) == 6
    assert leaks == {}, leaks


OFFICE_SCREENS = ["/office/visits", "/office/difficulties", "/office/campaigns", "/office/inbox", "/office/import",
                  "/office/outbox-file", "/office/report", "/office/accounts", "/office/areas", "/office/audit", "/office/password",
                  "/office/creation/dashboard", "/office/creation/items", "/office/creation/evidence",
                  "/office/creation/scoring", "/office/creation/standard", "/office/creation/units"]
# What each creation screen shows once loaded (its words are scanned only then).
CREATION_READY = {"/office/creation/dashboard": "[data-test=meeting]", "/office/creation/items": "[data-test=item-row]",
                  "/office/creation/evidence": "[data-test=evidence-row], .el-table__empty-text", "/office/creation/scoring": "[data-test=scoring-row]",
                  "/office/creation/standard": "[data-test=standard-item]", "/office/creation/units": "[data-test=unit-row]"}


def test_every_office_and_admin_screen_speaks_chinese(browser, e2e_server, tmp_path):
    base = e2e_server.url
    ctx = browser_context(browser, viewport={"width": 1366, "height": 768})
    leaks: dict[str, list[str]] = {}
    try:
        page = ctx.new_page()
        page.goto(base + "/login")
        login(page, base, "admin_demo")
        for path in OFFICE_SCREENS:
            page.goto(base + path)
            page.wait_for_url(f"**{path}*")
            if path in CREATION_READY:
                page.locator(CREATION_READY[path]).first.wait_for()
            assert_chinese(page, path, leaks)
            # The first row of a list (the demo's) opens its detail screen.
            if path in ("/office/visits", "/office/difficulties", "/office/campaigns"):
                page.locator(f"a[href^='{path}/']").first.click()
                page.wait_for_url(f"**{path}/*")
                assert_chinese(page, f"{path}/:id", leaks)

        # A roster whose rows break rules: the dry run lists each row's problems in words.
        roster = tmp_path / "花名册.csv"  # the file name is shown: data, not wording
        roster.write_text("姓名,性别,身份证号,联系电话,类别,所在村(社区),家庭住址,备注\n"
                          "测试甲,未知,110101199003071234,13800000001,不存在的类别,没有这个村,东关村1号,\n"
                          ",男,330102********1234,13800000002,烈士遗属,东关村,东关村2号,\n", encoding="utf-8")
        page.goto(base + "/office/import")
        page.set_input_files("[data-test=import-file]", str(roster))
        page.click("[data-test=import-dry-run]")
        page.locator("[data-test=invalid-row]").first.wait_for()
        assert_chinese(page, "/office/import dry run", leaks)

        # An admin form refused by the server: its messages, beside the inputs, are words too.
        page.goto(base + "/office/areas")
        page.locator("[data-test=area-add-root]").click()
        page.locator("[data-test=area-code]").fill("990101001")
        page.locator("[data-test=area-name]").fill("重复的区划")
        page.locator("[data-test=area-save]").click()
        page.locator(".admin-field-errors").first.wait_for()
        assert_chinese(page, "/office/areas refused", leaks)

        # The console's Element Plus parts (its pager, date pickers) speak the language the user picks, and back.
        page.goto(base + "/office/audit")
        page.locator("[data-test=audit-row]").first.wait_for()
        pages = page.locator("[data-test=audit-pages]")
        assert "前往" in pages.inner_text()
        choose(page, "office-lang", "English")
        pages.get_by_text("Go to").wait_for()
        assert page.locator("[data-test=audit-dates] input").first.get_attribute("placeholder") == "From"
        choose(page, "office-lang", "简体中文")
        pages.get_by_text("前往").wait_for()
        assert_chinese(page, "/office/audit after switching back", leaks)
    finally:
        ctx.close()
    assert leaks == {}, leaks


def test_the_unlock_and_offline_sign_in_screens_speak_chinese(context, e2e_server):
    """The screens of the phone's encryption: locked, a wrong password, offline sign-in (a remembered account and
    an unknown one), a password changed elsewhere, a session the server revoked."""
    base = e2e_server.url
    leaks: dict[str, list[str]] = {}
    first, second = "Field#2027a", "Second#2027b"
    username = new_staff(e2e_server, first)
    page = context.new_page()
    page.goto(base + "/login")
    sign_in(page, username, first)
    page.wait_for_url(lambda url: "/login" not in url)
    wait_initial_sync(page)
    wait_for_service_worker(page)  # the app's code cached before the phone goes offline
    page.reload()
    page.locator("[data-test=login-locked]").wait_for()
    assert_chinese(page, "locked", leaks)
    sign_in(page, username, "Wrong#2027x")
    page.locator("[data-test=login-error]").wait_for()
    assert_chinese(page, "wrong password", leaks)
    sign_in(page, username, first)
    page.wait_for_url(lambda url: "/login" not in url)

    context.set_offline(True)
    go(page, base, "/settings", username)
    page.click("[data-test=logout]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_url("**/login*")
    page.locator("[data-test=login-offline]").wait_for()
    assert_chinese(page, "offline sign-in", leaks)
    page.fill("input[name=username]", "nobody_here")
    assert_chinese(page, "offline, an account never seen here", leaks)
    context.set_offline(False)

    change_password(base, username, first, second)
    sign_in(page, username, second)
    page.locator("[data-test=login-stale]").wait_for()
    page.click("[data-test=login-forget]")
    page.locator("[data-test=login-forget-warning]").wait_for()
    assert_chinese(page, "password changed elsewhere", leaks)
    page.fill("[data-test=login-old-password] input", first)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)

    admin = e2e_server.api("admin_demo")
    try:
        user_id = admin.get(f"/api/admin/users?q={username}").json()["items"][0]["id"]
        assert admin.post(f"/api/admin/users/{user_id}/revoke-sessions", {}).status_code == 200
    finally:
        admin.close()
    try:
        page.locator("[data-test=sync-now]").click(timeout=5_000)
    except PlaywrightTimeoutError:
        pass  # a sync already under way (the button loading, its toast over the page) meets the revocation itself
    page.locator("[data-test=login-revoked]").wait_for(timeout=30_000)
    assert_chinese(page, "revoked", leaks)
    assert leaks == {}, leaks
