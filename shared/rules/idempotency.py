"""Idempotency keys from the trigger, and the ``opc-retry-token`` derived from them.

The key names one logical run: an event (its eventID and resource), a schedule slot, or an HTTP
request (its ``Idempotency-Key`` header, else its body). The retry token adds the operation, the
target and the region, so a duplicated delivery replays the very same POST and OCI deduplicates it
(for 24 h); beyond that, marker tags plus a lookup before creating cover the rest.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

MAX_TOKEN_LENGTH = 64


def _digest(*parts: Any) -> str:
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key(function: str, *parts: Any) -> str:
    """``function#sha256(canonical JSON of parts)``."""
    return f"{function}#{_digest(*parts)}"


def retry_token(key: str, operation: str, target: str, region: str) -> str:
    """At most 64 characters of ``[0-9a-f]``: the same inputs always give the same token."""
    return _digest(key, operation, target, region)[:MAX_TOKEN_LENGTH]


TOKEN_RENEWALS = 2  # new tokens tried after OCI says what an earlier one made was deleted


def renewed_token(key: str, operation: str, target: str, region: str, renewal: int) -> str:
    """The retry token after ``renewal`` renewals (0: ``retry_token`` itself).

    OCI invalidates a token whose resource was deleted and purged (409 ``InvalidatedRetryToken``, "use a
    new token"), and before the purge replays the deleted resource: either way the work is done again
    with the next token, itself deterministic, so a duplicate delivery still replays the same POST."""
    return retry_token(key if renewal == 0 else f"{key}#renewed-{renewal}", operation, target, region)


def schedule_slot(now: datetime, slot_minutes: int) -> str:
    """The start of the schedule slot ``now`` falls in, e.g. ``2026-11-22T09:00Z``."""
    minutes = (now.hour * 60 + now.minute) // slot_minutes * slot_minutes
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if slot_minutes >= 24 * 60:
        days = now.toordinal() // (slot_minutes // (24 * 60)) * (slot_minutes // (24 * 60))
        return datetime.fromordinal(days).strftime("%Y-%m-%dT00:00Z")
    start = day_start.replace(hour=minutes // 60, minute=minutes % 60)
    return start.strftime("%Y-%m-%dT%H:%MZ")
