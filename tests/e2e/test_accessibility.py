"""Accessibility: text contrast meets WCAG AA on the field screens (Vant's default greys do not) and on the
console; the console has no serious or critical axe-core violation and works from the keyboard."""

from pathlib import Path

import pytest

from .conftest import browser_context
from .console import serious_axe_violations
from .helpers import go, liaison_screens, login, open_recipient, wait_initial_sync

pytestmark = pytest.mark.e2e
CONTRAST = (Path(__file__).parent / "contrast.js").read_text()


def low_contrast(page) -> list[str]:
    return page.evaluate(CONTRAST)


def test_text_contrast_meets_wcag_aa_on_the_field_screens(context, e2e_server):
    base = e2e_server.url
    page = context.new_page()
    page.goto(base + "/login")
    page.locator("button[type=submit]").wait_for()
    assert low_contrast(page) == []
    login(page, base)
    wait_initial_sync(page)
    for path, ready in [("/", "[data-test=sync-card]"), ("/recipients", "[data-test=recipient-item]"),
                        ("/outbox", "[data-test=sync-card]"), ("/settings", "[data-test=logout]")]:
        go(page, base, path)
        page.locator(ready).first.wait_for()
        assert low_contrast(page) == [], path
    open_recipient(page, base, 0)
    assert low_contrast(page) == [], "recipient"
    page.reload()  # the unlock screen (the data key lives only in memory)
    page.locator("[data-test=login-locked]").wait_for()
    assert low_contrast(page) == [], "unlock"
    login(page, base)
    page.click("[data-test=start-visit]")
    page.click("[data-test=add-inline-difficulty]")
    page.locator("[data-test=difficulty-form]").wait_for()
    assert low_contrast(page) == [], "visit form"


def test_a_liaisons_screens_pass_axe_and_contrast(browser, e2e_server):
    """The creation campaign's phone screens at 360×740: no serious or critical axe-core violation, no
    low-contrast text (the overdue red and the due-soon amber included)."""
    ctx = browser_context(browser, viewport={"width": 360, "height": 740}, has_touch=True, bypass_csp=True)
    found: dict[str, dict] = {}
    try:
        page = ctx.new_page()
        checked = []
        for screen, _ in liaison_screens(page, e2e_server.url):
            page.wait_for_timeout(300)  # transitions settle
            axe, contrast = serious_axe_violations(page), low_contrast(page)
            if axe or contrast:
                found[screen] = {"axe": axe, "contrast": contrast}
            checked.append(screen)
        assert len(checked) == 6
    finally:
        ctx.close()
    assert found == {}, found


# Every console page (as an admin, who sees them all) and what it is ready with.
OFFICE_PAGES = [
    ("/office/visits", "[data-test=visit-open]"),
    ("/office/difficulties", "[data-test=board-open]"),
    ("/office/campaigns", "[data-test=campaign-open]"),
    ("/office/inbox", "[data-test=inbox-table]"),
    ("/office/import", "[data-test=import-template]"),
    ("/office/outbox-file", "[data-test=outbox-check]"),
    ("/office/report", "[data-test=report-download]"),
    ("/office/accounts", "[data-test=account-row]"),
    ("/office/areas", "[data-test=area-node]"),
    ("/office/audit", "[data-test=audit-row]"),
    ("/office/password", "[data-test=password-submit]"),
    ("/office/creation/dashboard", "[data-test=supervision-unit]"),
    ("/office/creation/items", "[data-test=item-row]"),
    ("/office/creation/evidence", "[data-test=evidence-row]"),
    ("/office/creation/scoring", "[data-test=scoring-row]"),
    ("/office/creation/standard", "[data-test=standard-item]"),
    ("/office/creation/units", "[data-test=unit-row]"),
]


