"""Office console benchmark: the visit list, the difficulties board and the coverage dashboard at county scale.

    .venv/bin/python bench/office.py                      # SQLite in a temp dir: API, then the pages in Chromium
    .venv/bin/python bench/office.py --skip browser       # the API part alone (no built app needed)
    .venv/bin/python bench/office.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

It generates 20,000 recipients in 200 villages, 100,000 visits and 20,000 difficulties (raw Core inserts into a
migrated, demo-seeded database), then

- **api**: times each office endpoint in-process as reviewer_demo (the county office, the widest scope a
  reviewer has) and prints the median and worst of several runs. Target: ≤ 300 ms each.
- **browser**: serves the same database and the built console (a copy of pwa/dist, `make build`) with `make
  run`'s gunicorn (the Procfile's `web:` line), logs in as reviewer_demo in Debian's Chromium (Playwright,
  1366×768, zh-CN) and opens each main console page in a new tab, `--rounds` times (3): time to interactive,
  rows shown, the page's API calls and their durations, the load average. Target: ≤ 1 s.

Time to interactive, as measured here: from the tab's navigation start (performance.timeOrigin) to the later of
(a) the page's content painted — its table rows (or, on a page without a table, its main control) in the DOM,
then the next animation frame and the task after it — and (b) the end of the last long task (PerformanceObserver
`longtask`, > 50 ms) before a 500 ms window without any. The clock stops only once that quiet window has passed,
so a page still busy after its rows appear is charged for it.

Nothing asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    DEMO_PASSWORD,
    analyze_and_close,
    app_for,
    logged_in,
    print_timings,
    scratch_database,
    time_gets,
)

RECIPIENTS, VISITS, DIFFICULTIES, VILLAGES_PER_TOWNSHIP, TOWNSHIPS = 20_000, 100_000, 20_000, 20, 10
NOTICES = 300  # reviewer_demo's inbox: the console's notices page
TTI_TARGET_MS = 1000
QUIET_MS = 500  # no long task for this long after the content is painted: interactive


def build(url: str, instance: str, counts: dict) -> None:
    from flask_migrate import upgrade

    from server.cli import CATEGORIES, seed_demo
    from server.extensions import db
    from server.models import Area, Difficulty, Notification, Recipient, User, Visit
    from server.services.areas import create_area

    app = app_for(url, instance)
    rng = random.Random(7)
    with app.app_context():
        upgrade()
        seed_demo()
        county = Area.query.filter_by(level="county").one()
        staff = User.query.filter_by(username="staff_demo").one()
        villages = []
        for t in range(TOWNSHIPS):
            township = create_area(f"98{t:02d}", f"测试镇{t}", "township", county.id, commit=False)
            for v in range(VILLAGES_PER_TOWNSHIP):
                villages.append(create_area(f"98{t:02d}{v:03d}", f"测试村{t}-{v}", "village", township.id,
                                            commit=False).id)
        db.session.commit()
        now = datetime.now(UTC).replace(tzinfo=None)
        recipients = [{"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "name": f"对象{i}",
                       "gender": "male", "id_number": None, "phone": None, "address": "某村某号",
                       "area_id": rng.choice(villages), "category": rng.choice(CATEGORIES), "tags": [],
                       "notes": None, "created_by": staff.id, "created_at": now, "updated_at": now, "version": 1}
                      for i in range(counts["recipients"])]
        area_of = {r["id"]: r["area_id"] for r in recipients}
        ids = list(area_of)
        for start in range(0, len(recipients), 5000):
            db.session.execute(insert(Recipient.__table__), recipients[start:start + 5000])
        visits = []
        for _ in range(counts["visits"]):
            rid = rng.choice(ids)
            at = now - timedelta(days=rng.randrange(0, 365), minutes=rng.randrange(0, 1440))
            visits.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "recipient_id": rid,
                           "author_id": staff.id, "area_id": area_of[rid], "visited_at": at,
                           "kind": rng.choice(["festival", "routine", "hardship"]), "occasion": "日常走访",
                           "participants": "李晓红", "gifts": "米、油", "cash_cents": 0, "notes": "情况良好" * 20,
                           "location": None, "photos": [], "signature": None, "no_signature_reason": None,
                           "status": rng.choice(["submitted", "approved", "approved", "returned"]),
                           "review_comment": None, "reviewed_by": None, "reviewed_at": None, "created_at": at,
                           "updated_at": at, "version": 1})
        for start in range(0, len(visits), 5000):
            db.session.execute(insert(Visit.__table__), visits[start:start + 5000])
        difficulties = []
        for _ in range(counts["difficulties"]):
            rid = rng.choice(ids)
            created = now - timedelta(days=rng.randrange(0, 365))
            status = rng.choice(["open", "in_progress", "resolved", "resolved"])
            difficulties.append({
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "recipient_id": rid, "visit_id": None,
                "author_id": staff.id, "area_id": area_of[rid], "category": "medical", "description": "看病难",
                "urgency": rng.choice(["normal", "normal", "urgent"]), "status": status,
                "status_changed_at": created, "assignee_id": None, "responsible_unit": None,
                "due_date": (created + timedelta(days=30)).date(), "follow_up_at": None,
                "resolved_at": created + timedelta(days=rng.randrange(1, 30)) if status == "resolved" else None,
                "created_at": created, "updated_at": created, "version": 1})
        for start in range(0, len(difficulties), 5000):
            db.session.execute(insert(Difficulty.__table__), difficulties[start:start + 5000])
        reviewer = User.query.filter_by(username="reviewer_demo").one()
        kinds = [("overdue", "办结超期提醒", "3 项困难诉求办结超期"),
                 ("urgent_difficulty", "紧急困难诉求", "1 项紧急困难诉求"),
                 ("follow_up_overdue", "跟进逾期提醒", "2 项困难诉求跟进逾期")]
        db.session.execute(insert(Notification.__table__), [{
            "user_id": reviewer.id, "kind": kind, "title": title, "body": body, "url": "/office/difficulties?overdue=1",
            "due_at": now - timedelta(hours=i), "sent_at": now - timedelta(hours=i), "attempts": 1,
            "read_at": None if i % 3 else now, "dedupe_key": f"bench:{i}", "created_at": now - timedelta(hours=i)}
            for i, (kind, title, body) in ((i, kinds[i % 3]) for i in range(NOTICES))])
        db.session.commit()
        analyze_and_close(db)


def new_campaign(client, csrf: str) -> dict:
    """The campaign whose coverage both parts read: the last 90 days, ending today."""
    today = date.today()
    return client.post("/api/campaigns", json={"name": "全年走访", "ends_on": today.isoformat(),
                                               "starts_on": (today - timedelta(days=90)).isoformat()},
                       headers={"X-CSRF-Token": csrf}).json


def create_campaign(url: str, instance: str) -> None:
    from server.extensions import db

    app = app_for(url, instance)
    with app.app_context():
        new_campaign(*logged_in(app, "reviewer_demo"))
        db.session.remove()
        db.engine.dispose()


def measure(url: str, instance: str, runs: int) -> list[tuple[str, float, float]]:
    app = app_for(url, instance)
    client, csrf = logged_in(app, "reviewer_demo")
    today = date.today()
    campaign = new_campaign(client, csrf)
    township = client.get("/api/areas").json["items"][1]["id"]
    endpoints = [
        ("visit list (page 1)", "/api/visits"),
        ("visit list, township + 30 days", f"/api/visits?area={township}&from={(today - timedelta(days=30))}"),
        ("visit list, name search", "/api/visits?q=对象1234"),
        ("visit list, status=submitted page 50", "/api/visits?status=submitted&page=50"),
        ("difficulties board", "/api/difficulties"),
        ("difficulties board, overdue", "/api/difficulties?overdue=1"),
        ("coverage dashboard (90 days)", f"/api/campaigns/{campaign['id']}/coverage"),
        ("campaigns list", "/api/campaigns"),
        ("notices (inbox)", "/api/notifications"),
        ("areas (every console page)", "/api/areas"),
    ]
    return time_gets(app, [(name, client, path) for name, path in endpoints], runs)


# ---------------------------------------------------------------- the console in Chromium

# Installed in every new tab before the app's scripts: long tasks (buffered from navigation start) and the moment
# the page's content is painted (the selector matches; then a frame and the task after it).
PROBE_JS = """
(() => {
  const SELECTOR = %s;
  const s = window.__zfTti = { longtasks: [], paintedAt: null, rows: 0 };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) s.longtasks.push([e.startTime, e.startTime + e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) { s.noLongtasks = String(e); }
  const check = () => {
    if (s.paintedAt !== null || s.pending) return;
    const found = document.querySelectorAll(SELECTOR).length;
    if (!found) return;
    s.pending = true;
    requestAnimationFrame(() => setTimeout(() => { s.paintedAt = performance.now(); }, 0));
    observer.disconnect();
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true });
})();
"""

# Interactive: painted, and QUIET_MS since both the paint and the last long task's end.
QUIET_JS = """(quiet) => {
  const s = window.__zfTti;
  if (!s || s.paintedAt === null) return false;
  const last = Math.max(s.paintedAt, ...s.longtasks.map((t) => t[1]));
  return performance.now() - last >= quiet;
}"""

REPORT_JS = """(rowsSelector) => {
  const s = window.__zfTti;
  const nav = performance.getEntriesByType('navigation')[0];
  const api = performance.getEntriesByType('resource').filter((r) => new URL(r.name).pathname.startsWith('/api/'))
    .map((r) => ({ path: new URL(r.name).pathname + new URL(r.name).search, start: r.startTime,
                   ms: r.responseEnd - r.startTime, bytes: r.transferSize }));
  const scripts = performance.getEntriesByType('resource').filter((r) => /\\.(js|css)$/.test(new URL(r.name).pathname));
  const assetList = scripts.map((r) => ({ path: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd,
                                          bytes: r.encodedBodySize }));
  return { painted: s.paintedAt, longtasks: s.longtasks, rows: document.querySelectorAll(rowsSelector).length,
           domContentLoaded: nav ? nav.domContentLoadedEventEnd : null, api, assetList,
           assets: scripts.length, assetBytes: scripts.reduce((n, r) => n + (r.transferSize || 0), 0),
           noLongtasks: s.noLongtasks || null };
}"""


def console_pages(campaign_id: str) -> list[tuple[str, str, str, str]]:
    """(name, path, what marks its content painted, what counts as a row shown)."""
    rows = " .el-table__body tr.el-table__row"
    return [
        ("visit review list", "/office/visits", "[data-test=visit-row]", "[data-test=visit-table]" + rows),
        ("difficulties board", "/office/difficulties", "[data-test=board-row]", "[data-test=board-table]" + rows),
        ("campaigns", "/office/campaigns", "[data-test=campaign-row]", "[data-test=campaign-table]" + rows),
        ("coverage dashboard", f"/office/campaigns/{campaign_id}", "[data-test=coverage-table]" + rows,
         "[data-test=coverage-table]" + rows),
        ("weekly report page", "/office/report", "[data-test=archive-township]", "[data-test=report-download]"),
        ("notices (inbox)", "/office/inbox", "[data-test=inbox-table]" + rows, "[data-test=inbox-table]" + rows),
    ]


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def measure_browser(url: str, instance: str, rounds: int, trace: bool = False, only: str | None = None,
                    compare: str | None = None) -> list[dict]:
    """Each console page opened in a new tab of a logged-in Chromium, `rounds` times; see the module's doc. With
    `compare` (another build's dist folder), a second server on the same database serves it, and each page is
    opened on both, alternating, under the same load: a before/after of the console's own code."""
    import requests
    import sync as sync_bench  # bench/sync.py: `make run`'s gunicorn in its own process group
    from playwright.sync_api import sync_playwright

    from pwa import _snapshot_dist  # bench/pwa.py: a consistent copy of the built app
    from tests.e2e import conftest as e2e
    from tests.e2e.helpers import login

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("Debian's chromium is missing: apt-get install -y chromium fonts-wqy-microhei")
    _source, dist = _snapshot_dist()
    builds = [("", dist)] + ([(" [compare]", Path(compare))] if compare else [])
    servers = []
    results = []
    try:
        for label, folder in builds:
            servers.append((label, sync_bench.Server(
                url, Path(instance), 3, Path(instance) / f"gunicorn-browser{len(servers)}.log",
                command=sync_bench.procfile_command,
                env={"PWA_DIST": str(folder), "SECRET_KEY": "bench-office-secret"})))
        http = requests.Session()
        http.trust_env = False
        for _label, server in servers:
            server.wait_ready(http)
        base = servers[0][1].base
        answer = http.post(base + "/api/auth/login", json={"username": "reviewer_demo", "password": DEMO_PASSWORD},
                           timeout=60)
        answer.raise_for_status()
        campaigns = http.get(base + "/api/campaigns", timeout=60).json()["items"]
        campaign_id = next(c["id"] for c in campaigns if c["name"] == "全年走访")
        http.close()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=e2e.CHROMIUM_ARGS, timeout=60_000)
            try:
                contexts = []
                for label, server in servers:  # each origin its own logged-in context
                    context = e2e.browser_context(browser, viewport={"width": 1366, "height": 768})
                    first = context.new_page()
                    first.goto(server.base + "/login")
                    login(first, server.base, "reviewer_demo")
                    first.wait_for_url("**/office/visits")
                    first.locator("[data-test=visit-row]").first.wait_for(timeout=60_000)
                    contexts.append((label, server, context))
                for round_no in range(1, rounds + 1):
                    for name, path, painted, rows in console_pages(campaign_id):
                        if only and not re.search(only, name):
                            continue
                        for label, server, context in contexts:
                            page = context.new_page()
                            page.add_init_script(PROBE_JS % json.dumps(painted))
                            before = load()
                            page.goto(server.base + path)
                            page.wait_for_function(QUIET_JS, arg=QUIET_MS, timeout=60_000, polling=50)
                            report = page.evaluate(REPORT_JS, rows)
                            ends = [end for _start, end in report["longtasks"]]
                            report.update(name=name + label, path=path, round=round_no, load_before=before,
                                          load_after=load(), tti=max([report["painted"], *ends]))
                            results.append(report)
                            print_page(report, trace)
                            page.close()
                for _label, _server, context in contexts:
                    context.close()
            finally:
                browser.close()
    finally:
        for _label, server in servers:
            server.stop()
        shutil.rmtree(dist.parent, ignore_errors=True)
    return results


