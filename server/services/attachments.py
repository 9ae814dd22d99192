"""Attachments: content-addressed photos and signatures, checked by hash, real image type and size.

Who may name one in a record, and who may download it: whoever sent its bytes (AttachmentUploader), or
whoever can see a record it is attached to; to anyone else it does not exist (`missing_attachment`, 404).
"""

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Attachment, AttachmentUploader, Visit, VisitAttachment
from .actors import Actor
from .changes import record_audit
from .errors import HashMismatch, NotFound, TooLarge, UnsupportedMedia
from .scope import scope_filter

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


class FileStore:
    """Attachment bytes under a folder, sharded by hash; written to a temp file then renamed (atomic)."""

    def __init__(self, root: str):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def put(self, sha256: str, data: bytes) -> None:
        target = self.path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()


def store_attachment(store: FileStore, actor: Actor, sha256: str, data: bytes, max_bytes: int) -> bool:
    """Keep an upload; True when it is new. The bytes land before the row, so a row always has its file."""
    if len(data) > max_bytes:
        raise TooLarge("附件不能超过5MB / attachments are limited to 5 MB")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise HashMismatch("内容与哈希不符 / the bytes do not match the hash")
    kind = sniff_image(data)
    if kind is None:
        raise UnsupportedMedia("只接受JPEG/PNG/WebP图片 / only JPEG, PNG or WebP")
    if db.session.get(Attachment, sha256) is not None and store.exists(sha256):
        _note_uploader(actor, sha256)
        return False
    store.put(sha256, data)
    if db.session.get(Attachment, sha256) is None:
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
             .where(VisitAttachment.sha256.in_(shas)))
    clause = scope_filter(actor, Visit.area_id)
    return query if clause is None else query.where(clause)


def namable_attachments(actor: Actor, shas: set[str]) -> set[str]:
    """Which of these attachments the actor may name in a record; the rest answer `missing_attachment`,
    exactly as a hash nobody uploaded (the answer must not tell that another township's photo exists)."""
    if not shas:
        return set()
    if actor.sees_all:  # an admin may read every attachment anyway
        return set(db.session.execute(select(Attachment.sha256).where(Attachment.sha256.in_(shas))).scalars())
    sent = select(AttachmentUploader.sha256).where(AttachmentUploader.user_id == actor.user_id,
                                                   AttachmentUploader.sha256.in_(shas))
    return set(db.session.execute(sent.union(_attached_in_scope(actor, shas))).scalars())


def readable_attachment(actor: Actor, sha256: str) -> Attachment:
    """The attachment, if the caller sent its bytes or can see a visit naming it; else 404."""
    row = db.session.get(Attachment, sha256)
    if row is None:
        raise NotFound("No such attachment")
    if actor.sees_all or db.session.get(AttachmentUploader, (sha256, actor.user_id)) is not None:
        return row
    if not db.session.execute(select(exists(_attached_in_scope(actor, [sha256])))).scalar():
        raise NotFound("No such attachment")
    return row
