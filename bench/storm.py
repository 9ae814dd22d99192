"""Reconnect storm: many phones come back online at once and sync everything they recorded offline.

    .venv/bin/python bench/storm.py                                  # SQLite, `make run`'s gunicorn
    .venv/bin/python bench/storm.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/storm.py --devices 40 --records 10        # a quick run

Each device is its own staff account in one of the demo's villages. It logs in, pulls from cursor 0, uploads
the four photos of each of its records (`PUT /api/attachments/<sha256>`, as the PWA does before the push that
names them), pushes its `visit.create` mutations in batches, then pulls what came in since. `--in-flight`
devices run at once, each one request at a time, so that many requests are in flight. The server is the
Procfile's `web:` command (gthread workers and threads) on a fresh, migrated, demo-seeded database.

It prints the wall time, mutations/s, p50/p95/p99 and errors per request type, the load average, and the
exactly-once check read from the database: every pushed record stored once (one row, version 1, one change
and one idempotency row), every photo's row, link and file (size; a sample also by hash). The run exits non-zero
if the check fails or any request failed for good; it asserts nothing about timings. See bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import queue
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import requests
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync import PASSWORD, USERNAME, Databases, Server, make_visit, migrate_and_seed, procfile_command  # noqa: E402

PHOTO_HEADER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"  # a JPEG start: the server reads the type from the bytes
KINDS = ("login", "pull", "upload", "push")
RETRIES = 3  # a phone tries a failed request again (network errors and 5xx), up to this many times in all


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


class Photos:
    """Distinct photos of `size` bytes without holding them all: one random block, a per-photo prefix."""

    def __init__(self, size: int, seed: int):
        self.block = random.Random(seed).randbytes(size)

    def data(self, device: int, record: int, photo: int) -> bytes:
        tag = f"{device:05d}-{record:05d}-{photo}".encode()
        head = PHOTO_HEADER + tag
        return head + self.block[len(head):]


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {k: [] for k in KINDS}
        self.errors: dict[str, int] = {k: 0 for k in KINDS}  # answers other than success, retried or not
        self.failed: dict[str, int] = {k: 0 for k in KINDS}  # requests that failed every try
        self.samples: list[str] = []

    def note(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.times[kind].append(seconds)

    def error(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.samples) < 10:
                self.samples.append(f"{kind}: {what}".strip())


class Device:
    """One phone: its own account, session and forwarded address (each phone is its own source to the
    limiter, as phones on their own mobile connections are)."""

    def __init__(self, base: str, index: int, username: str, stats: Stats):
        self.base = base
        self.index = index
        self.username = username
        self.stats = stats
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.headers["X-Forwarded-For"] = f"127.{1 + index // 65536}.{index // 256 % 256}.{index % 256}"
        self.http.headers["X-Device-Id"] = f"storm-{index}"
        self.csrf = None

    def request(self, kind: str, method: str, path: str, ok=(200,), **kwargs) -> requests.Response:
        for attempt in range(RETRIES):
            started = time.perf_counter()
            try:
                response = self.http.request(method, self.base + path, timeout=120, **kwargs)
            except requests.RequestException as err:
                self.stats.error(kind, f"{type(err).__name__}: {err}"[:200])
            else:
                self.stats.note(kind, time.perf_counter() - started)
                if response.status_code in ok:
                    return response
                self.stats.error(kind, f"{response.status_code} {response.text[:200]}")
                if response.status_code < 500 and response.status_code not in (408, 429):
                    break
            time.sleep(0.5 * (attempt + 1))
        with self.stats.lock:
            self.stats.failed[kind] += 1
        raise RuntimeError(f"{kind} {path} failed")

    def login(self) -> None:
        body = self.request("login", "POST", "/api/auth/login", json={
            "username": self.username, "password": PASSWORD, "device_id": f"storm-{self.index}"}).json()
        self.csrf = body["csrf_token"]

    def pull(self, cursor: int) -> tuple[list[dict], int]:
        changes = []
        while True:
            page = orjson.loads(self.request("pull", "GET", "/api/sync/pull",
                                             params={"cursor": cursor, "limit": 1000}).content)
            changes.extend(page["changes"])
            cursor = page["cursor"]
            if not page["has_more"]:
                return changes, cursor

    def upload(self, sha: str, data: bytes) -> None:
        self.request("upload", "PUT", f"/api/attachments/{sha}", ok=(200, 201), data=data,
                     headers={"Content-Type": "image/jpeg", "X-CSRF-Token": self.csrf})

    def push(self, mutations: list[dict]) -> None:
        body = orjson.dumps({"device_id": f"storm-{self.index}", "mutations": mutations})
        answer = orjson.loads(self.request("push", "POST", "/api/sync/push", data=body, headers={
            "Content-Type": "application/json", "X-CSRF-Token": self.csrf}).content)
        bad = [r for r in answer["results"] if r["status"] not in ("applied", "duplicate")]
        if bad:
            self.stats.error("push", f"rejected: {bad[0]}")
            raise RuntimeError("push rejected mutations")


class Plan:
    """What every device records offline: mutation ids, visits and photo hashes, fixed before the clock."""

    def __init__(self, args, recipients_by_area: dict[int, list[str]], users: list[tuple[str, int]],
                 photos: Photos):
        rng = random.Random(args.seed)
        now = datetime.now(UTC).replace(tzinfo=None)
        client_time = now.isoformat(timespec="milliseconds") + "Z"
        self.devices = []
        for device, (_username, area_id) in enumerate(users):
            mutations = []
            for record in range(args.records):
                visit = make_visit(rng, rng.choice(recipients_by_area[area_id]), now)
                visit["photos"] = [hashlib.sha256(photos.data(device, record, p)).hexdigest()
                                   for p in range(args.photos)]
                mutations.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "op": "visit.create",
                                  "data": visit, "base_version": None, "client_time": client_time})
            self.devices.append(mutations)


def storm(base: str, users: list[tuple[str, int]], plan: Plan, photos: Photos, args, stats: Stats) -> dict:
    todo: queue.Queue[int] = queue.Queue()
    finished: list[int] = []

    devices: dict[int, Device] = {}

    def log_in(index: int) -> None:
        device = Device(base, index, users[index][0], stats)
        device.login()
        devices[index] = device

    def run_device(index: int) -> None:
        device = devices[index]
        _, cursor = device.pull(0)
        mutations = plan.devices[index]
        for start in range(0, len(mutations), args.batch):
            batch = mutations[start:start + args.batch]
            for record, m in enumerate(batch, start=start):
                for p, sha in enumerate(m["data"]["photos"]):
                    device.upload(sha, photos.data(index, record, p))
            device.push(batch)
        device.pull(cursor)
        finished.append(index)

    deadline = time.monotonic() + args.max_seconds

    def worker(step, kind: str) -> None:
        while time.monotonic() < deadline:  # bounded: past it the devices left are not started
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            try:
                step(index)
            except Exception as err:  # noqa: BLE001 - counted; the other devices go on
                stats.error(kind, f"device {index} gave up: {err}")

    def phase(step, kind: str) -> float:
        for index in range(len(users)):
            if kind == "login" or index in devices:
                todo.put(index)
        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(step, kind), daemon=True) for _ in range(args.in_flight)]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.5)  # in steps, so that Ctrl-C reaches this thread and the server is stopped
        return time.perf_counter() - started

    # The phones come back at once: every one logs in, then every one syncs (both `in_flight` at a time).
    logins = phase(log_in, "login")
    logins_load = load()
    sync = phase(run_device, "push")
    return {"wall": logins + sync, "logins_s": logins, "logins_load": logins_load, "sync_s": sync,
            "finished": len(finished)}


# -- setup and the exactly-once check --------------------------------------------------------------------


def make_devices(url: str, count: int) -> tuple[list[tuple[str, int]], dict[int, list[str]]]:
    """`count` staff accounts (password as staff_demo's) spread over the villages that have recipients."""
    from server.models import Area, Recipient, User

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            template = conn.execute(select(User.password_hash).where(User.username == USERNAME)).scalar_one()
            by_area: dict[int, list[str]] = {}
            for rid, area_id in conn.execute(select(Recipient.id, Recipient.area_id).join(
                    Area, Area.id == Recipient.area_id).where(Area.level == "village").order_by(Recipient.id)):
                by_area.setdefault(area_id, []).append(rid)
            villages = sorted(by_area)
            now = datetime.now(UTC).replace(tzinfo=None)
            users = [(f"storm{index:05d}", villages[index % len(villages)]) for index in range(count)]
            conn.execute(insert(User.__table__), [
                {"username": name, "display_name": f"压测{index}", "role": "staff", "area_id": area,
                 "active": True, "password_hash": template, "password_changed_at": now,
                 "must_change_password": False, "failed_logins": 0, "created_at": now, "version": 1,
                 "scope_seq": 0} for index, (name, area) in enumerate(users)])
    finally:
        engine.dispose()
    return users, by_area


def check_exactly_once(url: str, plan: Plan, photos: Photos, attachments_dir: Path, sample: int) -> list[str]:
    from server.models import AppliedMutation, Attachment, ChangeLog, Visit, VisitAttachment

    problems = []
    wanted = {m["data"]["id"]: m for device in plan.devices for m in device}
    mutation_ids = {m["id"] for m in wanted.values()}
    shas = {sha: (d, r, p) for d, device in enumerate(plan.devices) for r, m in enumerate(device)
            for p, sha in enumerate(m["data"]["photos"])}
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            visits = dict(conn.execute(select(Visit.id, Visit.version)).all())
            stored = set(visits) & set(wanted)
            if stored != set(wanted):
                problems.append(f"{len(set(wanted) - stored)} of {len(wanted)} records missing")
            if any(visits[v] != 1 for v in stored):
                problems.append("records applied more than once (version > 1)")
            changes = dict(conn.execute(select(ChangeLog.entity_id, func.count()).where(
                ChangeLog.entity_type == "visit").group_by(ChangeLog.entity_id)).all())
            if any(changes.get(v) != 1 for v in wanted):
                problems.append("records without exactly one change-log row")
            applied = conn.execute(select(func.count()).select_from(AppliedMutation).where(
                AppliedMutation.op == "visit.create", AppliedMutation.entity_type == "visit")).scalar_one()
            known = set(conn.execute(select(AppliedMutation.id)).scalars()) & mutation_ids
            if known != mutation_ids:
                problems.append(f"{len(mutation_ids - known)} mutations without an idempotency row")
            links = conn.execute(select(func.count()).select_from(VisitAttachment)).scalar_one()
            if links < len(shas):
                problems.append(f"{links} photo links for {len(shas)} photos")
            sizes = dict(conn.execute(select(Attachment.sha256, Attachment.size)).all())
    finally:
        engine.dispose()
    missing = [s for s in shas if s not in sizes]
    if missing:
        problems.append(f"{len(missing)} photos without a row")
    size = len(photos.block)
    lost = [s for s in shas if not (attachments_dir / s[:2] / s[2:4] / s).is_file()
            or (attachments_dir / s[:2] / s[2:4] / s).stat().st_size != size]
    if lost:
        problems.append(f"{len(lost)} photo files missing or short")
    for sha in random.Random(1).sample(sorted(shas), min(sample, len(shas))):
        path = attachments_dir / sha[:2] / sha[2:4] / sha
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            problems.append(f"photo {sha[:12]} differs from what was sent")
    print(f"exactly-once check: {len(stored)}/{len(wanted)} records once, {applied} visit.create idempotency "
          f"rows, {len(shas) - len(missing) - len(lost)}/{len(shas)} photos present ({min(sample, len(shas))} "
          f"checked by hash): {'OK' if not problems else 'FAILED: ' + '; '.join(problems)}")
    return problems


def report(label: str, result: dict, stats: Stats, mutations: int) -> None:
    uploads = len(stats.times["upload"])
    print(f"{label}: {len(stats.times['login'])} logins in {result['logins_s']:.1f} s ({result['logins_load']}); "
          f"sync {result['sync_s']:.1f} s: {mutations / result['sync_s']:.0f} mutations/s, "
          f"{uploads / result['sync_s']:.0f} uploads/s; wall {result['wall']:.1f} s, {mutations / result['wall']:.0f} "
          f"mutations/s; {result['finished']} devices done ({load()})")
    print(f"  {'request':8} {'count':>7} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9} {'errors':>7} "
          f"{'failed':>7}")
    for kind in KINDS:
        values = sorted(stats.times[kind])
        cells = [percentile(values, p) * 1000 for p in (50, 95, 99, 100)]
        print(f"  {kind:8} {len(values):7d} " + " ".join(f"{c:9.0f}" for c in cells)
              + f" {stats.errors[kind]:7d} {stats.failed[kind]:7d}")
    for sample in dict.fromkeys(stats.samples):  # each kind of error once
        print(f"  e.g. {sample}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--records", type=int, default=50, help="visits per device")
    parser.add_argument("--photos", type=int, default=4, help="photos per visit")
    parser.add_argument("--photo-kb", type=int, default=200, help="size of each photo in KB")
    parser.add_argument("--in-flight", type=int, default=50, help="devices (and so requests) at once")
    parser.add_argument("--batch", type=int, default=200, help="mutations per push (the PWA's MAX_BATCH)")
    parser.add_argument("--workers", type=int, help="gunicorn workers in place of the Procfile's "
                                                    "(default: the Procfile's on SQLite, 4 on PostgreSQL)")
    parser.add_argument("--threads", type=int, help="threads per gunicorn worker in place of the Procfile's")
    parser.add_argument("--database-url", help="a PostgreSQL URL: a scratch database is made on its server")
    parser.add_argument("--hash-sample", type=int, default=2000, help="photos checked by hash afterwards")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--max-seconds", type=float, default=3600, help="no device starts after this long")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (gunicorn's log)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="zf-storm-"))
    databases = Databases(workdir, args.database_url)
    try:
        url = databases.make("storm")
        instance = workdir / "instance"
        instance.mkdir()
        migrate_and_seed(url, instance)
        users, by_area = make_devices(url, args.devices)
        photos = Photos(args.photo_kb * 1000, args.seed)
        plan = Plan(args, by_area, users, photos)
        mutations = args.devices * args.records
        backend = make_url(url).get_backend_name()
        workers = args.workers or (4 if backend == "postgresql" else None)
        # Every phone is its own address (X-Forwarded-For from the one trusted hop, as behind nginx).
        server = Server(url, instance, 0, workdir / "gunicorn.log", env={"TRUSTED_PROXIES": "1"},
                        command=lambda port: procfile_command(port, workers, args.threads))
        stats = Stats()
        try:
            probe = requests.Session()
            probe.trust_env = False
            server.wait_ready(probe)
            print(f"zoufang reconnect storm: {backend}, {' '.join(procfile_command(0, workers, args.threads)[1:7])}, "
                  f"{args.devices} devices × {args.records} records × {args.photos} photos of {args.photo_kb} KB, "
                  f"{args.in_flight} in flight ({load()})")
            result = storm(server.base, users, plan, photos, args, stats)
        finally:
            server.stop()
        report(backend, result, stats, mutations)
        problems = check_exactly_once(url, plan, photos, instance / "attachments", args.hash_sample)
        failed = sum(stats.failed.values())
        return 1 if problems or failed or result["finished"] != args.devices else 0
    finally:
        databases.drop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
