"""Reports (office): the weekly report workbook."""

import re

from flask import Blueprint, current_app, g, send_file
from marshmallow import Schema, ValidationError, fields, validates_schema

from ..services import reports
from . import doc, load_query, roles

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
bp = Blueprint("reports", __name__, url_prefix="/api/reports")


class LocalDate(fields.Date):
    """YYYY-MM-DD only (Python also reads 20261101 and 2026-W48-1, which nobody means here)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not DATE_RE.match(value):
            raise ValidationError("日期格式应为 YYYY-MM-DD / use YYYY-MM-DD")
        return super()._deserialize(value, attr, data, **kwargs)


class WeeklyQuerySchema(Schema):
    from_ = LocalDate(data_key="from", load_default=None,
                      metadata={"description": "first local date (YYYY-MM-DD); default: 6 days before `to`"})
    to = LocalDate(load_default=None, metadata={"description": "last local date, inclusive; default: today"})

    @validates_schema
    def _ordered_and_bounded(self, data, **kwargs):
        start, end = data.get("from_"), data.get("to")
        if start and end:
            if start > end:
                raise ValidationError("开始日期不能晚于结束日期 / from must not be after to", "from")
            if (end - start).days >= reports.MAX_DAYS:
                raise ValidationError(f"最长{reports.MAX_DAYS}天 / at most {reports.MAX_DAYS} days", "to")


@bp.get("/weekly.xlsx")
@roles("reviewer", "admin")
@doc("The weekly report: 汇总 by township, 走访明细, 困难诉求, 逾期清单 (inclusive local dates)",
     query=WeeklyQuerySchema, roles=("reviewer", "admin"), produces=reports.XLSX_MIMETYPE)
def weekly():
    query = load_query(WeeklyQuerySchema())
    zone = current_app.config["TIMEZONE"]
    start, end = reports.default_range(zone, query["from_"], query["to"])
    output = reports.weekly_report(g.actor, start, end, zone)
    return send_file(output, mimetype=reports.XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"走访周报_{start.isoformat()}_{end.isoformat()}.xlsx", max_age=0)
