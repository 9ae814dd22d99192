"""Configuration: the only place environment variables are read (table in README)."""

import os
from pathlib import Path

import orjson

from .domain.push import DEFAULT_PUSH_SERVICES

ROOT = Path(__file__).resolve().parent.parent


def _instance_dir() -> Path:
    return Path(os.environ.get("ZOUFANG_INSTANCE_DIR", ROOT / "instance"))


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma- or space-separated list from the environment, else the default."""
    value = os.environ.get(name)
    if value is None:
        return default
    return tuple(item for item in value.replace(",", " ").split() if item)
def _trusted_proxies() -> int:
    """TRUSTED_PROXIES=N, or the older PROXY_FIX=1 (one hop)."""
    value = os.environ.get("TRUSTED_PROXIES")
    if value is not None and value.strip():
        count = int(value)
        if count < 0:
            raise ValueError("TRUSTED_PROXIES must be 0 or more")
        return count
    return 1 if _flag("PROXY_FIX") else 0


def engine_options(url: str) -> dict:
    """Engine options per backend.

    psycopg prepares a statement server-side after five runs; PostgreSQL may then keep a generic plan made
    while a table was small (a sequential scan per `IN (…)` lookup after a big import). Planning is cheap
    next to that risk, so single statements are never prepared: the threshold is out of reach. An
    executemany (a push's visits, idempotency, audit and change-log rows) is still prepared once per
    connection, as psycopg does whatever the threshold, unless it is None: then PostgreSQL parsed and planned
    every row again, ≈ half of a push's database time. Those are INSERTs and key-equality UPDATEs, whose one
    plan cannot go stale.

    The pool holds a connection for each of a gunicorn worker's threads (POOL_SIZE, default 10 for its 8
    threads and a side connection or two: the limiter's counters, a session's renewal). With SQLAlchemy's
    default of 5, connections past the fifth were closed at check-in and opened again moments later: on
    PostgreSQL a new server process each time.
    """
    # JSON columns (a visit's location and photos, audit details) through orjson: stdlib json was a fifth of a
    # pull page's CPU (decoding) and a tenth of a push's (encoding). Output is standard JSON, UTF-8 unescaped.
    options: dict = {"pool_pre_ping": True, "json_serializer": json_dumps, "json_deserializer": orjson.loads}
    if url.startswith("postgresql"):
        # No `SELECT 1` round trip per checkout: only a connection idle for a while is pinged
        # (server/database.py `ping_when_idle`, which configure_engine installs on every PostgreSQL engine).
        options["pool_pre_ping"] = False
        options["pool_size"] = int(os.environ.get("POOL_SIZE") or 10)
        options["max_overflow"] = 5  # at most 15 a worker, as SQLAlchemy's 5 + 10 were
    if url.startswith("postgresql+psycopg"):
        options["connect_args"] = {"prepare_threshold": NEVER_PREPARE_SINGLE}
    return options


def json_dumps(value) -> str:
    """A JSON column's text: orjson's, keys that are not strings (an int) written as strings like json.dumps."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# psycopg's prepare_threshold: executions of one statement before it is prepared. Out of reach for a single
# statement; an executemany is prepared at its first run (psycopg prepares those whatever the threshold).
NEVER_PREPARE_SINGLE = 2**31 - 1


