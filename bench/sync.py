"""Sync throughput benchmark: push and pull through HTTP against raw SQLAlchemy Core, in one run.

    .venv/bin/python bench/sync.py                      # SQLite in a temp dir, gunicorn 1 worker
    .venv/bin/python bench/sync.py --workers 3
    .venv/bin/python bench/sync.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

It prints push rec/s, raw Core rec/s, their ratio and pull rec/s (brotli as phones ask, and uncompressed like
the pouchdb-server peer's `_changes`), and the peer's figures. Numbers on a shared machine are noisy:
compare the ratio, measured in the same run, and run it more than once. Nothing here asserts a timing.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import requests
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Demo@2026"
USERNAME = "staff_demo"

# -- realistic visit content ----------------------------------------------------------------------------

NOTE_SENTENCES = [
    "老人身体状况总体良好，血压略高，按时服药。", "家中卫生整洁，生活能够自理。",
    "子女在外务工，平时由老伴照顾，邻里关系和睦。", "反映冬季取暖费用负担较重，已记录并向镇里反映。",
    "询问了优待证办理进度，现场解答了相关政策。", "对党和政府的关怀表示感谢，精神状态饱满。",
    "腿部旧伤阴雨天疼痛，建议到县医院复查。", "住房为砖混结构，屋顶有轻微渗漏，需进一步核实。",
    "医保报销流程不熟悉，已留下村医联系方式。", "孙子今年考上大学，家属询问助学政策。",
    "慰问品已当面交付，本人签字确认。", "村干部陪同走访，了解家庭近期收入情况。",
    "建议下次走访时带上血糖仪，帮助测量血糖。", "老人讲述了当年参军经历，精神矍铄。",
    "家属希望协调解决饮水管道老化问题。", "已提醒注意用电安全，检查了家中线路。",
]
OCCASIONS = ["2027年春节走访慰问", "八一建军节走访慰问", "重阳节敬老慰问", "中秋节走访慰问",
             "日常走访了解生活情况", "住院探望并了解治疗费用", "生日慰问送上祝福"]
GIFTS = ["米一袋、食用油一桶、慰问信一封", "牛奶两箱、水果一篮", "棉被一床、大米二十斤、食用油五升",
         "慰问品一份（米、面、油）、春联一副", "月饼两盒、水果一箱", "营养品一份、鲜花一束"]
PARTICIPANTS = ["李晓红、王村主任", "李晓红、镇退役军人服务站张站长", "李晓红、村医刘医生、网格员陈明",
                "李晓红、县退役军人事务局王建军"]
KINDS = ["festival", "routine", "hardship", "birthday", "hospital"]


def make_visit(rng: random.Random, recipient_id: str, now: datetime) -> dict:
    notes = "".join(rng.sample(NOTE_SENTENCES, 11))  # ≈ 1.2 KB of JSON per mutation
    visited = now - timedelta(days=rng.randrange(0, 200), minutes=rng.randrange(0, 1440))
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "recipient_id": recipient_id,
        "visited_at": visited.isoformat(timespec="milliseconds") + "Z",
        "kind": rng.choice(KINDS),
        "occasion": rng.choice(OCCASIONS),
        "participants": rng.choice(PARTICIPANTS),
        "gifts": rng.choice(GIFTS),
        "cash_cents": 0,
        "notes": notes,
        "location": {"lat": round(30.2 + rng.random() / 10, 6), "lng": round(120.1 + rng.random() / 10, 6),
                     "accuracy_m": round(5 + rng.random() * 30, 1)},
        "photos": [],
        "signature": None,
        "no_signature_reason": None,
    }


def make_mutations(rng: random.Random, recipient_ids: list[str], count: int) -> list[dict]:
    now = datetime.now(UTC).replace(tzinfo=None)
    client_time = now.isoformat(timespec="milliseconds") + "Z"
    return [{"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "op": "visit.create",
             "data": make_visit(rng, rng.choice(recipient_ids), now), "base_version": None,
             "client_time": client_time} for _ in range(count)]


# -- databases ------------------------------------------------------------------------------------------


class Databases:
    """Two fresh, migrated, demo-seeded databases: one behind gunicorn, one for the raw Core baseline."""

    def __init__(self, workdir: Path, database_url: str | None):
        self.workdir = workdir
        self.base_url = database_url
        self.pg_names: list[str] = []

    def make(self, name: str) -> str:
        if not self.base_url:
            return f"sqlite:///{self.workdir / (name + '.db')}"
        url = make_url(self.base_url)
        if not url.drivername.startswith("postgresql"):
            raise SystemExit("--database-url: only PostgreSQL URLs (SQLite is the default, in a temp dir)")
        db_name = f"zf_bench_{name}_{os.getpid()}"
        with self._admin() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}"'))
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        self.pg_names.append(db_name)
        return url.set(database=db_name).render_as_string(hide_password=False)

    def _admin(self):
        engine = create_engine(self.base_url, isolation_level="AUTOCOMMIT")
        return _Closing(engine)

    def settle(self) -> None:
        """PostgreSQL: write out what making and seeding the databases left in the WAL (CHECKPOINT), so a
        checkpoint spread over the timed part does not slow whichever side meets it (raw Core ran 5k–7k
        or 23k rec/s from run to run, alone 30k)."""
        if self.base_url:
            with self._admin() as conn:
                conn.execute(text("CHECKPOINT"))

    def drop(self) -> None:
        for db_name in self.pg_names:
            try:
                with self._admin() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            except Exception as err:  # noqa: BLE001 - cleanup must go on
                print(f"warning: could not drop {db_name}: {err}", file=sys.stderr)


class _Closing:
    def __init__(self, engine):
        self.engine = engine

    def __enter__(self):
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()
        self.engine.dispose()


def migrate_and_seed(url: str, instance: Path) -> None:
    env = {**os.environ, "DATABASE_URL": url, "ZOUFANG_INSTANCE_DIR": str(instance), "LOG_LEVEL": "WARNING"}
    for command in (["db", "upgrade"], ["seed-demo"]):
        done = subprocess.run([str(BIN / "flask"), "--app", "server", *command], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


# -- the raw Core baseline ------------------------------------------------------------------------------


def raw_engine(url: str):
    """An engine with the server's durability settings (WAL + synchronous=FULL, BEGIN IMMEDIATE)."""
    from server.database import configure_engine

    engine = create_engine(url)
    configure_engine(engine)
    return engine


