"""Reports (office): the weekly report workbook."""

from flask import current_app, g

from ..schemas.reports import WeeklyQuerySchema
from ..services import reports
from . import BINARY, Blueprint, download, roles

bp = Blueprint("reports", __name__, url_prefix="/api/reports", description="Report workbooks")


@bp.get("/weekly.xlsx")
@roles("reviewer", "admin")
@bp.arguments(WeeklyQuerySchema, location="query")
@bp.response(200, BINARY, content_type=reports.XLSX_MIMETYPE)
def weekly(query):
    """The weekly report: 汇总 by township, 走访明细, 困难诉求, 逾期清单 (inclusive local dates)"""
    zone = current_app.config["TIMEZONE"]
    start, end = reports.default_range(zone, query["from_"], query["to"])
    output = reports.weekly_report(g.actor, start, end, zone)
    return download(output, reports.XLSX_MIMETYPE, f"走访周报_{start.isoformat()}_{end.isoformat()}.xlsx")