class Config:
    """Production defaults, overridable through the environment."""

    def __init__(self) -> None:
        instance = _instance_dir()
        self.INSTANCE_DIR = str(instance)
        # Set on every host alike, or left unset: then made once in the database and shared (server/keys.py).
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or None
        default_db = f"sqlite:///{instance / 'zoufang.db'}"
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or default_db
        if self.SQLALCHEMY_DATABASE_URI == default_db:
            instance.mkdir(parents=True, exist_ok=True)  # SQLite makes the file, not its folder
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.ATTACHMENTS_DIR = os.environ.get("ATTACHMENTS_DIR") or str(instance / "attachments")
        self.PWA_DIST = os.environ.get("PWA_DIST") or str(ROOT / "pwa" / "dist")
        self.SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE")
        self.SESSION_IDLE_DAYS = int(os.environ.get("SESSION_IDLE_DAYS", "30"))
        # However often it is used, a session ends this long after its login (a phone lost while logged in).
        self.SESSION_MAX_DAYS = int(os.environ.get("SESSION_MAX_DAYS", "30"))
        self.LOCKOUT_THRESHOLD = int(os.environ.get("LOCKOUT_THRESHOLD", "5"))
        self.LOCKOUT_MINUTES = int(os.environ.get("LOCKOUT_MINUTES", "15"))
        # Throttling (Flask-Limiter strings: "N per minute;M per hour"). Logins per address; failed logins per
        # user name (from devices that never logged in to it); password changes per address and per user.
        # A device that has logged in to an account before is exempt from the first two for that account.
        self.LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "30 per minute;300 per hour")
        self.LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "30 per hour")
        self.PASSWORD_CHANGE_LIMIT_PER_IP = os.environ.get("PASSWORD_CHANGE_LIMIT_PER_IP", "20 per minute")
        self.PASSWORD_CHANGE_LIMIT_PER_ACCOUNT = os.environ.get("PASSWORD_CHANGE_LIMIT_PER_ACCOUNT", "10 per hour")
        # Where the counters live: this database by default (every worker and host shares it), or Redis.
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or "zoufang+db://"
        self.RATELIMIT_STRATEGY = "fixed-window"
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "zf")  # one Redis, several sites
        # argon2id cost: OWASP's Password Storage Cheat Sheet configuration m=19 MiB (19456 KiB), t=2, p=1
        # (≈ 25 ms of one core here; 200 phones reconnecting log in within a few seconds on 2 cores, where the
        # RFC 9106 low-memory profile, t=3, 64 MiB, p=4, took ≈ 185 ms of CPU each and 20-40 s for 200).
        # Hashes of another cost still verify and are rehashed at the next successful login.
        self.ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "2"))
        self.ARGON2_MEMORY_KIB = int(os.environ.get("ARGON2_MEMORY_KIB", "19456"))
        self.ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "1"))
        # Password policy (等保 2.0 asks for length, several character classes and periodic change).
        self.PASSWORD_MIN_LENGTH = int(os.environ.get("PASSWORD_MIN_LENGTH", "8"))
        self.PASSWORD_MIN_CLASSES = int(os.environ.get("PASSWORD_MIN_CLASSES", "3"))
        self.PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", "0"))
        # How hard to guess a new password must be: zxcvbn's score 0–4 (3: "safely unguessable"); 0 turns it off.
        self.PASSWORD_MIN_SCORE = int(os.environ.get("PASSWORD_MIN_SCORE", "3"))
        self.TIMEZONE = os.environ.get("ZOUFANG_TIMEZONE", "Asia/Shanghai")
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
        # json: one JSON object per line (a request's line: method, route pattern, status, duration, request
        # id); text: the classic line. Nothing personal either way.
        self.LOG_FORMAT = os.environ.get("LOG_FORMAT", "json").strip().lower()
        # Who may read GET /metrics (Prometheus): the client's address (behind nginx, as TRUSTED_PROXIES lets
        # the app see it) must be in one of these networks; anyone else gets 404.
        self.METRICS_ALLOWED_NETWORKS = _list("METRICS_ALLOWED_NETWORKS", ("127.0.0.1/32", "::1/128"))
        # The largest body Flask reads at all; sync push checks its own 2 MB limit, attachments 5 MB (an
        # evidence document's upload, and only that, may be DOCUMENT_MAX_BYTES).
        self.MAX_CONTENT_LENGTH = 6 * 1024 * 1024
        self.SYNC_MAX_MUTATIONS = 200
        self.SYNC_MAX_BYTES = 2 * 1024 * 1024
        # A phone's exported outbox file (its photos inside, base64): what the office may upload at once.
        self.OUTBOX_FILE_MAX_BYTES = int(os.environ.get("OUTBOX_FILE_MAX_BYTES", str(100 * 1024 * 1024)))
        self.ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
        # Evidence documents of the creation campaign (PDF, Office): liaisons and the office upload them.
        self.DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
        self.PULL_DEFAULT_LIMIT = 500
        self.PULL_MAX_LIMIT = 1000
        self.VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:admin@zoufang.invalid")
        # Push subscriptions are kept, and pushed to, only on these push services: HTTPS hosts ("*." for any
        # subdomain), or "scheme://host:port" ("*" any port) to name anything else, e.g. a test push server.
        self.PUSH_ENDPOINT_ALLOWLIST = _list("PUSH_ENDPOINT_ALLOWLIST", DEFAULT_PUSH_SERVICES)
        # Full ID numbers a user may send through sync per hour (each one could be a guess of a masked one).
        self.ID_NUMBER_CHECKS_PER_HOUR = int(os.environ.get("ID_NUMBER_CHECKS_PER_HOUR", "30"))
        # Web Push keys: both set on every host alike, or both unset (then made once in the database).
        self.VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY") or None
        self.VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY") or None
        # Behind reverse proxies (nginx): how many X-Forwarded-For / -Proto hops to trust for the client's
        # address and HTTPS. 0 ignores the headers (gunicorn reachable only by the proxy when set).
        self.TRUSTED_PROXIES = _trusted_proxies()
        # Temp files of uploads cut off mid-write (a worker killed): the dispatcher removes those older than
        # this at its start and every UPLOAD_SWEEP_MINUTES.
        self.UPLOAD_TEMP_MAX_AGE_MINUTES = float(os.environ.get("UPLOAD_TEMP_MAX_AGE_MINUTES", "60"))
        self.UPLOAD_SWEEP_MINUTES = float(os.environ.get("UPLOAD_SWEEP_MINUTES", "15"))
        # Jobs (exports, imports) run by the dispatcher: how often it looks for queued ones, when a running
        # job whose heartbeat stopped counts as interrupted, and how long finished jobs and their files stay.
        self.JOB_POLL_SECONDS = float(os.environ.get("JOB_POLL_SECONDS", "2"))
        self.JOB_STALE_MINUTES = float(os.environ.get("JOB_STALE_MINUTES", "10"))
        self.JOB_KEEP_HOURS = float(os.environ.get("JOB_KEEP_HOURS", "24"))
        # Scheduled backups by the dispatcher (`reminders run`): off unless BACKUP_DIR is set.
        self.BACKUP_DIR = os.environ.get("BACKUP_DIR") or None
        self.BACKUP_INTERVAL_HOURS = float(os.environ.get("BACKUP_INTERVAL_HOURS", "24"))
        self.BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", "7"))
        # Pulls over slow rural links and the PWA's scripts: zstd where the client takes it (Chrome and its
        # WebView over HTTPS), else brotli, else gzip; fast levels, since sync answers are compressed on every
        # request. A pull page of 1,000 visits (1.25 MB): zstd 3 90 KB in 0.9 ms, brotli 4 84 KB in 3.1 ms
        # (gzip 4 102 KB in 4.7 ms). Streams (workbooks) are left alone.
        self.COMPRESS_ALGORITHM = ["zstd", "br", "gzip"]
        self.COMPRESS_ZSTD_LEVEL = 3
        self.COMPRESS_LEVEL = 4
        self.COMPRESS_BR_LEVEL = 4
        self.COMPRESS_STREAMS = False
        self.COMPRESS_REGISTER = False  # server/__init__.py applies it, leaving out the sync push answer
        self.COMPRESS_MIMETYPES = ["text/html", "text/css", "application/json", "application/javascript",
                                   "text/javascript", "application/manifest+json", "image/svg+xml"]
        # The OpenAPI document (flask-smorest) at GET /api/openapi.json; no Swagger/ReDoc page (they load
        # from a CDN, and nothing here may load from a third-party origin).
        self.API_TITLE = "走访通 Zoufang API"
        self.API_VERSION = "1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.API_SPEC_OPTIONS = {"info": {"description": "Offline-first visit logging. Errors: "
                                                         "{error: {code, message, fields}}."}}
        self.TESTING = False


class TestConfig(Config):
    """A fresh database per test: TEST_DATABASE_URL (PostgreSQL in CI) or a temporary SQLite file."""

    def __init__(self, database_url: str, instance_dir: str) -> None:
        super().__init__()
        self.TESTING = True
        # Cheap hashes keep logins fast in tests; the algorithm (argon2id) is the same.
        self.ARGON2_TIME_COST, self.ARGON2_MEMORY_KIB, self.ARGON2_PARALLELISM = 1, 1024, 1
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(database_url)
        self.INSTANCE_DIR = instance_dir
        self.ATTACHMENTS_DIR = str(Path(instance_dir) / "attachments")