class RawCore:
    """The baseline: the visit rows the push makes, inserted with executemany, one transaction a batch."""

    def __init__(self, url: str, mutations: list[dict], batch: int):
        from server.models import Recipient, User, Visit  # the tables only; no app needed

        self.engine = raw_engine(url)
        self.table = Visit.__table__
        self.stmt = insert(self.table)
        with self.engine.connect() as conn:
            author_id = conn.execute(select(User.id).where(User.username == USERNAME)).scalar_one()
            areas = dict(conn.execute(select(Recipient.id, Recipient.area_id)).all())
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = []
        for m in mutations:
            d = m["data"]
            rows.append({**d, "visited_at": datetime.fromisoformat(d["visited_at"][:-1]),
                         "author_id": author_id, "area_id": areas[d["recipient_id"]], "status": "submitted",
                         "review_comment": None, "reviewed_by": None, "reviewed_at": None, "created_at": now,
                         "updated_at": now, "version": 1})
        self.batches = [rows[i:i + batch] for i in range(0, len(rows), batch)]
        self.rows = len(rows)

    def insert(self, index: int) -> float:
        """Insert one batch in its own transaction: the seconds it took."""
        started = time.perf_counter()
        with self.engine.begin() as conn:
            conn.execute(self.stmt, self.batches[index])
        return time.perf_counter() - started

    def close(self) -> None:
        with self.engine.connect() as conn:
            stored = conn.execute(select(text("count(*)")).select_from(self.table)).scalar_one()
        self.engine.dispose()
        if stored < self.rows:
            raise SystemExit(f"raw Core stored {stored} of {self.rows} rows")


