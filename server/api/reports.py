"""Reports (office): the weekly report workbook, the bulk archive (a streamed ZIP of recipients' PDFs)."""

from flask import current_app, g

from ..schemas.reports import ArchiveQuerySchema, WeeklyQuerySchema
from ..services import papers, reports
from ..services.attachments import FileStore
from . import BINARY, Blueprint, download, roles, zip_response

bp = Blueprint("reports", __name__, url_prefix="/api/reports", description="Report workbooks and archives")


@bp.get("/weekly.xlsx")
@roles("reviewer", "admin")
@bp.arguments(WeeklyQuerySchema, location="query")
@bp.response(200, BINARY, content_type=reports.XLSX_MIMETYPE)
def weekly(query):
    """The weekly report: 汇总 by township with campaign coverage, 走访明细, 困难诉求, 跟进逾期, 办结超期"""
    zone = current_app.config["TIMEZONE"]
    start, end = reports.default_range(zone, query["from_"], query["to"])
    output = reports.weekly_report(g.actor, start, end, zone)
    return download(output, reports.XLSX_MIMETYPE, f"走访周报_{start.isoformat()}_{end.isoformat()}.xlsx")


@bp.get("/archive.zip")
@roles("reviewer", "admin")
@bp.arguments(ArchiveQuerySchema, location="query")
@bp.response(200, BINARY, content_type="application/zip")
def archive_zip(query):
    """Every recipient's archive PDF of a township or village (a folder per village), streamed as one ZIP"""
    chunks, name = papers.bulk_archive(g.actor, query["area"], current_app.config["TIMEZONE"],
                                       FileStore(current_app.config["ATTACHMENTS_DIR"]))
    return zip_response(chunks, name)

