"""Office console benchmark: the visit list, the difficulties board and the coverage dashboard at county scale.

    .venv/bin/python bench/office.py                      # SQLite in a temp dir
    .venv/bin/python bench/office.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

It generates 20,000 recipients in 200 villages, 100,000 visits and 20,000 difficulties (raw Core inserts into a
migrated, demo-seeded database), then times each office endpoint in-process as reviewer_demo (the county
office, the widest scope a reviewer has) and prints the median and worst of several runs. Target: ≤ 300 ms
each. Nothing asserts a timing.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import analyze_and_close, app_for, logged_in, print_timings, scratch_database, time_gets  # noqa: E402

RECIPIENTS, VISITS, DIFFICULTIES, VILLAGES_PER_TOWNSHIP, TOWNSHIPS = 20_000, 100_000, 20_000, 20, 10


def build(url: str, instance: str, counts: dict) -> None:
    from flask_migrate import upgrade

    from server.cli import CATEGORIES, seed_demo
    from server.extensions import db
    from server.models import Area, Difficulty, Recipient, User, Visit
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
        db.session.commit()
        analyze_and_close(db)


def measure(url: str, instance: str, runs: int) -> list[tuple[str, float, float]]:
    app = app_for(url, instance)
    client, csrf = logged_in(app, "reviewer_demo")
    today = date.today()
    campaign = client.post("/api/campaigns", json={"name": "全年走访", "ends_on": today.isoformat(),
                                                   "starts_on": (today - timedelta(days=90)).isoformat()},
                           headers={"X-CSRF-Token": csrf}).json
    township = client.get("/api/areas").json["items"][1]["id"]
    endpoints = [
        ("visit list (page 1)", "/api/visits"),
        ("visit list, township + 30 days", f"/api/visits?area={township}&from={(today - timedelta(days=30))}"),
        ("visit list, name search", "/api/visits?q=对象1234"),
        ("visit list, status=submitted page 50", "/api/visits?status=submitted&page=50"),
        ("difficulties board", "/api/difficulties"),
        ("difficulties board, overdue", "/api/difficulties?overdue=1"),
        ("coverage dashboard (90 days)", f"/api/campaigns/{campaign['id']}/coverage"),
    ]
    return time_gets(app, [(name, client, path) for name, path in endpoints], runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a scratch database is made on it)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the record counts")
    args = parser.parse_args()
    counts = {"recipients": int(RECIPIENTS * args.scale), "visits": int(VISITS * args.scale),
              "difficulties": int(DIFFICULTIES * args.scale)}
    with tempfile.TemporaryDirectory(prefix="zf-office-") as tmp, \
            scratch_database(args.database_url, "zf_bench_office", tmp) as url:
        started = time.perf_counter()
        build(url, tmp, counts)
        print(f"generated {counts} in {time.perf_counter() - started:.1f} s on {make_url(url).get_backend_name()}")
        print_timings(measure(url, tmp, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
