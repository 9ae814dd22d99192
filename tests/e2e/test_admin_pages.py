"""The office admin pages in real Chromium against the real server: roster import, accounts, audit log."""

import random
import re
import zipfile

import pytest

from .console import choose, shown_times, type_range
from .helpers import login

pytestmark = pytest.mark.e2e

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def id_number(seed: int) -> str:
    """A made-up 18-character ID number with a correct GB 11643 check digit."""
    body = f"330102{1940 + seed % 50}{1 + seed % 12:02d}{1 + seed % 28:02d}{seed % 1000:03d}"
    return body + CHECK[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


@pytest.fixture
def office(browser):
    """A desk PC: a wide window, Chinese, Beijing time."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN",
                              timezone_id="Asia/Shanghai", accept_downloads=True)
    ctx.set_default_timeout(20_000)
    ctx.set_default_navigation_timeout(20_000)
    try:
        yield ctx
    finally:
        ctx.close()


def test_admin_imports_a_roster_creates_an_account_and_finds_both_in_the_audit_log(
        office, context, e2e_server, tmp_path):
    base = e2e_server.url
    rng = random.Random()
    good = [id_number(rng.randrange(10**6)) for _ in range(2)]
    while good[0] == good[1]:
        good[1] = id_number(rng.randrange(10**6))
    bad = good[0][:-1] + ("0" if good[0][-1] != "0" else "1")  # a wrong check digit
    # Each gender as its ID number says: a contradiction is a warning the page would ask about first.
    gender = ["男" if int(n[16]) % 2 else "女" for n in good]
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "姓名,性别,身份证号,联系电话,类别,所在村(社区),家庭住址,备注\n"
        f"测试甲,{gender[0]},{good[0]},13800000001,烈士遗属,东关村,东关村1号,\n"
        f"测试乙,{gender[1]},{good[1]},13800000002,disabled_veteran,青山村,青山村2号,\n"
        f"测试丙,男,{bad},13800000003,在乡复员军人,石桥村,石桥村3号,\n",
        encoding="utf-8")

    page = office.new_page()
    page.goto(base + "/login")
    login(page, base, "admin_demo")

    # Roster import: the template downloads, a dry run lists only the bad row, the import shows its counts.
    page.goto(base + "/office/import")
    with page.expect_download() as download:
        page.click("[data-test=import-template]")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.set_input_files("[data-test=import-file]", str(roster))
    page.click("[data-test=import-dry-run]")
    page.locator("[data-test=import-summary]").wait_for()
    rows = page.locator("[data-test=invalid-row]")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-row") == "4"
    assert "身份证号" in rows.first.inner_text()
    assert page.locator("[data-test=count-valid]").inner_text() == "2"
    assert page.locator("[data-test=count-invalid]").inner_text() == "1"
    assert page.locator("[data-test=count-created]").inner_text() == "2"
    page.click("[data-test=import-run]")
    page.locator("[data-test=import-done]").wait_for(timeout=60_000)
    assert "新增 2 人" in page.locator("[data-test=import-done]").inner_text()
    assert page.locator("[data-test=count-created]").inner_text() == "2"

    # A new account with a generated temporary password.
    username = f"e2e{rng.randrange(10**8):08d}"
    page.goto(base + "/office/accounts")
    page.locator("[data-test=account-row]").first.wait_for()
    page.click("[data-test=account-create]")
    form = page.locator("[data-test=account-form]")
    form.locator("[data-test=account-username]").fill(username)
    form.locator("[data-test=account-display-name]").fill("测试员")
    choose(page, "account-role", "工作人员")
    choose(page, "account-area", "东关村", typed="东关")
    form.locator("[data-test=account-password]").fill("abc")
    form.locator("[data-test=account-save]").click()
    # The policy's own messages show under the password first.
    form.locator("[data-test=errors-password]").wait_for()
    assert "8" in form.locator("[data-test=errors-password]").inner_text()
    form.locator("[data-test=account-generate]").click()
    temporary = form.locator("[data-test=account-password]").input_value()
    form.locator("[data-test=account-save]").click()
    page.locator(f"[data-test=account-row][data-username='{username}']").wait_for()
    assert page.locator("[data-test=account-form]").count() == 0, "the dialog closes once the account is saved"

    # The audit log lists the import (and the new account), newest first.
    page.goto(base + "/office/audit")
    page.locator("[data-test=audit-row][data-action='recipient.import']").first.wait_for()
    page.fill("[data-test=audit-action]", "recipient.import")
    page.click("[data-test=audit-search]")
    page.wait_for_function("() => [...document.querySelectorAll('[data-test=audit-row]')].every("
                           "(r) => r.dataset.action === 'recipient.import')")
    assert page.locator("[data-test=audit-row]").count() == 2  # the dry run and the import
    page.fill("[data-test=audit-action]", "user.create")
    page.click("[data-test=audit-search]")
    page.locator("[data-test=audit-row][data-action='user.create']").first.wait_for()
    # Times to the second in Beijing time, never the browser's mm/dd/yyyy.
    times = shown_times(page.inner_text("[data-test=audit-table]"))
    assert times and all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", t) for t in times), times
    # A day range that holds no entries empties the list.
    type_range(page, "audit-dates", "2020-01-01", "2020-01-02")
    page.click("[data-test=audit-search]")
    page.locator("[data-test=audit-total]").get_by_text("共 0 条").wait_for()

    # The weekly report of the last 7 days downloads as a workbook.
    page.goto(base + "/office/report")
    with page.expect_download() as report:
        page.click("[data-test=report-download]")
    assert report.value.suggested_filename.endswith(".xlsx")
    with open(report.value.path(), "rb") as workbook:
        assert workbook.read(2) == b"PK"
    # Below it, a village's archives download as one ZIP of PDFs (a plain link: the browser streams it).
    choose(page, "archive-township", "城关镇")
    choose(page, "archive-village", "东关村")
    with page.expect_download() as bundle:
        page.click("[data-test=archive-download]")
    with zipfile.ZipFile(bundle.value.path()) as archive:
        names = archive.namelist()
        assert names and all(n.endswith(".pdf") for n in names)
        assert archive.read(names[0]).startswith(b"%PDF-")

    # The new colleague logs in on a phone and is asked for a password of their own before anything else.
    phone = context.new_page()
    phone.goto(base + "/login")
    phone.fill("input[name=username]", username)
    phone.fill("input[name=password]", temporary)
    phone.click("button[type=submit]")
    phone.wait_for_url(lambda url: "/password?next=" in url)
    phone.locator("[data-test=password-required]").wait_for()
    phone.fill("[data-test=password-current] input", temporary)
    phone.fill("[data-test=password-new] input", "Dongguan#Village2027")
    phone.fill("[data-test=password-repeat] input", "Dongguan#Village2027")
    phone.click("[data-test=password-submit]")
    phone.wait_for_url(lambda url: "/password" not in url)
    assert page.request.get(base + "/api/admin/audit?action=user.change_password").json()["total"] == 1
