"""Creation campaign benchmark: the score dashboard and the responsibility table at a county's scale.

    .venv/bin/python bench/creation.py                      # SQLite in a temp dir
    .venv/bin/python bench/creation.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/creation.py

It builds the office benchmark's county (bench/office.py: 20,000 recipients, 100,000 visits, 20,000
difficulties; --scale shrinks it), then a standard of 100 items in 10 categories assigned over 40 units, 4,000
pieces of evidence and 200 rectifications (raw Core inserts; three items are bound to the visit coverage of a
campaign and to the difficulty figures, so every read recomputes them over the county's rows), and times each
endpoint in-process (Flask test client) as reviewer_demo and liaison_demo: the median and worst of several
runs. Target: ≤ 300 ms each. Nothing asserts a timing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ITEMS, UNITS, EVIDENCE, RECTIFICATIONS, CATEGORIES = 100, 40, 4_000, 200, 10


def build_creation(url: str, instance: str, counts: dict) -> None:
    from server import create_app
    from server.config import TestConfig
    from server.extensions import db
    from server.models import Attachment, Campaign, Evidence, Item, Rectification, Unit, User
    from server.models.base import utcnow
    from server.services.auth import actor_for
    from server.services.campaigns import create_campaign
    from server.services.creation.standards import create_standard
    from server.services.creation.units import create_unit
    from server.services.timezone import local_today

    app = create_app(TestConfig(url, instance))
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
            attachments.append({"sha256": sha, "content_type": "application/pdf", "size": 200_000 + index,
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
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


def measure(url: str, instance: str, runs: int) -> list[tuple[str, float, float]]:
    from server import create_app
    from server.config import TestConfig
    from server.extensions import db

    app = create_app(TestConfig(url, instance))
    clients = {}
    for username in ("reviewer_demo", "liaison_demo"):
        client = app.test_client()
        assert client.post("/api/auth/login", json={"username": username, "password": "Demo@2026"}).status_code == 200
        clients[username] = client
    office, liaison = clients["reviewer_demo"], clients["liaison_demo"]
    unit = office.get("/api/creation/units").json["items"][0]["id"]
    endpoints = [
        ("dashboard", office, "/api/creation/dashboard"),
        ("responsibility table (100 items)", office, "/api/creation/items"),
        ("responsibility table, one unit", office, f"/api/creation/items?unit_id={unit}"),
        ("responsibility table, overdue", office, "/api/creation/items?overdue=true"),
        ("liaison's table", liaison, "/api/creation/items"),
        ("evidence review queue", office, "/api/creation/evidence?status=submitted"),
        ("rectifications", office, "/api/creation/rectifications"),
        ("daily meeting", office, "/api/creation/meeting"),
    ]
    results = []
    with app.app_context():
        for name, client, path in endpoints:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (path, response.json)
            results.append((name, statistics.median(times), max(times)))
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> int:
    from office import DIFFICULTIES, RECIPIENTS, VISITS, build

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL server URL (a scratch database is made on it); default "
                             "TEST_DATABASE_URL, else SQLite")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the county's record counts")
    args = parser.parse_args()
    county = {"recipients": int(RECIPIENTS * args.scale), "visits": int(VISITS * args.scale),
              "difficulties": int(DIFFICULTIES * args.scale)}
    creation = {"items": ITEMS, "units": UNITS, "evidence": EVIDENCE, "rectifications": RECTIFICATIONS}
    with tempfile.TemporaryDirectory(prefix="zf-creation-") as tmp:
        admin = None
        if args.database_url:
            name = f"zf_bench_creation_{os.getpid()}"
            admin = create_engine(make_url(args.database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(args.database_url).set(database=name).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{tmp}/creation.db"
        try:
            started = time.perf_counter()
            build(url, tmp, county)
            build_creation(url, tmp, creation)
            print(f"generated {county} and {creation} in {time.perf_counter() - started:.1f} s on "
                  f"{make_url(url).get_backend_name()}")
            print(f"{'endpoint':40} {'median ms':>10} {'worst ms':>10}")
            for endpoint, median, worst in measure(url, tmp, args.runs):
                flag = "" if median <= 300 else "  > 300 ms target"
                print(f"{endpoint:40} {median:10.1f} {worst:10.1f}{flag}")
        finally:
            if admin is not None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