# -- the server -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_command(port: int, workers: int | None = None, threads: int | None = None) -> list[str]:
    """`make run`'s own server: the Procfile's `web:` line (gunicorn, gthread workers and threads) on `port`,
    with `workers` and `threads` in place of its counts when given."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    argv = shlex.split(line.removeprefix("web:").replace("${PORT:-8000}", str(port)))
    argv[0] = str(BIN / Path(argv[0]).name)
    if workers is not None:
        argv[argv.index("--workers") + 1] = str(workers)
    if threads is not None:
        argv[argv.index("--threads") + 1] = str(threads)
    return argv


def sync_workers_command(port: int, workers: int) -> list[str]:
    return [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "120",
            "--log-level", "warning", "server.wsgi:app"]


class Server:
    """gunicorn on a free port in its own process group; `command(port)` gives its argv (sync workers by
    default, `procfile_command` for `make run`'s)."""

    def __init__(self, url: str, instance: Path, workers: int, log_path: Path, command=None,
                 env: dict | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": url, "ZOUFANG_INSTANCE_DIR": str(instance),
               "LOG_LEVEL": "WARNING", **(env or {})}
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        argv = command(self.port) if command else sync_workers_command(self.port, workers)
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, session: requests.Session, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if session.get(self.base + "/api/health", timeout=10).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer in time")

    def stop(self) -> None:
        """Stop gunicorn and its workers (the whole process group)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self.log.close()


class Client:
    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False  # otherwise every call scans the environment for proxies (≈ 2 ms)
        self.csrf = None

    def login(self) -> dict:
        response = self.http.post(self.base + "/api/auth/login",
                                  json={"username": USERNAME, "password": PASSWORD, "device_id": "bench"})
        response.raise_for_status()
        body = response.json()
        self.csrf = body["csrf_token"]
        return body["user"]

    def pull_page(self, cursor: int, limit: int, headers: dict | None = None) -> dict:
        response = self.http.get(self.base + "/api/sync/pull", params={"cursor": cursor, "limit": limit},
                                 headers=headers)
        response.raise_for_status()
        return orjson.loads(response.content)

    def push_raw(self, body: bytes) -> dict:
        response = self.http.post(self.base + "/api/sync/push", data=body, headers={
            "Content-Type": "application/json", "X-CSRF-Token": self.csrf, "X-Device-Id": "bench"})
        if response.status_code != 200:
            raise SystemExit(f"push answered {response.status_code}: {response.text[:500]}")
        return orjson.loads(response.content)


class PouchServer:
    """The peer: pouchdb-server (bench/node_modules, LevelDB on disk in the temp dir), one database `visits`
    holding the same visits as documents (`_id` = the visit's id): `_bulk_docs` per batch, `_changes` to pull."""

    BIN = ROOT / "bench" / "node_modules" / ".bin" / "pouchdb-server"

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        folder = workdir / "pouchdb"
        folder.mkdir()
        self.log = open(folder / "stdout.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(self.BIN), "--host", "127.0.0.1", "--port", str(self.port), "--dir", str(folder),
             "--config", str(folder / "config.json"), "--no-stdout-logs"],
            cwd=folder, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.http = requests.Session()
        self.http.trust_env = False

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"pouchdb-server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if self.http.get(self.base + "/", timeout=10).status_code == 200:
                    response = self.http.put(self.base + "/visits", timeout=30)
                    if response.status_code not in (201, 412):
                        raise SystemExit(f"pouchdb-server: PUT /visits answered {response.status_code}")
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        raise SystemExit("pouchdb-server did not answer in time")

    @staticmethod
    def bodies(mutations: list[dict], batch: int) -> list[bytes]:
        docs = [{"_id": m["data"]["id"], **{k: v for k, v in m["data"].items() if k != "id"}} for m in mutations]
        return [orjson.dumps({"docs": docs[i:i + batch]}) for i in range(0, len(docs), batch)]

    def bulk_docs(self, body: bytes) -> float:
        started = time.perf_counter()
        response = self.http.post(self.base + "/visits/_bulk_docs", data=body,
                                  headers={"Content-Type": "application/json"})
        elapsed = time.perf_counter() - started
        if response.status_code != 201 or any("error" in r for r in orjson.loads(response.content)):
            raise SystemExit(f"pouchdb _bulk_docs answered {response.status_code}: {response.text[:300]}")
        return elapsed

    def changes(self, limit: int) -> tuple[set[str], int]:
        """Every change with its document, `limit` a page, as a phone pulls: the ids and the pages."""
        ids, since, pages = set(), 0, 0
        while True:
            page = orjson.loads(self.http.get(self.base + "/visits/_changes", params={
                "since": since, "limit": limit, "include_docs": "true"}).content)
            pages += 1
            ids.update(r["id"] for r in page["results"])
            since = page["last_seq"]
            if len(page["results"]) < limit:
                return ids, pages

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self.log.close()


# The peer's `_changes` answers uncompressed; our pull compresses (brotli) when asked, as phones ask. Measured
# both ways: as phones pull, and with the same uncompressed bytes as the peer.
IDENTITY = {"Accept-Encoding": "identity"}


def pull_all(client: Client, cursor: int, limit: int, headers: dict | None = None) -> tuple[list[dict], int, int]:
    changes, pages = [], 0
    while True:
        page = client.pull_page(cursor, limit, headers)
        pages += 1
        changes.extend(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor, pages


def run(url: str, raw_url: str, instance: Path, args, log_path: Path) -> dict:
    """Push batch i through HTTP, then insert batch i with raw Core, then send it to the peer's `_bulk_docs`,
    and so on: every figure sees the same machine load (on a shared machine the load swings more than the
    figures differ). The pulls alternate likewise, `--pull-rounds` times each."""
    command = None if args.server == "sync" else (lambda port: procfile_command(port, args.workers))
    server = Server(url, instance, args.workers or 1, log_path, command=command)
    peer = None if args.no_peer else PouchServer(log_path.parent)
    try:
        client = Client(server.base)
        server.wait_ready(client.http)
        if peer:
            peer.wait_ready()
        client.login()
        existing, cursor, _ = pull_all(client, 0, args.pull_limit)
        recipient_ids = sorted(c["id"] for c in existing if c["type"] == "recipient" and not c["deleted"])
        if not recipient_ids:
            raise SystemExit("staff_demo pulled no recipients")
        mutations = make_mutations(random.Random(args.seed), recipient_ids, args.records)
        sizes = [len(orjson.dumps(m)) for m in mutations]
        bodies = [orjson.dumps({"device_id": "bench", "mutations": mutations[i:i + args.batch]})
                  for i in range(0, len(mutations), args.batch)]
        peer_bodies = PouchServer.bodies(mutations, args.batch) if peer else []

        raw = RawCore(raw_url, mutations, args.batch)
        statuses: dict[str, int] = {}
        push_times, raw_times, peer_times = [], [], []
        for index, body in enumerate(bodies):
            started = time.perf_counter()
            answer = client.push_raw(body)
            push_times.append(time.perf_counter() - started)
            for result in answer["results"]:
                statuses[result["status"]] = statuses.get(result["status"], 0) + 1
            raw_times.append(raw.insert(index))
            if peer:
                peer_times.append(peer.bulk_docs(peer_bodies[index]))
        raw.close()
        push_elapsed, raw_elapsed, peer_elapsed = sum(push_times), sum(raw_times), sum(peer_times)
        if statuses.get("applied") != len(mutations):
            raise SystemExit(f"not every mutation applied: {statuses}")

        wanted = {m["data"]["id"] for m in mutations}
        # One untimed pull on each side first: on PostgreSQL the first read of fresh rows also writes their
        # hint bits, which would fall on whichever pull went first.
        pull_all(client, cursor, args.pull_limit)
        if peer:
            peer.changes(args.pull_limit)
        pull_elapsed = plain_pull_elapsed = peer_pull_elapsed = 0.0
        for _ in range(args.pull_rounds):
            started = time.perf_counter()
            pulled, _, pages = pull_all(client, cursor, args.pull_limit)
            pull_elapsed += time.perf_counter() - started
            started = time.perf_counter()
            plain, _, _ = pull_all(client, cursor, args.pull_limit, IDENTITY)
            plain_pull_elapsed += time.perf_counter() - started
            for changes in (pulled, plain):
                got = {c["id"] for c in changes if c["type"] == "visit" and not c["deleted"]}
                if not wanted <= got:
                    raise SystemExit(f"pull returned {len(wanted & got)} of {len(wanted)} pushed visits")
            if peer:
                started = time.perf_counter()
                peer_ids, peer_pages = peer.changes(args.pull_limit)
                peer_pull_elapsed += time.perf_counter() - started
                if not wanted <= peer_ids:
                    raise SystemExit(f"pouchdb _changes returned {len(wanted & peer_ids)} of {len(wanted)}")
        rounds = args.pull_rounds
        result = {"mutations": mutations, "size": sum(sizes) / len(sizes),
                  "push": len(mutations) / push_elapsed, "push_s": push_elapsed,
                  "raw": raw.rows / raw_elapsed, "raw_s": raw_elapsed,
                  "push_batch": statistics.median(push_times), "raw_batch": statistics.median(raw_times),
                  "pull": rounds * len(pulled) / pull_elapsed, "pull_s": pull_elapsed,
                  "plain_pull": rounds * len(plain) / plain_pull_elapsed, "plain_pull_s": plain_pull_elapsed,
                  "pulled": len(pulled), "pages": pages}
        if peer:
            result.update({"peer_push": len(mutations) / peer_elapsed, "peer_push_s": peer_elapsed,
                           "peer_batch": statistics.median(peer_times),
                           "peer_pull": rounds * len(peer_ids) / peer_pull_elapsed,
                           "peer_pull_s": peer_pull_elapsed, "peer_pages": peer_pages})
        return result
    finally:
        server.stop()
        if peer:
            peer.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000, help="visit.create mutations to push")
    parser.add_argument("--batch", type=int, default=200, help="mutations per push (the protocol's limit)")
    parser.add_argument("--pull-limit", type=int, default=1000, help="changes per pull page")
    parser.add_argument("--server", choices=("procfile", "sync"), default="procfile",
                        help="procfile: `make run`'s own gunicorn (the Procfile's web line); sync: sync workers")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the Procfile's; 1 with --server sync)")
    parser.add_argument("--pull-rounds", type=int, default=2, help="times each side pulls everything (alternating)")
    parser.add_argument("--no-peer", action="store_true", help="leave pouchdb-server out")
    parser.add_argument("--database-url", help="a PostgreSQL URL: scratch databases are made on its server")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the generated visits")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (and the gunicorn log)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="zf-bench-"))
    databases = Databases(workdir, args.database_url)
    try:
        http_url = databases.make("push")
        raw_url = databases.make("raw")
        (workdir / "instance").mkdir()
        migrate_and_seed(http_url, workdir / "instance")
        migrate_and_seed(raw_url, workdir / "instance")
        databases.settle()
        backend = make_url(http_url).get_backend_name()

        http = run(http_url, raw_url, workdir / "instance", args, workdir / "gunicorn.log")
        raw = http["raw"]

        server = "make run's gunicorn (Procfile)" if args.server == "procfile" else "gunicorn sync workers"
        print(f"zoufang sync bench: {backend}, {server}, {args.workers or 'default'} worker(s), "
              f"{args.records} visit.create of {http['size'] / 1000:.2f} KB in batches of {args.batch} "
              f"(load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
        print(f"push        {http['push']:9.0f} rec/s   ({http['push_s']:.2f} s)")
        print(f"raw Core    {raw:9.0f} rec/s   ({http['raw_s']:.2f} s)")
        # A single batch can stall for reasons of neither side (on PostgreSQL a new 16 MB WAL segment: one
        # raw batch of 20 took 215 ms instead of 9, halving raw Core's total): the median batch says the same
        # without it.
        print(f"push / raw  {http['push'] / raw:9.3f}   (median batch: {http['raw_batch'] / http['push_batch']:.3f}; "
              f"push {http['push_batch'] * 1000:.1f} ms, raw Core {http['raw_batch'] * 1000:.1f} ms a batch)")
        print(f"pull        {http['pull']:9.0f} rec/s   ({http['pulled']} changes, {http['pages']} pages of "
              f"≤ {args.pull_limit}, {args.pull_rounds} rounds, {http['pull_s']:.2f} s; compressed, as phones ask)")
        print(f"pull plain  {http['plain_pull']:9.0f} rec/s   (the same, uncompressed like the peer's, "
              f"{http['plain_pull_s']:.2f} s)")
        if "peer_push" in http:
            print(f"pouchdb-server _bulk_docs {http['peer_push']:9.0f} rec/s   ({http['peer_push_s']:.2f} s)")
            print(f"pouchdb-server _changes   {http['peer_pull']:9.0f} rec/s   ({http['peer_pages']} pages, "
                  f"include_docs, {http['peer_pull_s']:.2f} s)")
            print(f"push / _bulk_docs {http['push'] / http['peer_push']:9.2f}×   (median batch: "
                  f"{http['peer_batch'] / http['push_batch']:.2f}×)")
            print(f"pull / _changes   {http['pull'] / http['peer_pull']:9.2f}×   (uncompressed: "
                  f"{http['plain_pull'] / http['peer_pull']:.2f}×)")
        return 0
    finally:
        databases.drop()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
