"""The reviewer of a resubmitted visit sees what changed since the return (issue 15), in Chinese, accessible."""

import hashlib

import pytest

from tests.conftest import PNG_1PX, difficulty_data, mutation, visit_data

from .conftest import browser_context
from .console import serious_axe_violations
from .helpers import login
from .test_accessibility import low_contrast
from .test_words import latin_words

pytestmark = pytest.mark.e2e


def upload(api, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    answer = api.http.put(f"{api.url}/api/attachments/{digest}", data=data, timeout=30,
                          headers={"X-CSRF-Token": api.csrf, "Content-Type": "image/png"})
    assert answer.status_code in (200, 201), answer.text
    return digest


def push(api, *mutations) -> list[dict]:
    answer = api.post("/api/sync/push", {"device_id": "e2e-review-changes", "mutations": list(mutations)})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert all(r["status"] == "applied" for r in results), results
    return results


def test_the_review_page_shows_fields_photos_and_difficulties_changed_since_the_return(
        browser, e2e_server, staff_api):
    recipient = next(c["data"] for c in staff_api.pull_all() if c["type"] == "recipient" and not c["deleted"])
    kept, dropped, added, signature = (upload(staff_api, PNG_1PX + tag)
                                       for tag in (b"kept", b"dropped", b"added", b"signature"))
    visit = visit_data(recipient["id"], notes="初次走访记录", cash_cents=50000, photos=[kept, dropped],
                       no_signature_reason="卧床无法签字")
    [created] = push(staff_api, mutation("visit.create", visit))
    reviewer = e2e_server.api("reviewer_demo")
    try:
        answer = reviewer.post(f"/api/visits/{visit['id']}/review", {"decision": "return", "comment": "请补签字"})
        assert answer.status_code == 200, answer.text
        version = answer.json()["version"]
    finally:
        reviewer.close()
    push(staff_api,
         mutation("visit.update", {"id": visit["id"], "notes": "已补签字并补拍照片", "cash_cents": 60000,
                                   "photos": [kept, added], "signature": signature, "no_signature_reason": None},
                  base_version=version),
         mutation("difficulty.create", difficulty_data(recipient["id"], visit_id=visit["id"],
                                                       category="housing", description="房屋漏雨")))

    ctx = browser_context(browser, viewport={"width": 1366, "height": 768}, bypass_csp=True)
    try:
        page = ctx.new_page()
        page.goto(e2e_server.url + "/login")
        login(page, e2e_server.url, "reviewer_demo")
        page.goto(f"{e2e_server.url}/office/visits/{visit['id']}")
        changes = page.locator("[data-test=visit-changes]")
        changes.wait_for()

        assert "退回后的修改" in changes.inner_text() and "请补签字" in changes.inner_text()
        rows = {row.get_attribute("data-field"): [c.strip() for c in row.locator("th, td").all_inner_texts()]
                for row in changes.locator("[data-test=change-row]").all()}
        assert rows == {
            "cash_cents": ["慰问金", "500 元", "600 元"],
            "notes": ["备注", "初次走访记录", "已补签字并补拍照片"],
            "signature": ["对象签字", "未签字", "已签字"],
            "no_signature_reason": ["未签字原因", "卧床无法签字", "（空）"],
        }, rows
        assert changes.locator("[data-test=photos-added]").inner_text() == "新增照片 1 张"
        assert changes.locator("[data-test=photos-removed]").inner_text() == "删除照片 1 张"
        [difficulty] = changes.locator("[data-test=change-difficulty]").all()
        assert difficulty.get_attribute("data-change") == "added"
        assert "新增" in difficulty.inner_text() and "住房：房屋漏雨" in difficulty.inner_text()

        page.wait_for_load_state("networkidle")
        assert latin_words(page, "/office/visits/:id changes") == []
        assert serious_axe_violations(page) == []
        assert low_contrast(page) == []
    finally:
        ctx.close()
    assert created["entity"]["data"]["status"] == "submitted"
