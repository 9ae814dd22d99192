"""Creation campaign benchmark: the score dashboard and the responsibility table at a county's scale.

    .venv/bin/python bench/creation.py                      # SQLite in a temp dir
    .venv/bin/python bench/creation.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/creation.py

It builds the office benchmark's county (bench/office.py: 20,000 recipients, 100,000 visits, 20,000
difficulties; --scale shrinks it), then a standard of 100 items in 10 categories assigned over 40 units, 4,000
pieces of evidence and 200 rectifications (raw Core inserts; three items are bound to the visit coverage of a
campaign and to the difficulty figures, so every read recomputes them over the county's rows), and times each
endpoint in-process (Flask test client) as reviewer_demo and liaison_demo: the median and worst of several
runs. Target: ≤ 300 ms each. Then the weekly briefing built on demand (target ≤ 3 s), and the archive: every
piece of evidence gets a 0.5 MiB file of random bytes (hard links to 16 random files: cheap on disk, but
incompressible), 2 GiB of them are accepted (--archive-gb), and archive.zip is downloaded from gunicorn (one
worker) while the worker's RSS is sampled every 20 ms: its growth over the download, target ≤ 100 MB.
Nothing asserts a timing or a size.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import insert, select, update
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

ITEMS, UNITS, EVIDENCE, RECTIFICATIONS, CATEGORIES = 100, 40, 4_000, 200, 10
EVIDENCE_BYTES = 512 * 1024


def build_creation(url: str, instance: str, counts: dict) -> None:
    from server.extensions import db
    from server.models import Attachment, Campaign, Evidence, Item, Rectification, Unit, User
    from server.models.base import utcnow
    from server.services.auth import actor_for
    from server.services.campaigns import create_campaign
    from server.services.creation.standards import create_standard
    from server.services.creation.units import create_unit
    from server.services.timezone import local_today

    app = app_for(url, instance)
    rng = random.Random(13)
    with app.app_context():
        admin = actor_for(db.session.execute(select(User).where(User.username == "admin_demo")).scalar_one())
        existing = db.session.execute(select(Unit.id)).scalars().all()
        for index in range(counts["units"] - len(existing)):
            create_unit(admin, f"测试单位{index}", "department", commit=False)
        db.session.commit()
        units = db.session.execute(select(Unit.id).order_by(Unit.id)).scalars().all()
        rwb = db.session.execute(select(User.unit_id).where(User.username == "liaison_demo")).scalar_one()
        today = local_today(app.config["TIMEZONE"])
        county = db.session.execute(select(Campaign.area_id)).scalars().first()
        # A campaign under way over the last 90 days: its coverage is recomputed over the county on every read.
        campaign = create_campaign(admin, "全年走访", today - timedelta(days=90), today, [], county).id
        per_category = counts["items"] // CATEGORIES
        metrics = [f"campaign_coverage:{campaign}", "difficulty_resolution", "difficulty_on_time"]
        categories = []
        for c in range(CATEGORIES):
            items = []
            for i in range(per_category):
                lead = rwb if (c * per_category + i) % 8 == 0 else rng.choice(units)
                items.append({
                    "number": f"{c + 1}.{i + 1}", "content": f"考评内容{c + 1}.{i + 1}：" + "落实到位" * 10,
                    "points": 1.0, "rule": "未落实扣1分", "evidence_required": "文件、照片",
                    "metric": metrics.pop() if c == 0 and metrics else None, "lead_unit_id": lead,
                    "cooperating_unit_ids": rng.sample([u for u in units if u != lead], 2),
                    "deadline": today + timedelta(days=rng.randrange(-20, 90)), "milestones": []})
            categories.append({"name": f"考评项目{c + 1}", "max_points": float(per_category), "items": items})
        standard = create_standard(admin, "基准测试标准", 90, categories, carry_over=False)
        items = db.session.execute(select(Item.id, Item.lead_unit_id, Item.metric)
                                   .where(Item.standard_id == standard.id)).all()
        statuses = ["not_started", "in_progress", "in_progress", "pending_review", "done", "needs_fix"]
        for item_id, _, metric in items:
            values = {"status": rng.choice(statuses)}
            if metric is None:
                values["estimated_score"] = rng.choice([0.5, 0.8, 1.0, 1.0])
            db.session.execute(Item.__table__.update().where(Item.id == item_id).values(**values))
        now = utcnow()
        attachments, evidence = [], []
        for index in range(counts["evidence"]):
            sha = hashlib.sha256(f"bench-{index}".encode()).hexdigest()
            item_id, lead, _ = rng.choice(items)
            attachments.append({"sha256": sha, "content_type": "application/pdf", "size": EVIDENCE_BYTES,
                                "uploader_id": admin.user_id, "created_at": now})
            status = rng.choice(["submitted", "accepted", "accepted", "returned"])
            created = now - timedelta(days=rng.randrange(0, 60), minutes=rng.randrange(0, 1440))
            evidence.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "item_id": item_id,
                             "unit_id": lead, "sha256": sha, "title": f"材料{index}", "note": None, "status": status,
                             "review_comment": "请补充" if status == "returned" else None,
                             "reviewed_by": None, "reviewed_at": None, "uploaded_by": admin.user_id,
                             "location": None, "taken_at": None, "created_at": created, "updated_at": created,
                             "version": 1})
        for start in range(0, len(evidence), 1000):
            db.session.execute(insert(Attachment.__table__), attachments[start:start + 1000])
            db.session.execute(insert(Evidence.__table__), evidence[start:start + 1000])
        db.session.execute(insert(Rectification.__table__), [{
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "item_id": item_id, "unit_id": lead,
            "description": "整改事项", "deadline": today + timedelta(days=rng.randrange(-10, 30)),
            "status": rng.choice(["open", "open", "done"]), "created_by": admin.user_id, "created_at": now,
            "closed_by": None, "closed_at": None, "updated_at": now, "version": 1}
            for item_id, lead, _ in (rng.choice(items) for _ in range(counts["rectifications"]))])
        db.session.commit()
        analyze_and_close(db)


def measure(url: str, instance: str, runs: int) -> list[tuple[str, float, float]]:
    app = app_for(url, instance)
    office, _ = logged_in(app, "reviewer_demo")
    liaison, _ = logged_in(app, "liaison_demo")
    unit = office.get("/api/creation/units").json["items"][0]["id"]
    return time_gets(app, [
        ("dashboard", office, "/api/creation/dashboard"),
        ("responsibility table (100 items)", office, "/api/creation/items"),
        ("responsibility table, one unit", office, f"/api/creation/items?unit_id={unit}"),
        ("responsibility table, overdue", office, "/api/creation/items?overdue=true"),
        ("liaison's table", liaison, "/api/creation/items"),
        ("evidence review queue", office, "/api/creation/evidence?status=submitted"),
        ("rectifications", office, "/api/creation/rectifications"),
        ("daily meeting", office, "/api/creation/meeting"),
    ], runs)


def measure_briefing(url: str, instance: str, runs: int) -> tuple[float, float, int]:
    """The weekly briefing built on demand (GET briefing.docx, in-process): median and worst seconds, its size."""
    app = app_for(url, instance)
    office, _ = logged_in(app, "reviewer_demo")
    rows = time_gets(app, [("briefing", office, "/api/creation/briefing.docx")], runs)
    with app.app_context():
        size = len(office.get("/api/creation/briefing.docx").data)
    return rows[0][1] / 1000, rows[0][2] / 1000, size


# -- the archive: 2 GB of evidence streamed by a real server, its memory watched ----------------------------

DISTINCT_FILES = 16  # random sources; every evidence file is a hard link to one (the disk holds 16 × 0.5 MB)


def write_evidence_files(url: str, instance: str, store_dir: Path, total_bytes: int) -> int:
    """Give every piece of evidence a file of EVIDENCE_BYTES random bytes in the store, and accept as many as
    make `total_bytes` (so the archive holds that much). Hard links to a few random files: cheap on disk,
    incompressible for the ZIP's deflate, read from the page cache. Returns how many files the archive holds."""
    from server.extensions import db
    from server.models import Evidence
    from server.services.attachments import FileStore

    store = FileStore(str(store_dir))
    rng = random.Random(5)
    sources = []
    for index in range(DISTINCT_FILES):
        path = store_dir / f"source-{index}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(EVIDENCE_BYTES))
        sources.append(path)
    app = app_for(url, instance)
    wanted = total_bytes // EVIDENCE_BYTES
    with app.app_context():
        ids = db.session.execute(select(Evidence.id, Evidence.sha256).order_by(Evidence.id)).all()
        for index, (_, sha) in enumerate(ids):
            target = store.path(sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.link(sources[index % DISTINCT_FILES], target)
        accepted = [evidence_id for evidence_id, _ in ids[:wanted]]
        db.session.execute(update(Evidence).where(Evidence.id.in_(accepted)).values(status="accepted"))
        db.session.execute(update(Evidence).where(Evidence.id.not_in(accepted)).values(status="submitted"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return len(accepted)


def rss_bytes(pid: int) -> int:
    """A process's resident memory (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def measure_archive(url: str, instance: str, store_dir: Path) -> dict:
    """Download archive.zip from gunicorn (one worker) and sample the worker's RSS every 20 ms meanwhile.

    The worker is a gthread one, as in production (Procfile, deploy/gunicorn.conf.py): a sync worker is killed
    by gunicorn's timeout in the middle of a download that lasts longer."""
    from tests.live_server import LiveServer

    server = LiveServer(url, Path(instance) / "server", workers=1, env={
        "ATTACHMENTS_DIR": str(store_dir),
        "GUNICORN_CMD_ARGS": "--worker-class gthread --threads 8"})
    http = requests.Session()
    http.trust_env = False
    try:
        server.start()
        http.post(f"{server.url}/api/auth/login", json={"username": "reviewer_demo", "password": DEMO_PASSWORD},
                  timeout=30).raise_for_status()
        http.get(f"{server.url}/api/creation/dashboard", timeout=60).raise_for_status()  # a warm worker
        (worker,) = worker_pids(server.process.pid)
        baseline = rss_bytes(worker)
        peak, done = [baseline], threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_bytes(worker))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        received = 0
        first_byte = None
        with http.get(f"{server.url}/api/creation/archive.zip", stream=True, timeout=600) as response:
            response.raise_for_status()
            for chunk in response.iter_content(1 << 20):
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                received += len(chunk)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        return {"bytes": received, "seconds": seconds, "first_byte": first_byte or seconds,
                "baseline": baseline, "peak": peak[0], "growth": peak[0] - baseline}
    finally:
        http.close()
        server.stop()


def main() -> int:
    from office import DIFFICULTIES, RECIPIENTS, VISITS, build

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL server URL (a scratch database is made on it); default "
                             "TEST_DATABASE_URL, else SQLite")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the county's record counts")
    parser.add_argument("--archive-gb", type=float, default=2.0,
                        help="evidence the archive download carries, in GiB of 0.5 MiB files (0: skip it)")
    args = parser.parse_args()
    county = {"recipients": int(RECIPIENTS * args.scale), "visits": int(VISITS * args.scale),
              "difficulties": int(DIFFICULTIES * args.scale)}
    creation = {"items": ITEMS, "units": UNITS, "evidence": EVIDENCE, "rectifications": RECTIFICATIONS}
    with tempfile.TemporaryDirectory(prefix="zf-creation-") as tmp, \
            scratch_database(args.database_url, "zf_bench_creation", tmp) as url:
        started = time.perf_counter()
        build(url, tmp, county)
        build_creation(url, tmp, creation)
        print(f"generated {county} and {creation} in {time.perf_counter() - started:.1f} s on "
              f"{make_url(url).get_backend_name()}")
        print_timings(measure(url, tmp, args.runs), width=40)
        median, worst, size = measure_briefing(url, tmp, max(3, args.runs // 2))
        flag = "" if median <= 3 else "  > 3 s target"
        print(f"briefing.docx: median {median:.2f} s, worst {worst:.2f} s ({size / 1024:.0f} KiB){flag}")
        if args.archive_gb > 0:
            store = Path(tmp) / "attachments"
            files = write_evidence_files(url, tmp, store, int(args.archive_gb * (1 << 30)))
            a = measure_archive(url, tmp, store)
            mib = 1 << 20
            flag = "" if a["growth"] <= 100 * mib else "  > 100 MB target"
            print(f"archive.zip: {files} files, {a['bytes'] / (1 << 30):.2f} GiB in {a['seconds']:.1f} s "
                  f"({a['bytes'] / mib / a['seconds']:.0f} MiB/s, first byte {a['first_byte']:.2f} s)")
            print(f"  worker RSS {a['baseline'] / mib:.0f} → peak {a['peak'] / mib:.0f} MiB, "
                  f"growth {a['growth'] / mib:.1f} MiB{flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
