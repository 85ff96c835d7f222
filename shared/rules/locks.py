"""Backup locks: the lock a backup is asked to carry, and whether one it has forbids deleting it. Pure, no I/O.

OCI's three lock fields (the SDK's ``oci.core.models.VolumeBackup`` and ``UpdateVolumeBackupDetails``):
a retention lock (``isRetentionLockEnabled`` + ``retentionPeriod``), prevent deletion
(``isPreventDeletionEnabled``, "during the configured retention period") and a legal hold
(``isIndefiniteRetentionEnabled``); a locked backup has ``timeRetentionExpiresAt``.

Assumptions (the SDK does not say; named here and in the emulator's docstring):

- a backup whose ``timeRetentionExpiresAt`` is in the future cannot be deleted, whichever flag set it;
- a legal hold has no end: locked until it is released;
- with a flag set but no ``timeRetentionExpiresAt`` in the answer, the period counts from
  ``timeCreated``; with no period either, the backup is treated as locked (never sent a delete);
- a lock can be lengthened by an update, never shortened. Whether a period set by an update counts
  from the update or from the backup's ``timeCreated`` is not stated (a copy's ``timeCreated`` may be
  its source's, days earlier): ``lock_to_send`` sends a period long enough under either reading.

"Locked for N days" is judged by when the lock ends (``timeRetentionExpiresAt``), never by the
period's length, and whatever kind of lock it is (retention lock, prevent deletion, legal hold): a
backup is locked for N days when its lock runs at least N days past ``timeRequestReceived`` (when it
was asked for; ``timeCreated`` when absent). A lock that ends before the backup's current lock is never
sent.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from shared.oci.models import LockRequest, RetentionDuration, RetentionTimeUnit
from shared.rules.times import stamp

if TYPE_CHECKING:
    from shared.oci.backup_record import BackupFacts

MAX_LOCK_DAYS = 36500
DAYS_PER_YEAR = 365  # a YEARS period is compared as 365 days a year (the SDK does not say how OCI counts)


class LockMode(StrEnum):
    RETENTION_LOCK = "retention-lock"
    PREVENT_DELETION = "prevent-deletion"


class Lock(NamedTuple):
    """Why a backup cannot be deleted now: ``until`` (None: no end known, e.g. a legal hold) and the kind."""

    until: datetime | None
    kind: str

    def describe(self) -> str:
        when = stamp(self.until) if self.until else "further notice"
        return f"locked until {when} ({self.kind})"


def lock_request(days: int, mode: LockMode) -> LockRequest:
    """The Create*/Update* lock fields for a lock of ``days`` days (0: none)."""
    if days <= 0:
        return LockRequest()
    period = RetentionDuration(retention_time_unit=RetentionTimeUnit.DAYS, retention_time_amount=days)
    if mode is LockMode.PREVENT_DELETION:
        return LockRequest(is_prevent_deletion_enabled=True, retention_period=period)
    return LockRequest(is_retention_lock_enabled=True, retention_period=period)


def period_days(period: RetentionDuration | None) -> int:
    if period is None:
        return 0
    per_unit = DAYS_PER_YEAR if period.retention_time_unit == RetentionTimeUnit.YEARS else 1
    return period.retention_time_amount * per_unit


def wanted_until(backup: BackupFacts, days: int) -> datetime:
    """When a lock of ``days`` days on ``backup`` ends at the earliest: ``days`` after it was asked for."""
    return (backup.time_request_received or backup.time_created) + timedelta(days=days)


def has_lock(backup: BackupFacts, days: int, now: datetime) -> bool:
    """The backup is locked for (at least) ``days`` days: a lock of any kind that ends no earlier than
    ``wanted_until`` (a legal hold has no end)."""
    if days <= 0 or backup.is_indefinite_retention_enabled:
        return True
    if not (backup.is_retention_lock_enabled or backup.is_prevent_deletion_enabled):
        return False  # a period alone locks nothing
    lock = lock_of(backup, now)
    return lock is not None and (lock.until is None or lock.until >= wanted_until(backup, days))


def lock_to_send(backup: BackupFacts, days: int, now: datetime, *, from_created: bool = False) -> int:
    """The retention period (days) an update must send so that ``backup`` is locked for ``days`` days;
    0 when it is already (``has_lock``).

    Without a running lock: ``days`` (counted from the update, it ends after ``wanted_until``). With one
    (there is something not to shorten), or ``from_created`` (an earlier update showed that OCI counted
    from ``timeCreated``): long enough, counted from ``timeCreated``, to end no earlier than
    ``wanted_until`` and the current lock, whichever of the two OCI counts from (it may end later than
    asked for, never earlier)."""
    if has_lock(backup, days, now):
        return 0
    current = lock_of(backup, now)
    if current is None and not from_created:
        return days
    target = wanted_until(backup, days)
    if current is not None and current.until is not None:
        target = max(target, current.until)
    return min(MAX_LOCK_DAYS, max(days, math.ceil((target - backup.time_created) / timedelta(days=1))))


def lock_of(backup: BackupFacts, now: datetime) -> Lock | None:
    """The lock that forbids deleting ``backup`` at ``now``, or None when it may be deleted."""
    if backup.is_indefinite_retention_enabled:
        return Lock(None, "legal hold")
    kind = (
        "retention lock"
        if backup.is_retention_lock_enabled
        else "prevent deletion"
        if backup.is_prevent_deletion_enabled
        else "retention period"
    )
    expires = backup.time_retention_expires_at
    if expires is not None:
        return Lock(expires, kind) if expires > now else None
    if not (backup.is_retention_lock_enabled or backup.is_prevent_deletion_enabled):
        return None
    if backup.retention_period is None:
        return Lock(None, kind)  # a flag without a period: no end known, never sent a delete
    until = backup.time_created + timedelta(days=period_days(backup.retention_period))
    return Lock(until, kind) if until > now else None
