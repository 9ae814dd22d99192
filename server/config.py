"""Configuration: the only place environment variables are read (table in README)."""

import os
import secrets
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _instance_dir() -> Path:
    return Path(os.environ.get("ZOUFANG_INSTANCE_DIR", ROOT / "instance"))


def _secret_key(instance: Path) -> str:
    """Return SECRET_KEY from the environment, else one kept in the instance folder (made on first run)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # O_EXCL: several gunicorn workers starting at once must end up with one key, not four.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    for _ in range(50):  # another worker may have created it and not yet written it
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty")


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def engine_options(url: str) -> dict:
    """Engine options per backend.

    psycopg prepares a statement server-side after five runs; PostgreSQL may then keep a generic plan made
    while a table was small (a sequential scan per `IN (…)` lookup after a big import). Planning is cheap
    next to that risk, so statements are never prepared.
    """
    options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql+psycopg"):
        options["connect_args"] = {"prepare_threshold": None}
    return options


class Config:
    """Production defaults, overridable through the environment."""

    def __init__(self) -> None:
        instance = _instance_dir()
        self.INSTANCE_DIR = str(instance)
        self.SECRET_KEY = _secret_key(instance)
        default_db = f"sqlite:///{instance / 'zoufang.db'}"
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or default_db
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.ATTACHMENTS_DIR = os.environ.get("ATTACHMENTS_DIR") or str(instance / "attachments")
        self.PWA_DIST = os.environ.get("PWA_DIST") or str(ROOT / "pwa" / "dist")
        self.SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE")
        self.SESSION_IDLE_DAYS = int(os.environ.get("SESSION_IDLE_DAYS", "30"))
        self.LOCKOUT_THRESHOLD = int(os.environ.get("LOCKOUT_THRESHOLD", "5"))
        self.LOCKOUT_MINUTES = int(os.environ.get("LOCKOUT_MINUTES", "15"))
        # argon2id cost (argon2-cffi's RFC 9106 low-memory profile by default: t=3, 64 MiB, p=4).
        self.ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "3"))
        self.ARGON2_MEMORY_KIB = int(os.environ.get("ARGON2_MEMORY_KIB", "65536"))
        self.ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "4"))
        # Password policy (等保 2.0 asks for length, several character classes and periodic change).
        self.PASSWORD_MIN_LENGTH = int(os.environ.get("PASSWORD_MIN_LENGTH", "8"))
        self.PASSWORD_MIN_CLASSES = int(os.environ.get("PASSWORD_MIN_CLASSES", "3"))
        self.PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", "0"))
        self.TIMEZONE = os.environ.get("ZOUFANG_TIMEZONE", "Asia/Shanghai")
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
        # The largest body Flask reads at all; sync push checks its own 2 MB limit, attachments 5 MB.
        self.MAX_CONTENT_LENGTH = 6 * 1024 * 1024
        self.SYNC_MAX_MUTATIONS = 200
        self.SYNC_MAX_BYTES = 2 * 1024 * 1024
        self.ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
        self.PULL_DEFAULT_LIMIT = 500
        self.PULL_MAX_LIMIT = 1000
        self.VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:admin@zoufang.invalid")
        # Scheduled backups by the dispatcher (`reminders run`): off unless BACKUP_DIR is set.
        self.BACKUP_DIR = os.environ.get("BACKUP_DIR") or None
        self.BACKUP_INTERVAL_HOURS = float(os.environ.get("BACKUP_INTERVAL_HOURS", "24"))
        self.BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", "7"))
        # Behind a reverse proxy (nginx), trust one X-Forwarded-For / -Proto hop for client IP and HTTPS.
        self.PROXY_FIX = _flag("PROXY_FIX")
        # Pulls over slow rural links and the PWA's scripts: brotli over HTTPS, gzip otherwise; a fast
        # level, since sync answers are compressed on every request. Streams (workbooks) are left alone.
        self.COMPRESS_ALGORITHM = ["br", "gzip"]
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
