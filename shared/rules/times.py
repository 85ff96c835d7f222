"""Times as the tool writes and reads them (pure, no I/O): RFC 3339 in UTC.

``stamp`` writes what the time tags hold; ``parse_time`` reads a time a tag, an event or a platform
header carries, and says ``None`` (never raises) for what is missing or not a time.
"""

from __future__ import annotations

from datetime import UTC, datetime


def stamp(at: datetime) -> str:
    """``2026-12-04T20:15:00Z`` (UTC, seconds): what the time tags hold."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 time (``Z`` or an offset; one without a zone is taken as UTC), or None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
