"""The recipient list with a township-sized roster: only a window of rows is in the page, and scrolling reaches the end.

A server of its own (the session's shared one keeps the small demo roster the other tests count on), seeded with
a few thousand recipients through the same sync push every device uses.
"""

import json
import random
import re
import uuid
from datetime import UTC, datetime

import pytest

from .conftest import E2EServer
from .helpers import go, login, wait_until

ROSTER = 3_000


@pytest.fixture(scope="module")
def big_server(tmp_path_factory):
    server = E2EServer(tmp_path_factory.mktemp("roster"))
    try:
        server.start()
        seed_roster(server, ROSTER)
        yield server
    finally:
        server.stop()


def seed_roster(server: E2EServer, count: int) -> None:
    """`count` recipient.create mutations pushed as admin_demo into the villages staff_demo sees."""
    staff = server.api("staff_demo")
    villages = sorted(c["data"]["id"] for c in staff.pull_all() if c["type"] == "area" and c["data"].get("level") == "village")
    staff.close()
    admin = server.api("admin_demo")
    rng = random.Random(3)
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "建国军华明英秀兰德福志强海平玉梅桂芳春生"
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    mutations = [{"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "op": "recipient.create", "base_version": None,
                  "client_time": now,
                  "data": {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                           "name": rng.choice(surnames) + "".join(rng.sample(given, 2)), "gender": "male",
                           "phone": None, "address": f"{i}号", "area_id": rng.choice(villages), "category": "veteran",
                           "tags": [], "notes": None}} for i in range(count)]
    try:
        for i in range(0, count, 200):
            answer = admin.post("/api/sync/push", {"device_id": "e2e-roster", "mutations": mutations[i:i + 200]})
            answer.raise_for_status()
            assert {r["status"] for r in answer.json()["results"]} == {"applied"}, json.dumps(answer.json())[:400]
    finally:
        admin.close()


def test_a_big_roster_renders_a_window_of_rows_and_scrolls_to_the_last(context, big_server):
    base = big_server.url
    page = context.new_page()
    page.goto(base + "/login")
    login(page, base)
    go(page, base, "/recipients")
    count = page.locator("[data-test=recipient-count]")

    def listed() -> int:  # "共 3012 人": the list's own count, live as the pull stores pages
        return int(re.sub(r"\D", "", count.inner_text()) or 0)

    total = wait_until(lambda: listed() >= ROSTER and listed(), timeout=60, message=f"{ROSTER} recipients listed",
                       page=page)

    roster = page.get_by_role("list", name="优抚对象")
    rows = roster.get_by_role("listitem")
    assert 5 <= rows.count() <= 40, rows.count()  # a window, not thousands of rows
    assert rows.first.get_attribute("aria-posinset") == "1"
    assert rows.first.get_attribute("aria-setsize") == str(total)

    # To the bottom of the page (again while rows measured on the way change the list's height): the last row.
    last = roster.locator(f"[role=listitem][aria-posinset='{total}']")
    for _ in range(20):
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_timeout(150)
        if last.count():
            break
    last.wait_for()
    assert rows.count() <= 40, rows.count()
    box = last.bounding_box()
    tabbar = page.locator("nav .van-tabbar").bounding_box()
    assert box and tabbar and box["y"] + box["height"] <= tabbar["y"] + 1, (box, tabbar)  # above the tab bar, not under it

    # It is a real row: it opens its recipient.
    name = last.locator("[data-test=recipient-item] .van-cell__title span").first.inner_text()
    last.locator("[data-test=recipient-item]").click()
    page.wait_for_url("**/recipients/*-*")
    page.locator("[data-test=start-visit]").wait_for()
    assert name in page.inner_text("body")
