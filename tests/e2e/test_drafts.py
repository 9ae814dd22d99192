"""Every field form keeps what was typed through a reload 100 ms after the last keystroke (useDraft)."""

import pytest

from .helpers import (
    draw_signature_with_mouse,
    go,
    open_recipient,
    open_section,
    outbox,
    outbox_rows,
    pick_today,
    read_plain,
    read_store,
    start_online,
    unlock,
    wait_until,
)

pytestmark = pytest.mark.e2e

# A person types; the phone reloads (a crash, the OS killing the tab) this long after the last key.
KEYSTROKE_MS = 20
RELOAD_AFTER_MS = 100



def type_into(locator, text: str) -> None:
    locator.click()
    locator.press_sequentially(text, delay=KEYSTROKE_MS)


def reload_soon(page, base: str) -> None:
    """Reload shortly after the last key; the reloaded app asks for the password (the key lives only in memory)."""
    page.wait_for_timeout(RELOAD_AFTER_MS)
    page.reload()
    unlock(page, base)


def value_of(page, selector: str, expected: str) -> None:
    """Wait until the field shows `expected` (the form renders once its draft is loaded)."""
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel)?.value === text", arg=[selector, expected], timeout=15_000)


def radio(page, label: str):
    """A Vant radio by its exact label (its icon font adds a character to the accessible name)."""
    return page.locator(".van-radio").filter(has=page.get_by_text(label, exact=True))


def test_the_new_visit_form_keeps_every_field_through_a_reload(context, e2e_server):
    base = e2e_server.url
    page = start_online(context, base)
    open_recipient(page, base, 7)
    page.click("[data-test=start-visit]")
    type_into(page.locator("[data-test=occasion] input"), "重阳节慰问")
    open_section(page, "details")
    type_into(page.locator("[data-test=gifts] input"), "棉被两床")
    page.click("[data-test=add-inline-difficulty]")
    assert page.locator("[data-test=difficulty-date] input[type=date]").count() == 0
    today = pick_today(page, "difficulty-date")
    type_into(page.locator("[data-test=difficulty-description] textarea"), "冬季取暖困难")
    type_into(page.locator("[data-test=notes] textarea"), "老人精神很好")
    # Wherever the form is scrolled, its save button stays on the 740 px screen.
    page.evaluate("() => window.scrollTo(0, 0)")
    box = page.locator("[data-test=submit-visit]").bounding_box()
    assert box and box["y"] + box["height"] <= 740, box
    reload_soon(page, base)

    value_of(page, "[data-test=notes] textarea", "老人精神很好")
    assert page.locator("[data-test=occasion] input").input_value() == "重阳节慰问"
    # The folded section a draft filled opens by itself.
    assert page.locator("[data-test=gifts] input").input_value() == "棉被两床"
    assert page.locator("[data-test=difficulty-description] textarea").input_value() == "冬季取暖困难"
    assert page.locator("[data-test=difficulty-date] .van-cell__value").inner_text().strip() == today
    page.get_by_text("已恢复上次未完成的草稿").wait_for()

    # Saved: the draft goes, and the next new visit for this household starts blank.
    page.click("[data-test=submit-visit]")
    page.wait_for_url("**/recipients/*")
    assert not [d for d in read_store(page, "drafts") if ":visit:new:" in d["key"]]


def test_a_signature_drawn_and_not_confirmed_comes_back_after_a_reload_and_is_saved(context, e2e_server):
    base = e2e_server.url
    page = start_online(context, base)
    rid, _ = open_recipient(page, base, 8)
    page.click("[data-test=start-visit]")
    type_into(page.locator("[data-test=occasion] input"), "签到一半")
    draw_signature_with_mouse(page)  # never confirmed
    reload_soon(page, base)

    value_of(page, "[data-test=occasion] input", "签到一半")
    # The strokes are back on the pad: it counts as drawn (confirm enabled), and nothing was stored yet.
    page.wait_for_function("() => !document.querySelector('[data-test=signature-confirm]')?.disabled",
                           timeout=15_000)
    ink = page.evaluate("""() => {
      const c = document.querySelector('[data-test=signature-pad] canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let dark = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark++;
      return dark;
    }""")
    assert ink > 100, ink

    page.click("[data-test=submit-visit]")
    page.wait_for_url(f"**/recipients/{rid}")
    visit = next(v for v in read_plain(page, "visits") if v["recipient_id"] == rid and v.get("occasion") == "签到一半")
    assert visit["signature"] and not visit.get("no_signature_reason")
    assert "signature_drawing" not in visit
    # Its mutation, queued or (synced already) kept as acknowledged: the drawing never rides along.
    sent = [m for m in outbox(page) + read_plain(page, "acked") if m["data"].get("occasion") == "签到一半"]
    assert sent and all("signature_drawing" not in m["data"] for m in sent)


def test_the_new_recipient_form_keeps_what_was_typed_through_a_reload(context, e2e_server):
    base = e2e_server.url
    page = start_online(context, base)
    go(page, base, "/recipients/new")
    page.locator("[data-test=recipient-area]").select_option(index=1)
    area = page.locator("[data-test=recipient-area]").input_value()
    type_into(page.locator("[data-test=recipient-name] input"), "钱爱国")
    reload_soon(page, base)

    value_of(page, "[data-test=recipient-name] input", "钱爱国")
    page.wait_for_function("([sel, v]) => document.querySelector(sel)?.value === v",
                           arg=["[data-test=recipient-area]", area])

    # Discarded: the draft is gone and the form opens blank again.
    page.get_by_text("放弃草稿").click()
    page.locator(".van-dialog__confirm").click()
    page.wait_for_url(lambda url: "/recipients/new" not in url)
    # The URL changes before the router has left the form: opening the form again before then would be a
    # navigation to the current route, which keeps the old form (and what it shows) instead of a new one.
    page.locator("[data-test=recipient-name]").wait_for(state="detached")
    wait_until(lambda: not [d for d in read_store(page, "drafts") if ":recipient:new" in d["key"]],
               message="the draft to go", page=page)
    go(page, base, "/recipients/new")
    page.locator("[data-test=recipient-name] input").wait_for()
    page.wait_for_timeout(300)
    assert page.locator("[data-test=recipient-name] input").input_value() == ""


