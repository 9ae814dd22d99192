"""The creation campaign in the office console, in real Chromium at 1366×768 in Chinese: the 双拥办 imports a
standard workbook (dry run, then apply), assigns an item to 县人武部, accepts one piece of its liaison's evidence
and returns another with a comment, scores a 失分点 and orders a 整改 with a deadline, and the dashboard shows
the new estimate. Screenshots for the README when ZOUFANG_SCREENSHOTS=1."""

import hashlib
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from .console import choose, type_day
from .helpers import login, wait_until
from .test_office_journey import TAKE_SHOTS, shot
from .test_offline_journey import make_photo

pytestmark = pytest.mark.e2e
UNIT = "县人武部"
EDITED = "（本县细化）"
# The README's pictures of each page, taken on the demo data before the journey changes it.
PAGES = [("dashboard", "[data-test=chart-trend] canvas"), ("items", "[data-test=item-row]"),
         ("evidence", "[data-test=evidence-row]"), ("standard", "[data-test=standard-item]"),
         ("units", "[data-test=unit-row]")]


@pytest.fixture
def clients(e2e_server):
    reviewer, liaison = e2e_server.api("reviewer_demo"), e2e_server.api("liaison_demo")
    try:
        yield reviewer, liaison
    finally:
        reviewer.close()
        liaison.close()


def edited_standard(reviewer, path) -> str:
    """The current standard's workbook with its first item's content changed; that content."""
    answer = reviewer.get("/api/creation/standard.xlsx")
    assert answer.status_code == 200, answer.text
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book.worksheets[0]
    rows = iter(sheet.iter_rows())
    header = next([c.value for c in r] for r in rows if any(c.value == "序号" for c in r))  # under the title
    row = next(r for r in rows if r[header.index("序号")].value)
    cell = row[header.index("考评内容")]
    cell.value = f"{cell.value}{EDITED}"
    book.save(path)
    return cell.value


def upload_evidence(liaison, item_id: str, title: str, seed: int, tmp_path) -> str:
    data = make_photo(tmp_path / f"{seed}.jpg") + bytes([seed])  # a JPEG may carry bytes after its end
    sha = hashlib.sha256(data).hexdigest()
    put = liaison.http.put(f"{liaison.url}/api/attachments/{sha}", data=data, timeout=30,
                           headers={"Content-Type": "image/jpeg", "X-CSRF-Token": liaison.csrf})
    assert put.status_code in (200, 201), put.text
    answer = liaison.post(f"/api/creation/items/{item_id}/evidence", {"sha256": sha, "title": title})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def open_evidence(page, title: str) -> None:
    page.locator(f"[data-test=evidence-row][data-title='{title}']").wait_for()
    row = page.locator(".el-table__row", has=page.locator(f"[data-test=evidence-row][data-title='{title}']"))
    row.locator("[data-test=evidence-open]").click()
    page.locator("[data-test=evidence-dialog]").wait_for()
    page.locator("[data-test=evidence-preview] img").wait_for()


