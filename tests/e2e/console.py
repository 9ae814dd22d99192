"""Steps on the office console's Element Plus controls (select, date pickers) and its axe-core check."""

import re

from .conftest import ROOT

# axe-core comes with the benchmark's node tools (bench/package.json; `make test` installs them).
AXE = ROOT / "bench" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const r = await axe.run(document, { resultTypes: ['violations'] });
  return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
}"""


def choose(page, test_id: str, label: str, typed: str | None = None) -> None:
    """Pick the option `label` of the Element Plus select marked data-test=test_id, as a clerk with a mouse would
    (typing `typed` first into a searchable one)."""
    select = page.locator(f"[data-test={test_id}]")
    listbox = select.locator("input").get_attribute("aria-controls")
    select.locator(".el-select__wrapper").click()
    if typed:
        page.keyboard.type(typed)
    options = page.locator(f"[id='{listbox}'] [role=option]")
    options.filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).first.click()
    page.locator(f"[id='{listbox}']").wait_for(state="hidden")


def options_of(page, test_id: str) -> list[str]:
    """The options an Element Plus select offers (its dropdown opened and closed again with Esc)."""
    select = page.locator(f"[data-test={test_id}]")
    listbox = select.locator("input").get_attribute("aria-controls")
    select.locator(".el-select__wrapper").click()
    page.locator(f"[id='{listbox}']").wait_for()
    texts = page.locator(f"[id='{listbox}'] [role=option]").all_inner_texts()
    page.keyboard.press("Escape")
    page.locator(f"[id='{listbox}']").wait_for(state="hidden")
    return [t.strip() for t in texts]


def type_day(page, test_id: str, day: str) -> None:
    """Type a YYYY-MM-DD day into the date picker inside data-test=test_id and confirm it with Enter."""
    box = page.locator(f"[data-test={test_id}] input")
    box.click()
    box.fill(day)
    box.press("Enter")


def type_range(page, test_id: str, start: str, end: str) -> None:
    """Type both days into the date range picker inside data-test=test_id and confirm them with Enter."""
    inputs = page.locator(f"[data-test={test_id}] input")
    inputs.nth(0).click()
    inputs.nth(0).fill(start)
    inputs.nth(1).fill(end)
    inputs.nth(1).press("Enter")


def serious_axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page (needs a context made with bypass_csp=True: the
    app's CSP forbids the inline script add_script_tag inserts)."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: cd bench && npm ci (make test does it)")
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]


def shown_times(text: str) -> list[str]:
    """Times as a page shows them, in any form a clerk could see: the console's own, ISO, or the browser's."""
    return re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{1,4}/\d{1,2}/\d{2,4}", text)

