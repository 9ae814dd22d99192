"""Attachments: idempotent upload by SHA-256 and scoped download."""

from flask import Response, current_app, g, request

from ..errors import ApiError
from ..schemas.attachments import StoredAttachmentSchema
from ..services.attachments import DOCUMENT_TYPES, IMAGE_TYPES, FileStore, readable_attachment, store_attachment
from . import BINARY, Blueprint, one_transaction

bp = Blueprint("attachments", __name__, url_prefix="/api/attachments",
               description="Photos, signatures and evidence documents, content-addressed")
# Who may upload evidence documents (PDF, Office) besides images: the creation campaign's roles.
DOCUMENT_ROLES = ("liaison", "reviewer", "admin")


def file_store() -> FileStore:
    return FileStore(current_app.config["ATTACHMENTS_DIR"])


@bp.put("/<string(length=64):sha256>")
@one_transaction
@bp.doc(requestBody={"required": True, "content": {t: {"schema": BINARY} for t in (*IMAGE_TYPES, *DOCUMENT_TYPES)}})
@bp.response(201, StoredAttachmentSchema, description="Stored")
@bp.alt_response(200, schema=StoredAttachmentSchema, description="Already there", success=True)
@bp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
def put_attachment(sha256: str):
    """Upload a photo or signature (raw JPEG/PNG/WebP bytes, ≤ 5 MB): 201 stored, 200 already there.
    Liaisons and the office may also upload evidence documents: PDF and Office files without macros, ≤ 20 MB
    (the type is read from the bytes)"""
    config = current_app.config
    limit = config["ATTACHMENT_MAX_BYTES"]
    documents = config["DOCUMENT_MAX_BYTES"] if g.actor.role in DOCUMENT_ROLES else None
    if (request.content_length or 0) > max(limit, documents or 0):
        raise ApiError(413, "payload_too_large", "附件过大 / the file is too large")
    if documents:
        request.max_content_length = max(config["MAX_CONTENT_LENGTH"], documents)  # this request only
    created = store_attachment(file_store(), g.actor, sha256.lower(), request.get_data(cache=False), limit,
                               document_max_bytes=documents)
    return {"sha256": sha256.lower()}, (201 if created else 200)


@bp.get("/<string(length=64):sha256>")
@bp.response(200, BINARY, content_type="image/jpeg", description="The bytes, with their own image type")
@bp.alt_response(200, schema=BINARY, content_type="image/png", success=True)
@bp.alt_response(200, schema=BINARY, content_type="image/webp", success=True)
@bp.alt_response(200, schema=BINARY, content_type="application/pdf", success=True)
@bp.alt_response(200, schema=BINARY, content_type="application/octet-stream", success=True,
                 description="an Office document, with its own type")
def get_attachment(sha256: str):
    """Download an attachment (its uploader, whoever can see a visit naming it, or evidence naming it)"""
    row = readable_attachment(g.actor, sha256.lower())
    data = file_store().get(row.sha256)
    response = Response(data, mimetype=row.content_type)
    if row.content_type in DOCUMENT_TYPES:
        # A document is saved, never rendered in the app's origin.
        response.headers["Content-Disposition"] = \
            f'attachment; filename="{row.sha256[:16]}.{DOCUMENT_TYPES[row.content_type]}"'
    # Personal data: never kept in a (shared office PC's) disk cache, nor by a user whose access ends.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
