"""What a copy the tool made should look like (name, tags, lock), and the update in its region that gets it there.

The copy call carries no tags and no lock (the SDK's ``CopyVolumeBackupDetails`` has neither), so both are set by an
update in the destination region after the copy; a copy whose update failed is caught up by the
reconcile. The tool's copies follow their source: when the source backup is renamed or re-tagged
after the copy (retag-group-backup names group backups once they exist), the next reconcile gives the
copy the name the template makes of the source's new name, and the source's new tags (defined tags only
of the ``COPY_DEFINED_TAG_NAMESPACES``).

Locks: ``COPY_LOCK_DAYS`` / ``COPY_LOCK_DAYS_BY_REGION`` set a retention lock (``isRetentionLockEnabled``
+ ``retentionPeriod`` in DAYS). A copy whose lock of any kind (retention lock, prevent deletion, legal
hold) already ends late enough is left as it is, and a lock that ends before the copy's current one is
never sent (``shared.rules.locks.lock_to_send``: judged by ``timeRetentionExpiresAt``, not the period).
A group copy's member backups are locked before the group copy itself, so a locked group copy means
locked members; while OCI does not list the members yet (the group copy is still being made) the lock
waits for the next reconcile.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from functions.copy_backup.settings import TAG_ATTEMPTS, Run
from functions.copy_backup.source import SourceBackup
from shared.oci.blockstorage import BackupKind, BlockStorage, Versioned
from shared.oci.boot_group_models import VolumeGroupBackup
from shared.oci.errors import KeptChanging, OciError
from shared.oci.models import (
    BackupBase,
    BackupUpdate,
    DefinedTags,
    FreeformTags,
    LifecycleState,
)
from shared.rules.locks import LockMode, lock_request, lock_to_send
from shared.rules.naming import render
from shared.rules.tags import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    SOURCE_KEY,
    SOURCE_REGION_KEY,
    copyable_defined,
    fit,
    merge_defined,
    merge_freeform,
)


def copy_name(invocation: Run, kind: BackupKind, backup: SourceBackup, region: str) -> str:
    """Deterministic for a (backup, region): a replayed request is the very same request."""
    taken = backup.time_created
    values = {
        "name": backup.display_name or kind.word,
        "kind": kind.word,
        "region": region,
        "source_region": invocation.region,
        "date": taken.strftime("%Y-%m-%d"),
        "time": taken.strftime("%H%M"),
    }
    return render(invocation.settings.template(region), values)


def wanted_tags(backup: SourceBackup, source_region: str) -> dict[str, str]:
    return {MANAGED_BY_KEY: MANAGED_BY_VALUE, SOURCE_KEY: backup.id, SOURCE_REGION_KEY: source_region}


def made_by_tool(copy: BackupBase) -> bool:
    """A copy the tool made and tagged: its ``backup-source-id`` is the backup it was copied from."""
    return bool(copy.copied_from) and copy.freeform_tags.get(SOURCE_KEY) == copy.copied_from


class Upkeep(NamedTuple):
    """What one copy lacks; empty (falsy) when it is as wanted."""

    name: str | None = None
    freeform: FreeformTags | None = None
    defined: DefinedTags | None = None
    lock_days: int = 0
    summary: tuple[str, ...] = ()
    left_out: str = ""  # copied tags left out to stay within OCI's tag limit

    def __bool__(self) -> bool:
        return bool(self.summary)


def upkeep_for(invocation: Run, backup: SourceBackup, region: str, copy: BackupBase, name: str) -> Upkeep:
    """The name (``name``: ``copy_name``), tags and lock the tool's copy ``copy`` of ``backup`` should have,
    compared with what it has."""
    # only the namespaces the tool may write (COPY_DEFINED_TAG_NAMESPACES), never Oracle-Tags
    source_defined = copyable_defined(backup.defined_tags, invocation.settings.copy_defined_tag_namespaces)
    # the tool's markers always; copied tags (the copy's own, then its source's) as far as OCI's 64 allow
    fitted = fit(
        merge_freeform(copy.freeform_tags, backup.freeform_tags),
        merge_defined(copy.defined_tags, source_defined),
        wanted_tags(backup, invocation.region),
    )
    freeform, defined = fitted.freeform, fitted.defined
    days = invocation.settings.lock_days_for(region)
    summary = []
    if name != copy.display_name:
        summary.append(f"rename to {name!r}")
    if freeform != copy.freeform_tags:
        changed = sorted(k for k, v in freeform.items() if copy.freeform_tags.get(k) != v)
        summary.append(f"set tags {', '.join(changed)}")
    if defined != copy.defined_tags:
        summary.append("set defined tags")
    lock_days = lock_to_send(copy, days, invocation.now())
    if lock_days:
        summary.append(f"lock {days} days (a {lock_days}-day retention period)")
    return Upkeep(
        name=name if name != copy.display_name else None,
        freeform=freeform if freeform != copy.freeform_tags else None,
        defined=defined if defined != copy.defined_tags else None,
        lock_days=lock_days,
        summary=tuple(summary),
        left_out=fitted.note(),
    )


class Updated(NamedTuple):
    state: str  # the copy's lifecycle state
    request_id: str | None  # of the update (None: nothing to update)
    summary: tuple[str, ...]  # what was done
    waiting: str | None = None  # what could not be done yet (the next reconcile does it)
    copy: BackupBase | None = None  # the copy as the update left it (or as read)


def update_copy(
    invocation: Run,
    kind: BackupKind,
    region: str,
    backup: SourceBackup,
    name: str,
    copy_id: str,
    seen: tuple[BackupBase, Upkeep] | None = None,
) -> Updated:
    """Bring the copy to its wanted name, tags and lock (``BlockStorage.update_if_match``). Raises OciError.

    ``seen``: the copy as listed and its upkeep, reused while the copy read is the same."""
    storage = invocation.storage_in(region)
    last: list[tuple[Upkeep, str | None, tuple[str, ...]]] = []

    def change(copy: BackupBase) -> BackupUpdate | None:
        listed = seen is not None and copy == seen[0]
        upkeep = seen[1] if seen is not None and listed else upkeep_for(invocation, backup, region, copy, name)
        waiting = None
        lock_days = upkeep.lock_days
        if lock_days and isinstance(copy, VolumeGroupBackup):
            if copy.volume_backup_ids:
                lock_members(storage, copy, invocation.settings.lock_days_for(region), invocation.now())
            elif copy.lifecycle_state != LifecycleState.AVAILABLE:
                waiting = "the lock waits until OCI lists the group copy's member backups"
                lock_days = 0
        summary = tuple(s for s in upkeep.summary if waiting is None or not s.startswith("lock "))
        last[:] = [(upkeep, waiting, summary)]
        if not summary:
            return None
        return BackupUpdate(
            display_name=upkeep.name,
            freeform_tags=upkeep.freeform,
            defined_tags=upkeep.defined,
            **dict(lock_request(lock_days, LockMode.RETENTION_LOCK)),
        )

    done = storage.update_if_match(kind, copy_id, change, attempts=TAG_ATTEMPTS)
    (upkeep, waiting, summary), copy = last[0], done.backup.value
    if not done.updated:
        return Updated(str(copy.lifecycle_state), None, (), waiting, copy)
    if upkeep.left_out and upkeep.freeform is not None:
        invocation.report.note(f"copy {copy_id} in {region}: {upkeep.left_out}")
    if upkeep.lock_days and waiting is None:
        days = invocation.settings.lock_days_for(region)
        copy = lengthen_if_short(storage, kind, copy_id, done.backup, days, invocation.now()).value
    return Updated(str(copy.lifecycle_state), done.backup.opc_request_id, summary, waiting, copy)


def lock_members(storage: BlockStorage, group_copy: VolumeGroupBackup, days: int, now: datetime) -> None:
    """Lock each member backup of a group copy that is not locked yet (before the group copy itself)."""

    def lock(member: BackupBase) -> BackupUpdate | None:
        period = lock_to_send(member, days, now)
        return BackupUpdate(**dict(lock_request(period, LockMode.RETENTION_LOCK))) if period else None

    for member_id in group_copy.volume_backup_ids:
        kind = BackupKind.of_ocid(member_id)
        if kind is not BackupKind.VOLUME and kind is not BackupKind.BOOT_VOLUME:
            raise OciError(f"member {member_id} of {group_copy.id} is not a volume or boot volume backup")
        try:
            done = storage.update_if_match(kind, member_id, lock, attempts=TAG_ATTEMPTS)
            if done.updated:
                lengthen_if_short(storage, kind, member_id, done.backup, days, now)
        except KeptChanging as exc:
            raise OciError(f"member {member_id} of {group_copy.id}: {exc}") from exc


def lengthen_if_short(
    storage: BlockStorage, kind: BackupKind, backup_id: str, updated: Versioned[BackupBase], days: int, now: datetime
) -> Versioned[BackupBase]:
    """After an update that sent a lock: when OCI counted its period from ``timeCreated`` (a copy's may be
    its source's, days earlier) and the lock ends too early, lengthen it once, counted from there."""

    def longer(backup: BackupBase) -> BackupUpdate | None:
        period = lock_to_send(backup, days, now, from_created=True)
        return BackupUpdate(**dict(lock_request(period, LockMode.RETENTION_LOCK))) if period else None

    return storage.update_if_match(kind, backup_id, longer, attempts=TAG_ATTEMPTS, current=updated).backup
