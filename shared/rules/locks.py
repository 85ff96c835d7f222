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
- a lock can be lengthened by an update (the new period counts from the update), never shortened.
"""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from shared.oci.models import BackupBase, LockRequest, RetentionDuration, RetentionTimeUnit

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
        when = self.until.strftime("%Y-%m-%dT%H:%M:%SZ") if self.until else "further notice"
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


def has_lock(backup: BackupBase, days: int, mode: LockMode = LockMode.RETENTION_LOCK) -> bool:
    """The backup carries (at least) the lock asked for: the flag of ``mode`` and a period of ``days`` or more."""
    if days <= 0:
        return True
    flag = backup.is_prevent_deletion_enabled if mode is LockMode.PREVENT_DELETION else backup.is_retention_lock_enabled
    return bool(flag) and period_days(backup.retention_period) >= days


def lock_of(backup: BackupBase, now: datetime) -> Lock | None:
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