def test_every_console_page_and_dialog_passes_axe_and_contrast(browser, e2e_server):
    """No serious or critical axe-core violation and no low-contrast text on any console page, its detail pages,
    its dialogs and an open dropdown, at 1366×768."""
    base = e2e_server.url
    ctx = browser_context(browser, viewport={"width": 1366, "height": 768}, bypass_csp=True)
    found: dict[str, dict] = {}

    def check(page, screen: str) -> None:
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)  # transitions settle
        axe, contrast = serious_axe_violations(page), low_contrast(page)
        if axe or contrast:
            found[screen] = {"axe": axe, "contrast": contrast}

    def dialog(page, screen: str, opener: str, ready: str) -> None:
        page.click(opener)
        page.locator(ready).wait_for()
        check(page, screen)
        page.keyboard.press("Escape")
        page.locator(ready).wait_for(state="hidden")

    try:
        page = ctx.new_page()
        page.goto(base + "/login")
        login(page, base, "admin_demo")
        checked = []
        for path, ready in OFFICE_PAGES:
            page.goto(base + path)
            page.locator(ready).first.wait_for()
            check(page, path)
            checked.append(path)
            if path in ("/office/visits", "/office/difficulties", "/office/campaigns"):
                page.locator(f"a[href^='{path}/']").first.click()
                page.wait_for_url(f"**{path}/*")
                page.locator("[data-test=back]").wait_for()
                check(page, f"{path}/:id")
                checked.append(f"{path}/:id")
        assert len(checked) == len(OFFICE_PAGES) + 3

        page.goto(base + "/office/visits")
        page.locator("[data-test=visit-open]").first.click()
        dialog(page, "review dialog", "[data-test=approve]", "[data-test=review-dialog]")
        page.goto(base + "/office/accounts")
        dialog(page, "account dialog", "[data-test=account-create]", "[data-test=account-form]")
        page.goto(base + "/office/areas")
        dialog(page, "area dialog", "[data-test=area-add-root]", "[data-test=area-form]")
        page.goto(base + "/office/campaigns")
        dialog(page, "campaign dialog", "[data-test=campaign-new]", "[data-test=campaign-form]")
        page.goto(base + "/office/creation/items")
        dialog(page, "assign dialog", "[data-test=item-assign] >> nth=0", "[data-test=assign-dialog]")
        page.goto(base + "/office/creation/evidence")
        dialog(page, "evidence dialog", "[data-test=evidence-open] >> nth=0", "[data-test=evidence-dialog]")
        page.goto(base + "/office/creation/scoring")
        dialog(page, "scoring dialog", "[data-test=scoring-open] >> nth=0", "[data-test=scoring-dialog]")
        page.goto(base + "/office/visits")
        dialog(page, "an open dropdown", "[data-test=filter-township] .el-select__wrapper", ".el-select-dropdown:visible")
    finally:
        ctx.close()
    assert found == {}, found


def focused(page) -> str:
    """The data-test of the element with the keyboard focus, or its tag."""
    return page.evaluate("() => document.activeElement?.getAttribute('data-test') || document.activeElement?.tagName")


def test_the_console_works_from_the_keyboard(browser, e2e_server):
    """Tab reaches the menu and opens a page; a select, a date and a dialog work with keys alone."""
    base = e2e_server.url
    ctx = browser_context(browser, viewport={"width": 1366, "height": 768})
    try:
        page = ctx.new_page()
        page.goto(base + "/login")
        login(page, base, "reviewer_demo")
        page.locator("[data-test=visit-open]").first.wait_for()

        # From the header, Tab walks into the menu; Enter opens the difficulties board.
        page.locator(".office-brand").focus()
        for _ in range(10):
            page.keyboard.press("Tab")
            if focused(page) == "nav-difficulties":
                break
        assert focused(page) == "nav-difficulties"
        page.keyboard.press("Enter")
        page.wait_for_url("**/office/difficulties")
        page.locator("[data-test=board-open]").first.wait_for()

        # A select with the arrow keys: the category filter narrows the board to housing.
        page.locator("[data-test=board-category] input").focus()
        box = page.locator("[data-test=board-category] input")
        page.keyboard.press("ArrowDown")
        for _ in range(12):
            active = box.get_attribute("aria-activedescendant")
            if active and page.locator(f"[id='{active}']").inner_text().strip() == "住房":
                break
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.wait_for_function("() => { const rows = [...document.querySelectorAll('[data-test=board-table] .el-table__body tr')];"
                               " return rows.length > 0 && rows.every((r) => r.textContent.includes('住房')) }")

        # Enter on a link opens the difficulty; its deadline is typed and saved with Enter.
        page.locator("[data-test=board-open]").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/office/difficulties/*")
        box = page.locator("[data-test=due-date] input")
        box.focus()
        box.press("Control+A")
        page.keyboard.type("2027-03-31")
        page.keyboard.press("Enter")
        assert box.input_value() == "2027-03-31"
        page.locator("[data-test=save-assignment]").focus()
        page.keyboard.press("Enter")
        page.locator(".el-message--success").wait_for()

        # A visit: Enter opens the return dialog with the focus inside it; Esc closes it and gives the focus back.
        page.goto(base + "/office/visits")
        page.locator("[data-test=visit-open]").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/office/visits/*")
        page.locator("[data-test=return]").focus()
        page.keyboard.press("Enter")
        page.locator("[data-test=review-dialog]").wait_for()
        page.wait_for_function("() => !!document.activeElement?.closest('.el-dialog')")
        page.keyboard.press("Escape")
        page.locator("[data-test=review-dialog]").wait_for(state="hidden")
        page.wait_for_function("() => document.activeElement?.getAttribute('data-test') === 'return'")
    finally:
        ctx.close()
