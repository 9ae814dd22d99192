"""Attachments: content-addressed photos, signatures and evidence documents, checked by hash, the real type
(magic bytes and structure, never the client's Content-Type) and size.

Who may name one in a record, and who may download it: whoever sent its bytes (AttachmentUploader), or
whoever can see a record it is attached to (a visit in scope, evidence of the creation campaign the actor may
see); to anyone else it does not exist (`missing_attachment`, 404).
"""

import errno
import hashlib
import io
import logging
import os
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from sqlalchemy import exists, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from ..database import in_values, single_writer
from ..extensions import db
from ..models import Attachment, AttachmentUploader, AuditLog, Visit, VisitAttachment
from .actors import Actor
from .auth import reading
from .changes import audit_row, record_audit
from .creation.access import attachment_readable
from .errors import HashMismatch, NotFound, StorageFull, TooLarge, UnsupportedFileType, UnsupportedMedia
from .scope import scope_filter

log = logging.getLogger(__name__)
# What a full disk or an exhausted quota raises on a write.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
TEMP_PREFIX = ".upload-"

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_image(data: bytes) -> str | None:
    """The image type from the bytes themselves (the client's Content-Type is not trusted)."""
    for magic, kind in SIGNATURES:
        if data.startswith(magic):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
# Evidence documents: the type → the file name extension a download carries.
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.ms-powerpoint": "ppt",
}
_OOXML_PARTS = (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"), ("ppt/presentation.xml", "pptx"))
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A legacy Office file is an OLE2 container; its main stream's name (UTF-16LE in the directory) tells which.
_OLE_STREAMS = (("WordDocument", "doc"), ("Workbook", "xls"), ("Book", "xls"), ("PowerPoint Document", "ppt"))
_BY_EXTENSION = {ext: kind for kind, ext in DOCUMENT_TYPES.items()}


def sniff_document(data: bytes) -> str | None:
    """A PDF or Office document's type from its bytes; None for anything else. An Office file carrying macros
    (vbaProject.bin) is refused outright: evidence is read by many, on office PCs."""
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]:
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())  # the central directory only: nothing is decompressed
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise UnsupportedFileType("不接受含宏的Office文件 / Office files with macros are not accepted")
        return next((_BY_EXTENSION[ext] for part, ext in _OOXML_PARTS if part in names), None)
    if data.startswith(_OLE_MAGIC):
        if "_VBA_PROJECT".encode("utf-16-le") in data:
            raise UnsupportedFileType("不接受含宏的Office文件 / Office files with macros are not accepted")
        return next((_BY_EXTENSION[ext] for stream, ext in _OLE_STREAMS
                     if (stream + "\0").encode("utf-16-le") in data), None)
    return None


