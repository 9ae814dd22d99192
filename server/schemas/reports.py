"""Wire shapes of reports: the weekly report's date range, the bulk archive's area."""

import re

from marshmallow import Schema, ValidationError, fields, validates_schema

from ..services.reports import MAX_DAYS
from .common import IN_DATE_RANGE, bounded_int

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class LocalDate(fields.Date):
    """YYYY-MM-DD only (Python also reads 20261101 and 2026-W48-1, which nobody means here)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not DATE_RE.match(value):
            raise ValidationError("日期格式应为 YYYY-MM-DD / use YYYY-MM-DD")
        return super()._deserialize(value, attr, data, **kwargs)


class WeeklyQuerySchema(Schema):
    from_ = LocalDate(data_key="from", load_default=None, validate=IN_DATE_RANGE,
                      metadata={"description": "first local date (YYYY-MM-DD); default: 6 days before `to`"})
    to = LocalDate(load_default=None, validate=IN_DATE_RANGE,
                   metadata={"description": "last local date, inclusive; default: today"})

    @validates_schema
    def _ordered_and_bounded(self, data, **kwargs):
        start, end = data.get("from_"), data.get("to")
        if start and end:
            if start > end:
                raise ValidationError("开始日期不能晚于结束日期 / from must not be after to", "from")
            if (end - start).days >= MAX_DAYS:
                raise ValidationError(f"最长{MAX_DAYS}天 / at most {MAX_DAYS} days", "to")


class ArchiveQuerySchema(Schema):
    area = bounded_int(required=True, metadata={"description": "a township or village in the caller's scope"})
