"""Profile the push path in-process (Flask test client, no HTTP): where a batch's time goes.

    .venv/bin/python bench/profile_push.py [--records 4000] [--cprofile]

Uses pyinstrument when it is installed in .venv (`.venv/bin/pip install pyinstrument`; not a dependency),
else cProfile. The database is a fresh migrated, demo-seeded SQLite file in a temp dir.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync import PASSWORD, USERNAME, make_mutations  # noqa: E402

from server import create_app  # noqa: E402
from server.config import TestConfig  # noqa: E402
from server.extensions import db  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true", help="use cProfile even if pyinstrument is there")
    parser.add_argument("--database-url", help="default: SQLite in a temp dir")
    parser.add_argument("--plain", action="store_true", help="no profiler: just time the pushes")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from server.cli import seed_demo

    workdir = Path(tempfile.mkdtemp(prefix="zf-profile-"))
    try:
        url = args.database_url or f"sqlite:///{workdir / 'profile.db'}"
        app = create_app(TestConfig(url, str(workdir)))
        app.logger.setLevel("WARNING")
        with app.app_context():
            upgrade()
            seed_demo()
            db.session.remove()
        client = app.test_client()
        login = client.post("/api/auth/login", json={"username": USERNAME, "password": PASSWORD}).json
        headers = {"X-CSRF-Token": login["csrf_token"], "Content-Type": "application/json"}
        pulled = client.get("/api/sync/pull?cursor=0&limit=1000").json["changes"]
        recipients = sorted(c["id"] for c in pulled if c["type"] == "recipient")
        mutations = make_mutations(random.Random(7), recipients, args.records)
        bodies = [orjson.dumps({"device_id": "profile", "mutations": mutations[i:i + args.batch]})
                  for i in range(0, len(mutations), args.batch)]

        def run():
            for body in bodies:
                response = client.post("/api/sync/push", data=body, headers=headers)
                assert response.status_code == 200, response.data[:300]

        try:
            if args.plain:
                started, cpu = time.perf_counter(), time.process_time()
                run()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                print(f"{args.records / elapsed:.0f} rec/s in-process, no profiler ({elapsed:.2f} s; "
                      f"CPU {cpu / args.records * 1e6:.0f} µs a record)")
                return 0
            if args.cprofile:
                raise ImportError
            from pyinstrument import Profiler
        except ImportError:
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.runcall(run)
            elapsed = time.perf_counter() - started
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        else:
            profiler = Profiler(interval=0.0005)
            started = time.perf_counter()
            profiler.start()
            run()
            profiler.stop()
            elapsed = time.perf_counter() - started
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        print(f"{args.records / elapsed:.0f} rec/s in-process under the profiler ({elapsed:.2f} s)")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