def test_the_new_difficulty_form_keeps_what_was_typed_through_a_reload(context, e2e_server):
    base = e2e_server.url
    page = start_online(context, base)
    rid, _ = open_recipient(page, base, 8)
    go(page, base, f"/difficulties/new?recipient={rid}")
    assert page.locator("input[type=date]").count() == 0
    today = pick_today(page, "difficulty-date")
    radio(page, "紧急").click()
    type_into(page.locator("textarea"), "子女在外地，独居无人照料")
    reload_soon(page, base)

    value_of(page, "textarea", "子女在外地，独居无人照料")
    assert page.locator("[data-test=difficulty-date] .van-cell__value").inner_text().strip() == today
    assert radio(page, "紧急").get_attribute("aria-checked") == "true"


def test_the_follow_up_form_keeps_what_was_typed_through_a_reload(context, e2e_server):
    base = e2e_server.url
    page = start_online(context, base)
    # The last open one: the offline journey writes follow-ups on the first ones.
    difficulty = [d for d in sorted(read_store(page, "difficulties"), key=lambda d: d["id"])
                  if d["status"] == "open"][-1]
    go(page, base, f"/difficulties/{difficulty['id']}")
    assert page.locator("input[type=date]").count() == 0
    radio(page, "处理中").click()
    today = pick_today(page, "followup-next")
    type_into(page.locator("[data-test=followup-note] textarea"), "已联系民政办，等待答复")
    reload_soon(page, base)

    value_of(page, "[data-test=followup-note] textarea", "已联系民政办，等待答复")
    assert page.locator("[data-test=followup-next] .van-cell__value").inner_text().strip() == today
    assert radio(page, "处理中").get_attribute("aria-checked") == "true"

    # Saved: the form is blank again and stays blank after a reload.
    page.click("[data-test=save-followup]")
    page.locator(".van-cell__label", has_text="已联系民政办，等待答复").wait_for()
    assert page.locator("[data-test=followup-note] textarea").input_value() == ""
    page.wait_for_timeout(300)
    page.reload()
    unlock(page, base)
    page.locator(".van-cell__label", has_text="已联系民政办，等待答复").wait_for()
    page.wait_for_timeout(300)
    assert page.locator("[data-test=followup-note] textarea").input_value() == ""


def test_the_edit_of_a_returned_visit_shows_the_comment_and_keeps_the_edit_through_a_reload(context, e2e_server):
    base = e2e_server.url
    page = start_online(context, base)
    rid, _ = open_recipient(page, base, 9)
    page.click("[data-test=start-visit]")
    type_into(page.locator("[data-test=notes] textarea"), "待退回的走访")
    page.click("[data-test=submit-visit]")
    page.wait_for_url(f"**/recipients/{rid}")
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the visit to sync", page=page)
    visit_id = next(v["id"] for v in read_plain(page, "visits") if v.get("notes") == "待退回的走访")

    reviewer = e2e_server.api("reviewer_demo")
    try:
        answer = reviewer.post(f"/api/visits/{visit_id}/review", {"decision": "return", "comment": "请写明慰问品数量"})
        assert answer.status_code == 200, answer.text
    finally:
        reviewer.close()

    def pulled(status: str) -> bool:
        page.locator("[data-test=sync-now]").click()
        page.wait_for_timeout(500)
        return any(v["id"] == visit_id and v.get("status") == status for v in read_plain(page, "visits"))

    go(page, base, "/")
    wait_until(lambda: pulled("returned"), timeout=30, message="the phone to pull the returned visit", page=page)

    go(page, base, f"/visits/{visit_id}")
    assert page.locator("[data-test=review-comment] .van-cell__title span").first.inner_text().strip() == "退回意见"
    page.click("[data-test=edit-visit]")
    page.wait_for_url(f"**/visits/{visit_id}/edit")
    assert "退回意见：请写明慰问品数量" in page.locator("[data-test=returned-comment]").inner_text()
    open_section(page, "details")
    type_into(page.locator("[data-test=gifts] input"), "米两袋、油一桶")
    reload_soon(page, base)

    value_of(page, "[data-test=gifts] input", "米两袋、油一桶")
    assert page.locator("[data-test=notes] textarea").input_value() == "待退回的走访"
    assert "请写明慰问品数量" in page.locator("[data-test=returned-comment]").inner_text()

    # Saved and approved with a remark: that is a review comment (审核意见), not a reason for return.
    page.click("[data-test=submit-visit]")
    page.wait_for_url(lambda url: "/edit" not in url)
    wait_until(lambda: not outbox_rows(page), timeout=45, message="the fix to sync", page=page)
    reviewer = e2e_server.api("reviewer_demo")
    try:
        answer = reviewer.post(f"/api/visits/{visit_id}/review", {"decision": "approve", "comment": "材料齐全"})
        assert answer.status_code == 200, answer.text
    finally:
        reviewer.close()
    go(page, base, "/")
    wait_until(lambda: pulled("approved"), timeout=30, message="the phone to pull the approved visit", page=page)
    go(page, base, f"/visits/{visit_id}")
    comment = page.locator("[data-test=review-comment]")
    comment.wait_for()
    assert comment.locator(".van-cell__title span").first.inner_text().strip() == "审核意见"
    assert "材料齐全" in comment.inner_text()
