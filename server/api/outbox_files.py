"""The phone's exported outbox file: the office uploads it, the server verifies it and applies it as sync."""

from flask import current_app, g, request

from ..errors import ApiError
from ..schemas.outbox_files import OutboxFileAnswerSchema, OutboxFileQuerySchema, OutboxFileUploadSchema
from ..services import outbox_files
from . import Blueprint, roles
from .attachments import file_store

bp = Blueprint("outbox_files", __name__, url_prefix="/api/outbox-files",
               description="A phone's exported outbox file: verify, preview, apply")


@bp.post("/import")
@roles("reviewer", "admin")
@bp.arguments(OutboxFileQuerySchema, location="query", error_status_code=400)
@bp.arguments(OutboxFileUploadSchema, location="files")
@bp.response(200, OutboxFileAnswerSchema)
def import_outbox_file(query, files):
    """Verify a phone's exported outbox file (its author, device and seal) and apply its mutations through the
    sync push as their author, with their own ids; ?dry_run=1 only shows what it holds

    A file changed after export answers 422 `outbox_file_tampered`; one that is not an exported file 422
    `outbox_file_invalid`; one whose author is not a user of the caller's area 403 `outbox_file_out_of_scope`.
    Applying it twice, or the phone pushing the same mutations later, answers `duplicate`: nothing doubles.
    """
    config = current_app.config
    upload = files["file"]
    try:
        content = upload.read(config["OUTBOX_FILE_MAX_BYTES"] + 1)
    finally:
        upload.close()
    if len(content) > config["OUTBOX_FILE_MAX_BYTES"]:
        raise ApiError(413, "payload_too_large", "文件过大 / the file is too large")
    return outbox_files.load_outbox_file(g.actor, config["SECRET_KEY"], file_store(), content, query["dry_run"],
                                         config["ATTACHMENT_MAX_BYTES"])


@bp.before_request
def _allow_large_files():
    # Photos ride in the file: this endpoint alone reads more than the 6 MB every other request is held to.
    request.max_content_length = current_app.config["OUTBOX_FILE_MAX_BYTES"] + 64 * 1024
