"""The keys every host shares: Flask's secret key and the Web Push VAPID key.

Each comes from the environment when set (`SECRET_KEY`; `VAPID_PRIVATE_KEY`, with `VAPID_PUBLIC_KEY` checked
against it), else from the database's `shared_settings` table: the first host that needs a key makes it (or
moves in the file an existing install kept in its instance folder), and every web host and dispatcher that
shares the database reads the same value from then on. Nothing a host needs lives only in its instance folder.

A key is written with INSERT … ON CONFLICT DO NOTHING and read back, so hosts starting at once agree on the one
row that won.
"""

import logging
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from .database import write_connection
from .models.base import utcnow
from .models.settings import SharedSetting

log = logging.getLogger(__name__)

SECRET_KEY = "secret_key"
VAPID_PRIVATE_KEY = "vapid_private_key"
# What an install before shared_settings kept in its instance folder (moved into the database on first run).
SECRET_KEY_FILE = "secret_key"
VAPID_KEY_FILE = "vapid_private.pem"

_table = SharedSetting.__table__


class NotReady(Exception):
    """The database cannot be read yet: not migrated (`flask db upgrade` itself), or not reachable."""


class Configured(Exception):
    """The key comes from the environment; change it there, not here."""


def read(engine: Engine, name: str) -> str | None:
    try:
        with engine.connect() as connection:
            return connection.execute(select(_table.c.value).where(_table.c.key == name)).scalar_one_or_none()
    except (OperationalError, ProgrammingError) as exc:
        raise NotReady(f"shared_settings cannot be read: {type(exc.orig).__name__}") from exc


def _upsert(engine: Engine, name: str, value: str, replace: bool):
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[engine.dialect.name]
    statement = dialect.insert(_table).values(key=name, value=value, updated_at=utcnow())
    if replace:
        return statement.on_conflict_do_update(index_elements=["key"],
                                               set_={"value": value, "updated_at": utcnow()})
    return statement.on_conflict_do_nothing(index_elements=["key"])


def get_or_create(engine: Engine, name: str, make) -> str:
    """The stored value; without one, `make()`'s is stored unless another host stored its own first."""
    value = read(engine, name)
    if value is not None:
        return value
    with write_connection(engine) as connection:
        connection.execute(_upsert(engine, name, make(), replace=False))
    value = read(engine, name)
    assert value is not None
    return value


def store(session, name: str, value: str) -> None:
    """Replace a value (a rotation) in the session's transaction; the caller commits."""
    session.execute(_upsert(session.get_bind(), name, value, replace=True))


def _instance_file(instance_dir: str, filename: str) -> str | None:
    try:
        text = (Path(instance_dir) / filename).read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return text or None


def _moved_in_or(instance_dir: str, filename: str, make):
    """A maker that prefers the instance folder's file of an existing install."""

    def choose() -> str:
        kept = _instance_file(instance_dir, filename)
        if kept is not None:
            log.info("Moving %s from the instance folder into the database (shared by every host)", filename)
            return kept
        return make()

    return choose


# -- the secret key -----------------------------------------------------------------------------------------


def shared_secret_key(engine: Engine, instance_dir: str) -> str:
    return get_or_create(engine, SECRET_KEY,
                         _moved_in_or(instance_dir, SECRET_KEY_FILE, lambda: secrets.token_urlsafe(48)))


def init_app(app: Flask) -> None:
    """Check configured keys now (a wrong one fails the start, not the first push) and load the secret key
    from the database. If the database cannot be read yet, the secret key is the instance file's (an install
    migrating to this version) or none, and each request tries again until it can."""
    if app.config.get("VAPID_PRIVATE_KEY"):
        configured_vapid(app.config)
    if app.config.get("SECRET_KEY"):
        return
    from .extensions import db

    def load() -> bool:
        try:
            app.config["SECRET_KEY"] = shared_secret_key(db.engine, app.config["INSTANCE_DIR"])
        except NotReady as exc:
            log.info("The secret key is not loaded yet: %s", exc)
            return False
        return True

    with app.app_context():
        loaded = load()
        # gunicorn --preload forks the workers from this process: they must not inherit its connection.
        db.engine.dispose()
    if loaded:
        return
    app.config["SECRET_KEY"] = _instance_file(app.config["INSTANCE_DIR"], SECRET_KEY_FILE)

    @app.before_request
    def _load_secret_key():
        if app.extensions.get("zf_secret_key_pending", True) and load():
            app.extensions["zf_secret_key_pending"] = False


# -- the VAPID key ------------------------------------------------------------------------------------------


def configured_vapid(config):
    """The Vapid02 of VAPID_PRIVATE_KEY (PEM, or base64url raw/DER as `web-push generate-vapid-keys` and
    `vapid --gen` print it); VAPID_PUBLIC_KEY, when also set, must be its public key."""
    from .push import public_key_of, vapid_from_text

    vapid = vapid_from_text(config["VAPID_PRIVATE_KEY"])
    expected = config.get("VAPID_PUBLIC_KEY")
    if expected and expected.strip().rstrip("=") != public_key_of(vapid):
        raise RuntimeError("VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY")
    return vapid


def vapid_private_key(app: Flask) -> str:
    """The VAPID private key as text: configured, else the database's (made once, or moved in from the
    instance folder). Raises NotReady when the database cannot be read."""
    configured = app.config.get("VAPID_PRIVATE_KEY")
    if configured:
        return configured
    from .extensions import db

    def make() -> str:
        from py_vapid import Vapid02

        vapid = Vapid02()
        vapid.generate_keys()
        return vapid.private_pem().decode()

    return get_or_create(db.engine, VAPID_PRIVATE_KEY, _moved_in_or(app.config["INSTANCE_DIR"], VAPID_KEY_FILE, make))


def rotate_vapid_key(app: Flask) -> str:
    """Store a new VAPID key pair for every host (the caller commits, with the subscriptions it drops:
    those made with the old key stop working)."""
    if app.config.get("VAPID_PRIVATE_KEY"):
        raise Configured("VAPID_PRIVATE_KEY is set in the environment: replace it there, on every host")
    from py_vapid import Vapid02

    from .extensions import db

    vapid = Vapid02()
    vapid.generate_keys()
    pem = vapid.private_pem().decode()
    store(db.session, VAPID_PRIVATE_KEY, pem)
    return pem
