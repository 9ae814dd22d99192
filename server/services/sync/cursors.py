"""The database epoch and the sync cursors that carry it: pull and push as a device sees them.

The epoch is a random id in `database_meta`, made by the migration and replaced by every restore (and by
`flask epoch --renew`). A restored database is the old one minus whatever was written after its backup: its
change numbers go on from an older point, so a phone's cursor from before the restore may look valid and its
pulls would skip changes with no error, and records the phones were told were applied are gone.

A cursor handed to a device is `tag * 2**36 + seq`: `seq` the change number, `tag` a number from 1 to
65535 derived from the epoch. A cursor of another epoch, or one from before cursors carried an epoch (a plain
change number: tag 0), answers 410 `cursor_expired` whatever the change numbers have grown to; 0 means "from
the start" in every epoch. Cursors stay integers below 2**53, so JavaScript keeps them exactly.

Pull and push answers also carry the epoch itself (`epoch`). A device that sends it back (the pull's `epoch`
parameter, the push's `epoch` field) and meets another one is answered 410 too — on a push before anything
is applied — so it learns of the restore even when its cursor is 0 (a fresh login) or when it only pushes,
and re-sends the mutations the lost database had acknowledged before anything newer.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from ...database import write_connection
from ...extensions import db
from ...models import DatabaseMeta
from .. import changes
from ..actors import Actor
from ..errors import CursorExpired
from .push import push

EPOCH_KEY = "epoch"
SEQ_BITS = 36  # 68.7 billion change numbers per epoch
SEQ_SPAN = 1 << SEQ_BITS
TAGS = 0xFFFF  # tags 1..65535: the largest cursor, 65535 * 2**36 + 2**36 - 1, is below 2**52
RESTORED = "The server's database was restored: send again what it acknowledged, then pull from 0"


@dataclass(frozen=True)
class Epoch:
    id: str
    tag: int


def epoch_of(epoch_id: str) -> Epoch:
    digest = hashlib.sha256(epoch_id.encode()).digest()
    return Epoch(epoch_id, 1 + int.from_bytes(digest[:4], "big") % TAGS)


_REMEMBERED = "zf_epoch"  # session.info: (the transaction that read the epoch, its id)


def epoch_column():
    """The epoch's id as a column another query can carry (the auth guard's session query)."""
    return select(DatabaseMeta.value).where(DatabaseMeta.key == EPOCH_KEY).scalar_subquery().label("zf_epoch")


def remember_epoch(epoch_id: str | None) -> None:
    """Keep the epoch read by another query for the rest of the session's current transaction: a restore or
    `flask epoch --renew` is then seen by the next transaction, as when current_epoch reads it itself. (On
    SQLite a write request's guard ends its read transaction before the view: the view reads it again.)"""
    if epoch_id is not None:
        db.session.info[_REMEMBERED] = (db.session().get_transaction(), epoch_id)


def current_epoch() -> Epoch:
    """The database's epoch (made here if the row is missing: a database migrated before it existed); the one
    this transaction already read, if it did (`remember_epoch`)."""
    remembered = db.session.info.get(_REMEMBERED)
    transaction = db.session().get_transaction()
    if remembered is not None and transaction is not None and remembered[0] is transaction:
        return epoch_of(remembered[1])
    found = db.session.execute(select(DatabaseMeta.value).where(DatabaseMeta.key == EPOCH_KEY)).scalar()
    if found is None:
        found = _ensure_epoch()
    return epoch_of(found)


def _ensure_epoch() -> str:
    # Its own write transaction: a GET's deferred read transaction on SQLite must not turn into a writer.
    engine = db.session.get_bind()
    module = postgresql if engine.dialect.name == "postgresql" else sqlite
    with write_connection(engine) as connection:
        connection.execute(module.insert(DatabaseMeta.__table__)
                           .values(key=EPOCH_KEY, value=uuid.uuid4().hex).on_conflict_do_nothing())
        return connection.execute(select(DatabaseMeta.value).where(DatabaseMeta.key == EPOCH_KEY)).scalar_one()


def renew_epoch(connection) -> tuple[str | None, str]:
    """Give the database a new epoch (after a restore), in the caller's transaction: (old id, new id).

    The new tag differs from the old one, so even a client that only keeps cursors tells them apart.
    """
    table = DatabaseMeta.__table__
    old = connection.execute(select(table.c.value).where(table.c.key == EPOCH_KEY)).scalar()
    old_tag = epoch_of(old).tag if old else None
    new = uuid.uuid4().hex
    while epoch_of(new).tag == old_tag:
        new = uuid.uuid4().hex
    facts = {EPOCH_KEY: new, "epoch_renewed_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if old:
        facts["previous_epoch"] = old
    for key, value in facts.items():
        if connection.execute(update(table).where(table.c.key == key).values(value=value)).rowcount == 0:
            connection.execute(table.insert().values(key=key, value=value))
    return old, new


def encode_cursor(seq: int, epoch: Epoch) -> int:
    if not 0 <= seq < SEQ_SPAN:
        raise OverflowError(f"change number {seq} does not fit a cursor")
    return epoch.tag * SEQ_SPAN + seq


def decode_cursor(cursor: int, epoch: Epoch) -> int:
    """The change number a device's cursor stands for; 410 when it belongs to another epoch."""
    if cursor == 0:
        return 0
    tag, seq = divmod(cursor, SEQ_SPAN)
    if cursor < 0 or tag != epoch.tag:
        raise CursorExpired(RESTORED if tag else "The cursor is unknown; pull again from 0")
    return seq


def check_epoch(sent: str | None, epoch: Epoch) -> None:
    """None or "" (a device that knows no epoch yet) passes; another epoch answers 410."""
    if sent and sent != epoch.id:
        raise CursorExpired(RESTORED)


def pull_changes(actor: Actor, cursor: int, limit: int, min_cursor: int = 0, epoch: str | None = None) -> dict:
    """A pull page as the device sees it: cursors carry the epoch, and the answer names it."""
    current = current_epoch()
    check_epoch(epoch, current)
    page = changes.list_changes_since(actor, decode_cursor(cursor, current), limit, min_cursor=min_cursor)
    page["cursor"] = encode_cursor(page["cursor"], current)
    page["epoch"] = current.id
    return page


def push_mutations(actor: Actor, mutations: list, epoch: str | None = None, **options) -> dict:
    """A push as the device sees it: refused whole (410) when the device knew another epoch, before anything
    is applied, so it re-sends what the lost database acknowledged ahead of its newer mutations. `options` go to
    `push` as they are."""
    current = current_epoch()
    check_epoch(epoch, current)
    answer = push(actor, mutations, **options)
    answer["cursor"] = encode_cursor(answer["cursor"], current)
    answer["epoch"] = current.id
    return answer
