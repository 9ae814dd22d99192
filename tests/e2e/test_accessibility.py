"""Contrast of every visible text on the main screens meets WCAG AA (Vant's default greys do not)."""

from pathlib import Path

import pytest

from .helpers import go, login, open_recipient, wait_initial_sync

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