def print_page(r: dict, trace: bool = False) -> None:
    flag = "" if r["tti"] <= TTI_TARGET_MS else f"  > {TTI_TARGET_MS} ms target"
    longtasks = r["longtasks"]
    print(f"round {r['round']}  {r['name']:20} interactive {r['tti']:6.0f} ms (painted {r['painted']:6.0f}, "
          f"DOMContentLoaded {r['domContentLoaded'] or 0:5.0f}, {len(longtasks)} long tasks "
          f"{sum(e - s for s, e in longtasks):4.0f} ms)  rows {r['rows']:3}  load {r['load_before']} → "
          f"{r['load_after']}{flag}")
    for call in r["api"]:
        print(f"        {call['ms']:6.0f} ms  at {call['start']:5.0f}  {call['path']}")
    if trace:
        for start, end in longtasks:
            print(f"        long task {start:5.0f} → {end:5.0f}")
        for asset in r["assetList"]:
            print(f"        asset {asset['start']:5.0f}-{asset['end']:5.0f}  {asset['bytes'] or 0:7}  {asset['path']}")
    if r["noLongtasks"]:
        print(f"        (no longtask observer: {r['noLongtasks']})")


def print_summary(results: list[dict]) -> None:
    print(f"\n{'page':22} {'interactive ms, each round':30} {'rows':>5} {'slowest API call ms':>20}")
    for name in dict.fromkeys(r["name"] for r in results):
        mine = [r for r in results if r["name"] == name]
        ttis = " / ".join(f"{r['tti']:.0f}" for r in mine)
        slowest = max((c["ms"] for r in mine for c in r["api"]), default=0)
        late = "" if all(r["tti"] <= TTI_TARGET_MS for r in mine) else f"  > {TTI_TARGET_MS} ms target"
        print(f"{name:22} {ttis:30} {mine[-1]['rows']:5} {slowest:20.0f}{late}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a scratch database is made on it)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the record counts")
    parser.add_argument("--rounds", type=int, default=3, help="times each console page is opened in Chromium")
    parser.add_argument("--skip", action="append", choices=("api", "browser"), default=[],
                        help="leave a part out (repeatable)")
    parser.add_argument("--trace", action="store_true", help="also print each page's long tasks and JS/CSS files")
    parser.add_argument("--pages", help="only the console pages whose names match this regular expression")
    parser.add_argument("--compare-dist", help="another build of the app (a dist folder) to open each page on too, "
                        "alternating: a before/after under the same load")
    args = parser.parse_args()
    counts = {"recipients": int(RECIPIENTS * args.scale), "visits": int(VISITS * args.scale),
              "difficulties": int(DIFFICULTIES * args.scale)}
    with tempfile.TemporaryDirectory(prefix="zf-office-") as tmp, \
            scratch_database(args.database_url, "zf_bench_office", tmp) as url:
        started = time.perf_counter()
        build(url, tmp, counts)
        print(f"generated {counts} in {time.perf_counter() - started:.1f} s on {make_url(url).get_backend_name()}"
              f" (load {load()})")
        if "api" not in args.skip:
            print_timings(measure(url, tmp, args.runs))
            print(f"load average after the API part: {load()}")
        else:
            create_campaign(url, tmp)
        if "browser" not in args.skip:
            print_summary(measure_browser(url, tmp, args.rounds, args.trace, args.pages, args.compare_dist))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