class FileStore:
    """Attachment bytes under a folder, sharded by hash; written to a temp file then renamed (atomic)."""

    def __init__(self, root: str):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def put(self, sha256: str, data: bytes) -> None:
        """Write the bytes; a full disk raises StorageFull (503 `unavailable`), logged once until a write
        succeeds again (every phone retries its uploads with backoff: a log line each would bury the log)."""
        target = self.path(sha256)
        if target.exists():
            return
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            if exc.errno not in _FULL:
                raise
            _storage_full.note(self.root, exc)
            raise StorageFull("服务器存储空间已满，请稍后再试 / the server's storage is full; try again later") \
                from None
        _storage_full.clear(self.root)

    def sweep_stale_uploads(self, older_than_seconds: float) -> int:
        """Remove the temp files of uploads that never finished (a worker killed mid-write) and are older
        than `older_than_seconds`; the number removed. Younger ones may be an upload still being written."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if not name.startswith(TEMP_PREFIX):
                    continue
                path = Path(folder) / name
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    pass  # another host's sweep, or the upload finished (renamed) meanwhile
        return removed

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()


class _StorageFullLog:
    """One log line when a store fills up and one when it takes writes again, per process."""

    def __init__(self):
        self._full: set[Path] = set()
        self._lock = threading.Lock()

    def note(self, root: Path, exc: OSError) -> None:
        with self._lock:
            if root in self._full:
                return
            self._full.add(root)
        log.error("attachments: the store at %s is full (%s); uploads answer 503 until space is freed",
                  root, os.strerror(exc.errno))

    def clear(self, root: Path) -> None:
        if root not in self._full:
            return
        with self._lock:
            if root not in self._full:
                return
            self._full.discard(root)
        log.warning("attachments: the store at %s takes writes again", root)


_storage_full = _StorageFullLog()


def store_attachment(store: FileStore, actor: Actor, sha256: str, data: bytes, max_bytes: int,
                     document_max_bytes: int | None = None) -> bool:
    """Keep an upload; True when it is new. The bytes land before the row, so a row always has its file.

    Images (JPEG, PNG, WebP) up to `max_bytes`; with `document_max_bytes` (evidence: liaisons and the office)
    also PDF and Office documents up to that size.
    """
    if len(data) > max(max_bytes, document_max_bytes or 0):
        raise TooLarge("附件过大 / the file is too large")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise HashMismatch("内容与哈希不符 / the bytes do not match the hash")
    kind = sniff_image(data)
    if kind is None and document_max_bytes:
        kind = sniff_document(data)
        if kind is None:
            raise UnsupportedMedia("只接受图片、PDF和Office文件 / only images, PDF and Office documents")
        if len(data) > document_max_bytes:
            raise TooLarge(f"文件不能超过{document_max_bytes // (1024 * 1024)}MB / documents are limited to "
                           f"{document_max_bytes // (1024 * 1024)} MB")
    if kind is None:
        raise UnsupportedMedia("只接受JPEG/PNG/WebP图片 / only JPEG, PNG or WebP")
    if kind in IMAGE_TYPES and len(data) > max_bytes:
        raise TooLarge("附件不能超过5MB / attachments are limited to 5 MB")
    if not single_writer(db.engine):
        return _store_in_one_statement(store, actor, sha256, data, kind)
    # Read, then write and fsync the file, with no transaction open: on SQLite a write transaction holds the
    # one write lock from its BEGIN, and every push and upload would queue behind this disk write.
    with reading():
        known = db.session.get(Attachment, sha256) is not None
    if known and store.exists(sha256):
        _note_uploader(actor, sha256)
        return False
    store.put(sha256, data)
    if not known:
        # Not read again: when another request stored the same bytes meanwhile, the primary key refuses this
        # row (IntegrityError below) and the uploader is noted, as for any upload of bytes already there.
        db.session.add(Attachment(sha256=sha256, content_type=kind, size=len(data), uploader_id=actor.user_id))
        db.session.add(AttachmentUploader(sha256=sha256, user_id=actor.user_id))
        record_audit(actor, "attachment.upload", "attachment", sha256, {"size": len(data)})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same upload won a race from another request: it is stored
        _note_uploader(actor, sha256)
        return False
    return True


def _store_in_one_statement(store: FileStore, actor: Actor, sha256: str, data: bytes, kind: str) -> bool:
    """PostgreSQL: the file if the store lacks it, then the row, its uploader and the audit row in one
    statement, in the auth guard's transaction (`one_transaction`: no lock is held while the file is written).

    Four round trips (BEGIN, the session check, this statement, COMMIT) where the ORM's read, three INSERTs
    and their flushes took seven, for each of a reconnect storm's 40,000 uploads. `ON CONFLICT DO NOTHING`
    settles a race for the same bytes (the loser's uploader is noted, no audit row); the audit row is written
    only when this request stored the attachment, so its RETURNING says 201 or 200.
    """
    if not store.exists(sha256):
        store.put(sha256, data)
    audit = audit_row(actor, "attachment.upload", "attachment", sha256, {"size": len(data)})
    now = audit["at"]
    attachments, uploaders, log_table = Attachment.__table__, AttachmentUploader.__table__, AuditLog.__table__
    stored = (pg_insert(attachments)
              .values(sha256=sha256, content_type=kind, size=len(data), uploader_id=actor.user_id, created_at=now)
              .on_conflict_do_nothing().returning(attachments.c.sha256).cte("stored"))
    noted = (pg_insert(uploaders).values(sha256=sha256, user_id=actor.user_id, created_at=now)
             .on_conflict_do_nothing().cte("noted"))
    columns = [c for c in audit if c != "entity_id"]
    row = select(*(literal(audit[c], log_table.c[c].type) for c in columns), stored.c.sha256)
    statement = (insert(log_table).from_select([*columns, "entity_id"], row)
                 .add_cte(stored, noted).returning(log_table.c.id))
    created = db.session.execute(statement).first() is not None
    db.session.commit()
    return created


def _note_uploader(actor: Actor, sha256: str) -> None:
    """Someone sent bytes the store has: having them, they may name and read the attachment too."""
    if db.session.get(AttachmentUploader, (sha256, actor.user_id)) is None:
        db.session.add(AttachmentUploader(sha256=sha256, user_id=actor.user_id))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # the same user's concurrent upload noted it
    else:
        db.session.rollback()


def _attached_in_scope(actor: Actor, shas):
    """Those of `shas` attached to a visit the actor can see (a query of sha256s)."""
    query = (select(VisitAttachment.sha256).join(Visit, Visit.id == VisitAttachment.visit_id)
             .where(in_values(VisitAttachment.sha256, shas)))
    clause = scope_filter(actor, Visit.area_id)
    return query if clause is None else query.where(clause)


def namable_attachments(actor: Actor, shas: set[str]) -> set[str]:
    """Which of these attachments the actor may name in a record; the rest answer `missing_attachment`,
    exactly as a hash nobody uploaded (the answer must not tell that another township's photo exists)."""
    if not shas:
        return set()
    if actor.sees_all:  # an admin may read every attachment anyway
        return set(db.session.execute(select(Attachment.sha256).where(in_values(Attachment.sha256, shas))).scalars())
    sent = select(AttachmentUploader.sha256).where(AttachmentUploader.user_id == actor.user_id,
                                                   in_values(AttachmentUploader.sha256, shas))
    return set(db.session.execute(sent.union(_attached_in_scope(actor, shas))).scalars())


def readable_attachment(actor: Actor, sha256: str) -> Attachment:
    """The attachment, if the caller sent its bytes or can see a visit naming it; else 404."""
    row = db.session.get(Attachment, sha256)
    if row is None:
        raise NotFound("No such attachment")
    if (actor.sees_all or db.session.get(AttachmentUploader, (sha256, actor.user_id)) is not None
            or attachment_readable(actor, sha256)):
        return row
    if not db.session.execute(select(exists(_attached_in_scope(actor, [sha256])))).scalar():
        raise NotFound("No such attachment")
    return row
