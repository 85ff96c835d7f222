"""Backup locks: retention lock, prevent deletion, legal hold (fields of the SDK's ``oci.core.models``).

The fields (``isRetentionLockEnabled``, ``retentionPeriod``, ``isPreventDeletionEnabled``,
``isIndefiniteRetentionEnabled``) come on Create*/Update* bodies and on the control API's seed bodies;
the three backup resources render them with ``timeRetentionExpiresAt``.

Emulator choices where the SDK is silent (assumptions):

* ``timeRetentionExpiresAt`` = the time the period was set + ``retentionPeriod`` (DAYS, or YEARS of 365
  days), on the emulator clock: ``timeCreated`` for a Create* (or a seeded backup), the update's time for
  an Update* (setting ``lockPeriodFrom``: ``update``, the default, or ``created``: the backup's
  ``timeCreated``, which for a copy is its source's; OCI does not say which). A body with a period
  renders it; none: no ``timeRetentionExpiresAt``.
* A flag (retention lock or prevent deletion) set to true without a ``retentionPeriod`` (given now or
  earlier) -> 400 ``InvalidParameter`` naming ``retentionPeriod`` ("used in conjunction with").
* Locked = ``isIndefiniteRetentionEnabled`` true, or ``timeRetentionExpiresAt`` in the future with the
  retention lock or prevent deletion set. A delete of a locked backup (or of a group backup that is
  locked or has a locked member) -> 409 ``Conflict`` "... is locked ...": the error OCI uses is not stated.
* While a retention lock runs it cannot be shortened (a new period ending earlier than the current
  ``timeRetentionExpiresAt``) nor removed (``isRetentionLockEnabled`` false) -> 409 ``Conflict``; it can
  be lengthened. Prevent deletion alone may be turned off; a legal hold may be released.
* The member backups of a group backup created with a lock carry the same lock.
* Copies (Copy* calls) carry no lock until an Update* in the destination region sets one.
"""

from __future__ import annotations

from typing import Any

from ..core.clock import rfc3339
from ..core.exceptions import Conflict, InvalidParameter

DAY = 86400.0
DAYS_PER_YEAR = 365
RETENTION_LOCK = "isRetentionLockEnabled"
PREVENT_DELETION = "isPreventDeletionEnabled"
LEGAL_HOLD = "isIndefiniteRetentionEnabled"
PERIOD = "retentionPeriod"


def period_seconds(period: dict[str, Any]) -> float:
    days = period["retentionTimeAmount"] * (DAYS_PER_YEAR if period["retentionTimeUnit"] == "YEARS" else 1)
    return float(days) * DAY


def _check_flags(fields: dict[str, Any]) -> None:
    if (fields.get(RETENTION_LOCK) or fields.get(PREVENT_DELETION)) and not fields.get(PERIOD):
        raise InvalidParameter(
            f"Invalid value for '{PERIOD}': a retention lock or prevent deletion needs a retention period."
        )


def new_lock(given: dict[str, Any], start: float) -> tuple[dict[str, Any], float | None]:
    """The lock fields of a new backup and its ``timeRetentionExpiresAt`` (the period counts from ``start``)."""
    _check_flags(given)
    expires = start + period_seconds(given[PERIOD]) if given.get(PERIOD) else None
    return dict(given), expires


def lock_reason(fields: dict[str, Any], expires: float | None, now: float) -> str | None:
    """Why a backup cannot be deleted now (None: it can)."""
    if fields.get(LEGAL_HOLD):
        return "under a legal hold (isIndefiniteRetentionEnabled)"
    running = expires is not None and expires > now
    if running and fields.get(RETENTION_LOCK):
        return f"locked by a retention lock until {rfc3339(expires or 0.0)}"
    if running and fields.get(PREVENT_DELETION):
        return f"protected from deletion until {rfc3339(expires or 0.0)}"
    return None


def check_deletable(resource_id: str, fields: dict[str, Any], expires: float | None, now: float) -> None:
    reason = lock_reason(fields, expires, now)
    if reason is not None:
        raise Conflict(f"{resource_id} is {reason}; it cannot be deleted.")


def updated_lock(
    resource_id: str, fields: dict[str, Any], expires: float | None, given: dict[str, Any], now: float, start: float
) -> tuple[dict[str, Any], float | None]:
    """The lock after an Update* with ``given`` lock fields, its period counted from ``start``; refuses to
    shorten or remove a running retention lock."""
    if not given:
        return fields, expires
    merged = {**fields, **given}
    _check_flags(merged)
    running_lock = bool(fields.get(RETENTION_LOCK)) and expires is not None and expires > now
    if running_lock and given.get(RETENTION_LOCK) is False:
        raise Conflict(f"{resource_id} has a retention lock until {rfc3339(expires or 0.0)}; it cannot be removed.")
    new_expires = expires
    if PERIOD in given:
        new_expires = start + period_seconds(given[PERIOD])
        if running_lock and new_expires < (expires or 0.0):
            raise Conflict(
                f"{resource_id} has a retention lock until {rfc3339(expires or 0.0)}; "
                "its retention period can be lengthened, not shortened."
            )
    return merged, new_expires


def render(fields: dict[str, Any], expires: float | None) -> dict[str, Any]:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in fields.items() if v is not None}
    if expires is not None:
        data["timeRetentionExpiresAt"] = rfc3339(expires)
    return data
