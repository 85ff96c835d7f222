"""Retention's deletes, shared by create-backup and copy-backup: never a locked backup, never a repeated failure.

- a backup retention lets go but whose lock has not expired is never sent a delete: ``skipped``,
  "locked until ...";
- a delete OCI refuses because of a lock the tool did not know about is ``skipped`` (locked), not
  ``failed`` (it would fail again on every run). The SDK does not name the error, so any 4xx answer to
  a delete is followed by a re-read, and a backup that then shows a lock of any kind is ``skipped``
  whatever the code; a 409 ``Conflict`` counts as a lock even when none shows (e.g. a group backup whose
  member is locked);
- the run's result counts how many of the kept backups carry a lock (``lockedKept``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shared.app import Invocation
from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.errors import Conflict, OciError, OciServiceError, TooManyRequests
from shared.results import ALREADY_DELETED, Item, ItemStatus, status_for
from shared.rules.locks import Lock, lock_of
from shared.rules.retention import Expired, RetentionPolicy, locked_kept, plan_pruning

if TYPE_CHECKING:
    from shared.oci.backup_record import BackupFacts


def prune_backups(
    invocation: Invocation[Any, Any],
    storage: BlockStorage,
    kind: BackupKind,
    backups: Sequence[BackupFacts],
    policy: RetentionPolicy,
    action: str,
) -> None:
    """Apply ``policy`` to the backups of ONE source in ``storage``'s region; report each decision."""
    now = invocation.now()
    expired = plan_pruning(backups, policy, now)
    kept_locked = locked_kept(backups, expired, now)
    for plan in expired:
        kept_locked += delete_unless_locked(invocation, storage, kind, plan, action)
    invocation.report.count_locked(kept_locked)


def delete_unless_locked(
    invocation: Invocation[Any, Any], storage: BlockStorage, kind: BackupKind, plan: Expired, action: str
) -> int:
    """Delete one expired backup unless it is locked; 1 when it stays because of a lock, else 0."""
    backup = plan.backup
    base = {"action": action, "resource_id": backup.id, "name": backup.display_name, "region": storage.region}
    if plan.lock is not None:
        reason = f"{plan.reason}, but {plan.lock.describe()}; kept"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason=reason, **base))
        return 1
    if invocation.dry_run:
        invocation.report.add(Item(status=ItemStatus.PLANNED, reason=f"would delete: {plan.reason}", **base))
        return 0
    try:
        request_id = storage.delete_backup_once(kind, backup.id)  # None: someone else deleted it meanwhile
    except OciServiceError as exc:
        refused = 400 <= exc.status < 500 and not isinstance(exc, TooManyRequests)
        lock = _lock_now(storage, kind, backup.id, invocation) if refused else None
        if isinstance(exc, Conflict) or lock is not None:
            why = lock.describe() if lock is not None else "locked"
            reason = f"{plan.reason}, but OCI refused the delete ({exc.status} {exc.code}: {exc.message}): {why}; kept"
            invocation.report.add(
                Item(status=ItemStatus.SKIPPED, reason=reason, opc_request_id=exc.opc_request_id, **base)
            )
            return 1
        invocation.report.add(Item(status=status_for(exc), reason=str(exc), **base))
        return 0
    except OciError as exc:
        invocation.report.add(Item(status=status_for(exc), reason=str(exc), **base))
        return 0
    if request_id is None:
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason=ALREADY_DELETED, **base))
        return 0
    invocation.report.add(Item(status=ItemStatus.DELETED, reason=plan.reason, opc_request_id=request_id, **base))
    return 0


def _lock_now(storage: BlockStorage, kind: BackupKind, backup_id: str, invocation: Invocation[Any, Any]) -> Lock | None:
    """The backup's lock as OCI shows it after a refused delete (None when none shows, or it cannot be read)."""
    try:
        return lock_of(storage.get_backup(kind, backup_id).value, invocation.now())
    except OciError:
        return None
