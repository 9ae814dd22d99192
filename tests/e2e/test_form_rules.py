"""The server's rules on the phone's forms, in real Chromium at 360×740: a value the server would refuse is
shown in Chinese beside its field before saving, and nothing is saved (no record, no outbox mutation)."""

import pytest

from .helpers import (
    go,
    open_recipient,
    outbox,
    pick_today,
    read_store,
    start_online,
)

pytestmark = pytest.mark.e2e



def error_of(page, test_id: str):
    """The inline message of the Vant field marked `data-test=test_id`."""
    return page.locator(f"[data-test={test_id}] .van-field__error-message, [data-test={test_id}] .form-date-error")


def test_each_form_shows_the_servers_rule_beside_its_field_and_saves_nothing(context, e2e_server):
    base = e2e_server.url
    page = start_online(context, base)
    assert outbox(page) == []
    recipients = len(read_store(page, "recipients"))

    # A new recipient with an ID number whose check digit is wrong (GB 11643).
    go(page, base, "/recipients/new")
    page.locator("[data-test=recipient-name] input").fill("钱新来")
    page.locator("[data-test=recipient-area]").select_option(index=1)
    page.locator("[data-test=recipient-id-number] input").fill("110105194912310021")
    assert page.locator("[data-test=recipient-notes] .van-field__word-limit").inner_text() == "0/2000"
    page.click("button[type=submit]")
    assert error_of(page, "recipient-id-number").inner_text() == "身份证号校验位错误，请核对"
    assert page.url.endswith("/recipients/new")
    assert len(read_store(page, "recipients")) == recipients and outbox(page) == []

    # A visit giving cash with neither a signature nor a reason.
    open_recipient(page, base, 0)
    page.click("[data-test=start-visit]")
    page.locator("[data-test=cash] input").fill("500")
    assert page.locator("[data-test=notes] .van-field__word-limit").inner_text() == "0/4000"
    page.click("[data-test=submit-visit]")
    assert page.locator("[data-test=signature-error]").inner_text() == "发放慰问金须对象签字，或填写未签字原因"
    assert "/visits/new" in page.url and outbox(page) == []

    # A follow-up that resolves the difficulty and still schedules a next one.
    go(page, base, "/")
    page.locator("[data-test=due-item]").first.click()
    page.wait_for_url("**/difficulties/*")
    followups = len(read_store(page, "followups"))
    page.locator("[data-test=followup-note] textarea").fill("已办结")
    page.get_by_text("已解决", exact=True).click()
    pick_today(page, "followup-next")
    page.click("[data-test=save-followup]")
    assert error_of(page, "followup-next").inner_text() == "已解决的困难不需要再安排下次跟进"
    assert len(read_store(page, "followups")) == followups and outbox(page) == []

    # A new difficulty without a description (the counter shows the server's limit).
    open_recipient(page, base, 0)
    page.click("[data-test=add-difficulty]")
    page.wait_for_url("**/difficulties/new*")
    assert page.locator("[data-test=difficulty-new-description] .van-field__word-limit").inner_text() == "0/4000"
    page.locator("[data-test=difficulty-new-description] textarea").fill("   ")
    page.click("button[type=submit]")
    assert error_of(page, "difficulty-new-description").inner_text() == "请填写具体情况"
    assert "/difficulties/new" in page.url and outbox(page) == []
