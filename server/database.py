"""Engine wiring: SQLite durability and write-lock behaviour, applied to every connection."""

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_engine(engine: Engine) -> None:
    """Make SQLite durable (WAL, synchronous=FULL) and take the write lock at BEGIN.

    Python's sqlite3 begins deferred transactions; two gunicorn workers that both read and then write
    would hit SQLITE_BUSY on the lock upgrade, which no busy timeout cures. BEGIN IMMEDIATE avoids it.
    """
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")