def test_office_runs_the_creation_campaign(office, clients, e2e_server, tmp_path):
    reviewer, liaison = clients
    base = e2e_server.url
    page = office.new_page()
    page.goto(base + "/login")
    login(page, base, "reviewer_demo")
    before_version = reviewer.get("/api/creation/standard").json()["version"]
    for name, ready in PAGES if TAKE_SHOTS else []:
        page.goto(f"{base}/office/creation/{name}")
        page.locator(ready).first.wait_for()
        shot(page, f"office-creation-{name}")

    # 1. Import a standard workbook: the dry run is shown first, then applied as the next version.
    workbook = tmp_path / "考评标准.xlsx"
    content = edited_standard(reviewer, workbook)
    page.goto(base + "/office/creation/standard")
    page.locator("[data-test=standard-item]").first.wait_for()
    page.click("[data-test=standard-import]")
    page.set_input_files("[data-test=standard-import-file]", str(workbook))
    page.click("[data-test=standard-import-check]")
    result = page.locator("[data-test=standard-import-result]")
    result.wait_for()
    assert "0 行有问题" in result.inner_text()
    assert reviewer.get("/api/creation/standard").json()["version"] == before_version  # a dry run writes nothing
    page.click("[data-test=standard-import-apply]")
    page.locator("[data-test=standard-version]").filter(has_text=f"第 {before_version + 1} 版").wait_for()
    page.locator("[data-test=standard-item]", has_text=EDITED).wait_for()
    standard = reviewer.get("/api/creation/standard").json()
    assert standard["version"] == before_version + 1
    item = standard["categories"][0]["items"][0]
    assert item["content"] == content

    # 2. Assign that item to 县人武部 with a deadline.
    deadline = (date.today() + timedelta(days=20)).isoformat()
    page.goto(base + "/office/creation/items")
    row = page.locator(".el-table__row", has=page.locator(f"[data-test=item-row][data-number='{item['number']}']"))
    row.locator("[data-test=item-assign]").click()
    page.locator("[data-test=assign-dialog]").wait_for()
    choose(page, "assign-lead", UNIT)
    type_day(page, "assign-deadline", deadline)
    choose(page, "assign-status", "推进中")
    page.click("[data-test=assign-save]")
    page.locator("[data-test=assign-dialog]").wait_for(state="hidden")
    row.locator("[data-test=item-lead]", has_text=UNIT).wait_for()
    answer = reviewer.get(f"/api/creation/items/{item['id']}").json()
    assert (answer["lead_unit_name"], answer["deadline"], answer["status"]) == (UNIT, deadline, "in_progress")

    # The unit's liaison sends three photos for it (the phone's part is another test's).
    titles = ["征兵工作会议照片", "国防教育现场照片", "双拥共建签约照片"]
    ids = [upload_evidence(liaison, item["id"], title, n, tmp_path) for n, title in enumerate(titles)]

    # 3. Accept one piece, return another with a comment (the third waits in the queue).
    page.goto(base + "/office/creation/evidence")
    open_evidence(page, titles[0])
    page.click("[data-test=evidence-accept]")
    page.locator("[data-test=evidence-dialog]").wait_for(state="hidden")
    page.locator(f"[data-test=evidence-row][data-title='{titles[0]}']").wait_for(state="detached")
    open_evidence(page, titles[1])
    page.click("[data-test=evidence-return]")  # a return needs a comment
    page.locator("[data-test=evidence-error]").wait_for()
    page.locator("[data-test=evidence-comment]").fill("照片未显示会议横幅，请补充签到表")
    page.click("[data-test=evidence-return]")
    page.locator("[data-test=evidence-dialog]").wait_for(state="hidden")
    page.locator(f"[data-test=evidence-row][data-title='{titles[1]}']").wait_for(state="detached")
    pieces = {e["id"]: e for e in reviewer.get(f"/api/creation/evidence?item_id={item['id']}").json()["items"]}
    assert [pieces[i]["status"] for i in ids] == ["accepted", "returned", "submitted"]
    assert pieces[ids[1]]["review_comment"] == "照片未显示会议横幅，请补充签到表"

    # 4. Score a 失分点 and 5. order a 整改 with a deadline.
    estimate_before = reviewer.get("/api/creation/dashboard").json()["estimated_total"]
    score = round(item["points"] - 0.5, 2)
    fix_deadline = (date.today() + timedelta(days=7)).isoformat()
    page.goto(base + "/office/creation/scoring")
    row = page.locator(".el-table__row", has=page.locator(f"[data-test=scoring-row][data-number='{item['number']}']"))
    row.locator("[data-test=scoring-open]").click()
    page.locator("[data-test=scoring-dialog]").wait_for()
    box = page.locator("[data-test=scoring-estimate] input")
    box.fill(str(score))
    box.press("Tab")
    page.locator("[data-test=scoring-notes]").fill("缺少季度例会记录")
    page.click("[data-test=scoring-order]")
    type_day(page, "scoring-deadline", fix_deadline)
    shot(page, "office-creation-scoring")
    page.click("[data-test=scoring-save]")
    page.locator("[data-test=scoring-dialog]").wait_for(state="hidden")
    row.locator("[data-test=scoring-score]", has_text=f"{score:g}").wait_for()
    page.locator(".el-tabs__item", has_text="整改任务").click()
    fix = page.locator(".el-table__row", has=page.locator("[data-test=fix-row]", has_text="缺少季度例会记录"))
    fix.locator("[data-test=fix-deadline]", has_text=fix_deadline).wait_for()
    fixes = reviewer.get(f"/api/creation/rectifications?item_id={item['id']}").json()["items"]
    assert [(f["unit_name"], f["deadline"], f["status"]) for f in fixes] == [(UNIT, fix_deadline, "open")]

    # 6. The dashboard shows the new estimate.
    dashboard = reviewer.get("/api/creation/dashboard").json()
    assert dashboard["estimated_total"] == pytest.approx(estimate_before + score)
    page.goto(base + "/office/creation/dashboard")
    estimate = page.locator("[data-test=dashboard-estimate]")
    estimate.wait_for()
    wait_until(lambda: float(estimate.inner_text()) == pytest.approx(dashboard["estimated_total"]), timeout=10,
               message="the dashboard's estimate", page=page)
    page.locator("[data-test=chart-trend] canvas").wait_for()
    page.locator("[data-test=meeting-change]").first.wait_for()
    assert "缺少季度例会记录" in page.locator("[data-test=meeting]").inner_text()
