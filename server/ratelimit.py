"""Flask-Limiter's counters in the app's own database (`RATELIMIT_STORAGE_URI=zoufang+db://`, the default).

The limits library stores counters in memory (one count per process: three gunicorn workers would allow three
times the limit), Redis, Memcached or MongoDB. A county runs one small machine without Redis, a province
several hosts on one PostgreSQL: both already share this database, so the counters live there too. Redis is
used instead when `RATELIMIT_STORAGE_URI` names it (`redis://127.0.0.1:6379`).

Fixed windows, one row per key: a single upsert counts a hit, so concurrent workers never lose one. Each
statement runs on a connection and transaction of its own, committed at once, never in the request's (a
throttled request is refused, and its count must stay).
"""

import random
import time
from contextlib import contextmanager

from limits.storage import Storage
from sqlalchemy import case, delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from .database import begin_reads_deferred, dialect_insert, end_deferred_reads, write_connection
from .extensions import db
from .models.throttle import RateLimitCounter

SCHEME = "zoufang+db"
_table = RateLimitCounter.__table__
PURGE_EVERY = 200  # on average one hit in this many also deletes the expired rows


@contextmanager
def _reader():
    """A connection whose transaction begins without SQLite's write lock."""
    token = begin_reads_deferred()
    try:
        with db.engine.connect() as connection:
            yield connection
    finally:
        end_deferred_reads(token)


class DatabaseStorage(Storage):
    """A `limits` storage on the Flask app's SQLAlchemy engine (used inside an app context, as Flask-Limiter
    does: the current app's database)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        live = _table.c.expires_at > now
        insert = dialect_insert(db.engine, _table).values(key=key, count=amount, expires_at=now + expiry)
        statement = insert.on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={"count": case((live, _table.c.count + amount), else_=amount),
                  "expires_at": case((live, _table.c.expires_at), else_=now + expiry)},
        ).returning(_table.c.count)
        with write_connection(db.engine) as connection:
            count = connection.execute(statement).scalar_one()
            if random.randrange(PURGE_EVERY) == 0:
                connection.execute(delete(_table).where(_table.c.expires_at <= now))
        return count

    def get(self, key: str) -> int:
        with _reader() as connection:
            found = connection.execute(select(_table.c.count).where(
                _table.c.key == key, _table.c.expires_at > time.time())).scalar_one_or_none()
        return found or 0

    def get_expiry(self, key: str) -> float:
        with _reader() as connection:
            found = connection.execute(select(_table.c.expires_at).where(_table.c.key == key)).scalar_one_or_none()
        return found if found is not None and found > time.time() else time.time()

    def check(self) -> bool:
        try:
            with _reader() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with write_connection(db.engine) as connection:
            count = connection.execute(select(func.count()).select_from(_table)).scalar_one()
            connection.execute(delete(_table))
        return count

    def clear(self, key: str) -> None:
        with write_connection(db.engine) as connection:
            connection.execute(delete(_table).where(_table.c.key == key))
