"""A phone that cannot sync exports its pending records; the county office loads the file in the console; the
phone's own sync later answers duplicate and nothing doubles (real Chromium, the built PWA, gunicorn)."""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .conftest import browser_context
from .console import serious_axe_violations
from .helpers import go, login, open_recipient, outbox, queue_mutations, read_store, wait_initial_sync, wait_until
from .test_words import latin_words

pytestmark = pytest.mark.e2e


def test_a_phones_exported_file_is_loaded_once_by_the_office_and_the_phones_sync_adds_nothing(
        context, browser, e2e_server, tmp_path):
    base = e2e_server.url
    phone = context.new_page()
    login(phone, base)
    wait_initial_sync(phone)
    user_id = str(next(r["value"] for r in read_store(phone, "meta") if r["key"] == "session")["user"]["id"])
    # The key that signs the file is kept sealed under the user's data key, never in the clear.
    [kept] = [r["value"] for r in read_store(phone, "meta") if r["key"] == f"export_key:{user_id}"]
    assert "enc" in kept and "key" not in kept
    recipient_id, _ = open_recipient(phone, base, 0)

    # The village has no signal: every push fails, the visit waits in the outbox.
    phone.route("**/api/sync/push", lambda route: route.abort())
    visit_id = str(uuid.uuid4())
    queue_mutations(phone, user_id, [{"op": "visit.create", "data": {
        "id": visit_id, "recipient_id": recipient_id,
        "visited_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "kind": "routine", "occasion": "日常走访", "participants": None, "gifts": "米、油", "cash_cents": 0,
        "notes": "导出文件带回县里", "location": None, "photos": [], "signature": None, "no_signature_reason": None}}])
    go(phone, base, "/outbox")
    phone.locator("[data-test=outbox-item]").first.wait_for()
    with phone.expect_download(timeout=30_000) as download:
        phone.click("[data-test=outbox-export]")
    exported = tmp_path / "待同步记录.json"
    exported.write_bytes(Path(download.value.path()).read_bytes())
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["format"] == "zoufang-outbox" and document["mac"]
    [mutation] = json.loads(document["payload"])["mutations"]

    office_ctx = browser_context(browser, viewport={"width": 1366, "height": 768}, bypass_csp=True)
    try:
        office = office_ctx.new_page()
        office.goto(base + "/login")
        login(office, base, "admin_demo")
        office.goto(base + "/office/outbox-file")
        office.set_input_files("[data-test=outbox-file]", str(exported))
        office.click("[data-test=outbox-check]")
        office.locator("[data-test=outbox-summary]").wait_for()
        assert office.locator("[data-test=outbox-type-visit] b").inner_text() == "1"
        assert office.locator("[data-test=outbox-applied]").inner_text() == "1"
        assert "staff_demo" in office.locator("[data-test=outbox-user]").inner_text()
        office.mouse.move(1, 1)
        office.evaluate("() => document.activeElement && document.activeElement.blur()")
        office.wait_for_timeout(300)
        assert serious_axe_violations(office) == []
        # Only the chosen file's own name ("待同步记录.json": data, not wording) may carry Latin letters.
        assert set(latin_words(office, "/office/outbox-file checked")) <= {"json"}
        office.click("[data-test=outbox-load]")
        office.locator("[data-test=outbox-done]").wait_for()
        assert office.locator("[data-test=outbox-applied]").inner_text() == "1"

        # A courier's edit is refused with a clear reason.
        tampered = tmp_path / "改过的.json"
        tampered.write_text(json.dumps(dict(document, payload=document["payload"].replace("米、油", "米、油、现金"))),
                            encoding="utf-8")
        office.click("[data-test=outbox-again]")
        office.set_input_files("[data-test=outbox-file]", str(tampered))
        office.click("[data-test=outbox-check]")
        assert "校验失败" in office.locator("[data-test=outbox-error]").inner_text()
    finally:
        office_ctx.close()

    # Signal again: the phone pushes the same mutation, the server answers duplicate, the outbox empties.
    phone.unroute("**/api/sync/push")
    go(phone, base, "/")
    phone.locator("[data-test=sync-now]").click()
    wait_until(lambda: not any(m["id"] == mutation["id"] for m in outbox(phone)), message="the outbox to empty",
               page=phone)
    assert any(v["id"] == visit_id for v in read_store(phone, "visits"))
