"""Column helpers shared by the models."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC: every timestamp column stores UTC without a zone, the same on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)
