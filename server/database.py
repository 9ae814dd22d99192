"""Engine wiring: SQLite durability and write-lock behaviour, applied to every connection."""

import time
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError

# Whether a SQLite transaction takes the write lock when it begins. Write requests, CLI commands and
# dispatchers do; GET requests only read, so they begin deferred and never queue behind a sync push.
_take_write_lock: ContextVar[bool] = ContextVar("zf_take_write_lock", default=True)


# A pooled connection idle longer than this is pinged at checkout (PostgreSQL: `ping_when_idle`).
IDLE_PING_SECONDS = 10.0
_CHECKED_IN = "zf_checked_in"


def configure_engine(engine: Engine) -> None:
    """Make SQLite durable (WAL, synchronous=FULL) and take the write lock at BEGIN for writers; on a server
    database, ping only connections that sat idle (`ping_when_idle`).

    Python's sqlite3 begins deferred transactions; two gunicorn workers that both read and then write
    would hit SQLITE_BUSY on the lock upgrade, which no busy timeout cures. BEGIN IMMEDIATE avoids it.
    """
    if engine.dialect.name == "postgresql":
        ping_when_idle(engine)  # server/config.py turns pool_pre_ping off for PostgreSQL
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _take_write_lock.get() else "BEGIN")


def ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout only when it sat in the pool longer than IDLE_PING_SECONDS.

    `pool_pre_ping` pings at every checkout: a `SELECT 1` round trip per request on PostgreSQL. A connection
    checked in moments ago (a busy worker's) is as good as its last statement; one left idle is what a server
    restart, an idle-session timeout or a proxy may have closed meanwhile. A failed ping raises
    DisconnectionError, and the pool replaces the connection and checks out again (SQLAlchemy's "pessimistic"
    disconnect handling with custom events). A connection killed within those seconds fails its request's
    first query instead, which is read again on a fresh connection (`read_again_if_disconnected`).
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        if record is not None:
            record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        # A new connection has no check-in time (the record's info is emptied when its connection is replaced).
        since = record.info.get(_CHECKED_IN)
        if since is None or time.monotonic() - since <= IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as err:  # noqa: BLE001  (any failure: the connection is not to be used)
            raise DisconnectionError(f"an idle connection failed its ping: {type(err).__name__}") from err
        if alive is False:
            raise DisconnectionError("an idle connection failed its ping")


def read_again_if_disconnected(read):
    """A request's first read, run once more on a fresh connection if its pooled one turned out dead.

    A connection closed moments after its last use (a database restart, a failover) is not pinged at checkout
    (`ping_when_idle`), so the request's first query meets it: SQLAlchemy then discards it and invalidates the
    pool (every connection as old is replaced at its next checkout), and nothing was done in the transaction
    yet, so reading again is safe. The phone gets its answer instead of a 503 to retry.
    """
    from .extensions import db

    try:
        return read()
    except DBAPIError as err:
        if not err.connection_invalidated:
            raise
        db.session.rollback()
        return read()


def single_writer(engine: Engine) -> bool:
    """SQLite: one writer at a time, its lock taken at BEGIN (so reads are kept out of write transactions).
    PostgreSQL's reads take no lock a writer waits for: a request may read and write in one transaction."""
    return engine.dialect.name == "sqlite"


def begin_reads_deferred():
    """For the rest of this request, SQLite transactions begin without the write lock (GET requests)."""
    return _take_write_lock.set(False)


def end_deferred_reads(token) -> None:
    _take_write_lock.reset(token)


def reading_deferred() -> bool:
    return not _take_write_lock.get()


@contextmanager
def write_connection(engine: Engine):
    """A separate connection and transaction that takes the write lock at BEGIN: a read-only request's
    bookkeeping (an audit row, a session's last-seen time) is written here, so its own deferred read
    transaction never has to upgrade to a writer (which SQLite may refuse outright in WAL mode)."""
    token = _take_write_lock.set(True)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        _take_write_lock.reset(token)


def in_values(column, values):
    """`column IN (values)`, for lists as long as a push batch's (200 ids, 800 photo hashes).

    On PostgreSQL `column = ANY(:array)`: one parameter, where SQLAlchemy's expanding IN makes one per value.
    psycopg converts a statement's `%(name)s` placeholders in Python and caches the result only for statements
    of at most 50 parameters: every 200-id lookup was parsed again, ≈ 3 ms of CPU each, a fifth of a push's
    own CPU time on PostgreSQL. SQLite has no arrays: the plain IN there.
    """
    from .extensions import db

    values = list(values)
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy import any_, literal
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)


def dict_rows(result) -> list[dict]:
    """A result's rows as plain dicts. `dict(row)` over `.mappings()` builds a key view per row (≈ 15 µs for
    a visit's 20 columns, a third of a pull page's CPU); here the keys are read once."""
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def dialect_insert(bind: Engine, table):
    """INSERT for the engine's dialect, with its `on_conflict_do_update` (SQLite and PostgreSQL both upsert)."""
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def release_sessions_safely(app, db) -> None:
    """End each app context's session without letting a dead connection turn the answer into the WSGI
    server's HTML 500.

    Flask-SQLAlchemy rolls the session back in a teardown, after the answer is made and outside every error
    handler; when the connection died after the view's last query (a PostgreSQL restart, an idle-kill, a
    proxy), that rollback raises and gunicorn answered its own HTML page instead of the view's answer. The
    view's work is already answered (and committed, if it wrote), so the failure is logged and the session
    dropped with its connection. Registered after `db.init_app`, so it runs first (teardowns run last-first)
    and Flask-SQLAlchemy's own then finds nothing to do.
    """
    import logging

    log = logging.getLogger("server.database")

    @app.teardown_appcontext
    def _release_session(_error):
        registry = db.session.registry
        if not registry.has():
            return
        session = registry()
        try:
            session.close()
        except Exception as exc:  # noqa: BLE001  (any failure here would reach the WSGI server)
            log.warning("session teardown failed (%s): connection discarded", type(exc).__name__)
            try:
                session.invalidate()  # the connection goes out of the pool, never back into it
            except Exception:  # noqa: BLE001
                pass
        finally:
            registry.clear()
