"""Local dates of the deployment's zone ↔ naive UTC instants (times are stored in UTC)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_day_start_utc(day: date, zone: str) -> datetime:
    """The UTC instant at which a local calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def local_range_utc(start: date | None, end: date | None, zone: str) -> tuple[datetime | None, datetime | None]:
    """[start, end] inclusive local dates → [from, to) UTC instants."""
    lower = local_day_start_utc(start, zone) if start else None
    upper = local_day_start_utc(end + timedelta(days=1), zone) if end else None
    return lower, upper


def local_today(zone: str, now: datetime | None = None) -> date:
    now = now or datetime.now(UTC).replace(tzinfo=None)
    return now.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()


def format_local(value: datetime | str | None, zone: str) -> str:
    """An instant as papers show it: `2026-12-04 23:23` in the deployment's zone (no ISO `T`, no zone code);
    a stored naive datetime is UTC, a string is the API's ISO form ("…Z"); "" for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
