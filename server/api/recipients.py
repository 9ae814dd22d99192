"""Recipients (office): the roster import and its template, the archive 档案 (page and PDF), the audited ID
reveal, the possible duplicates."""

import io

from flask import current_app, g, send_file

from ..schemas.recipients import (
    ArchiveSchema,
    DuplicateListSchema,
    IdNumberSchema,
    ImportQuerySchema,
    ImportResultSchema,
    RosterFileSchema,
)
from ..services import archive, duplicates, imports, papers
from ..services.attachments import FileStore
from . import BINARY, Blueprint, download, read_upload, roles

bp = Blueprint("recipients", __name__, url_prefix="/api/recipients",
               description="Roster import, archive, ID reveal")
OFFICE = ("reviewer", "admin")


@bp.post("/import")
@roles(*OFFICE)
@bp.arguments(ImportQuerySchema, location="query", error_status_code=400)
@bp.arguments(RosterFileSchema, location="files")
@bp.response(200, ImportResultSchema)
def import_recipients(query, files):
    """Import recipients from a multipart `file` (.xlsx or .csv); ?dry_run=1 only checks every row"""
    filename, content = read_upload(files)
    return imports.import_recipients(g.actor, filename, content, query["dry_run"],
                                     frozenset(query["skip_rows"]))


@bp.post("/import-problems.xlsx")
@roles(*OFFICE)
@bp.arguments(RosterFileSchema, location="files")
@bp.response(200, BINARY, content_type=imports.XLSX_MIMETYPE)
def import_problems(files):
    """The dry run's rows with errors or warnings as a workbook: bad cells filled (red: error, yellow: warning)
    with the reason as a comment; writes nothing"""
    filename, content = read_upload(files)
    return download(imports.build_problem_workbook(g.actor, filename, content), imports.XLSX_MIMETYPE,
                    "导入检查结果.xlsx")


@bp.get("/import-template.xlsx")
@roles(*OFFICE)
@bp.response(200, BINARY, content_type=imports.XLSX_MIMETYPE)
def import_template():
    """The import template: header row, code sheet (categories, villages in scope), instructions"""
    return download(imports.build_template(g.actor), imports.XLSX_MIMETYPE, "优抚对象导入模板.xlsx")


@bp.get("/duplicates")
@roles(*OFFICE)
@bp.response(200, DuplicateListSchema)
def list_duplicates():
    """Possible duplicates: recipients registered with an ID number another one in the office's scope holds"""
    return {"items": duplicates.list_duplicate_flags(g.actor)}


@bp.get("/<recipient_id>/id-number")
@roles(*OFFICE)
@bp.response(200, IdNumberSchema)
def reveal(recipient_id: str):
    """The full ID number of a recipient (a reviewer opening the record); every read is audited"""
    return {"id_number": archive.reveal_id_number(g.actor, recipient_id)}


@bp.get("/<recipient_id>/archive")
@roles(*OFFICE)
@bp.response(200, ArchiveSchema)
def archive_json(recipient_id: str):
    """The archive: profile, every visit with photos and signature, every difficulty with follow-ups"""
    return archive.recipient_archive(g.actor, recipient_id)


@bp.get("/<recipient_id>/archive.html")
@roles(*OFFICE)
@bp.response(200, {"type": "string"}, content_type="text/html")
def archive_page(recipient_id: str):
    """The archive as a printable page (print it to PDF from the browser)"""
    data = archive.recipient_archive(g.actor, recipient_id)
    return current_app.response_class(papers.archive_html(data, current_app.config["TIMEZONE"]),
                                      mimetype="text/html")


@bp.get("/<recipient_id>/archive.pdf")
@roles(*OFFICE)
@bp.response(200, BINARY, content_type=papers.PDF_MIMETYPE)
def archive_pdf(recipient_id: str):
    """The archive as an A4 PDF: visits with photos and signature, difficulties and follow-ups, local times"""
    pdf, name = papers.recipient_pdf(g.actor, recipient_id, current_app.config["TIMEZONE"],
                                     FileStore(current_app.config["ATTACHMENTS_DIR"]))
    return send_file(io.BytesIO(pdf.content), mimetype=papers.PDF_MIMETYPE, as_attachment=True,
                     download_name=name, max_age=0)
