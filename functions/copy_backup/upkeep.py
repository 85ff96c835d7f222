"""What a copy the tool made should look like (name, tags, lock), and the update in its region that gets it there.

The copy call carries no tags and no lock (the SDK's ``CopyVolumeBackupDetails`` has neither), so both are set by an
update in the destination region after the copy; a copy whose update failed is caught up by the
reconcile. The tool's copies follow their source: when the source backup is renamed or re-tagged
after the copy (retag-group-backup names group backups once they exist), the next reconcile gives the
copy the name the template makes of the source's new name, and the source's new tags (defined tags only
of the ``COPY_DEFINED_TAG_NAMESPACES``).

Locks: ``COPY_LOCK_DAYS`` / ``COPY_LOCK_DAYS_BY_REGION`` set a retention lock (``isRetentionLockEnabled``
+ ``retentionPeriod`` in DAYS). A lock already as long or longer is left as it is (a lock can be
lengthened, never shortened). A group copy's member backups are locked before the group copy itself,
so a locked group copy means locked members; while OCI does not list the members yet (the group copy
is still being made) the lock waits for the next reconcile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from functions.copy_backup.settings import KIND_WORDS, TAG_ATTEMPTS, Run
from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.boot_group_models import VolumeGroupBackup
from shared.oci.errors import NoEtagMatch, OciError
from shared.oci.models import (
    BackupBase,
    BackupUpdate,
    DefinedTags,
    FreeformTags,
    LifecycleState,
)
from shared.rules.locks import LockMode, has_lock, lock_request
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


def copy_name(invocation: Run, kind: BackupKind, backup: BackupBase, region: str) -> str:
    """Deterministic for a (backup, region): a replayed request is the very same request."""
    taken = backup.time_created
    values = {
        "name": backup.display_name or KIND_WORDS[kind],
        "kind": KIND_WORDS[kind],
        "region": region,
        "source_region": invocation.region,
        "date": taken.strftime("%Y-%m-%d"),
        "time": taken.strftime("%H%M"),
    }
    return render(invocation.settings.template(region), values)


def wanted_tags(backup: BackupBase, source_region: str) -> dict[str, str]:
    return {MANAGED_BY_KEY: MANAGED_BY_VALUE, SOURCE_KEY: backup.id, SOURCE_REGION_KEY: source_region}


def made_by_tool(copy: BackupBase) -> bool:
    """A copy the tool made and tagged: its ``backup-source-id`` is the backup it was copied from."""
    return bool(copy.copied_from) and copy.freeform_tags.get(SOURCE_KEY) == copy.copied_from


@dataclass(frozen=True)
class Upkeep:
    """What one copy lacks; empty (falsy) when it is as wanted."""

    name: str | None = None
    freeform: FreeformTags | None = None
    defined: DefinedTags | None = None
    lock_days: int = 0
    summary: list[str] = field(default_factory=list)
    left_out: str = ""  # copied tags left out to stay within OCI's tag limit

    def __bool__(self) -> bool:
        return bool(self.summary)


def upkeep_for(invocation: Run, kind: BackupKind, backup: BackupBase, region: str, copy: BackupBase) -> Upkeep:
    """The name, tags and lock the tool's copy ``copy`` of ``backup`` should have, compared with what it has."""
    name = copy_name(invocation, kind, backup, region)
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
    lock_days = 0 if has_lock(copy, days) else days
    if lock_days:
        summary.append(f"lock {lock_days} days")
    return Upkeep(
        name=name if name != copy.display_name else None,
        freeform=freeform if freeform != copy.freeform_tags else None,
        defined=defined if defined != copy.defined_tags else None,
        lock_days=lock_days,
        summary=summary,
        left_out=fitted.note(),
    )


@dataclass(frozen=True)
class Updated:
    state: str  # the copy's lifecycle state
    request_id: str | None  # of the update (None: nothing to update)
    summary: list[str]  # what was done
    waiting: str | None = None  # what could not be done yet (the next reconcile does it)


def update_copy(invocation: Run, kind: BackupKind, region: str, copy_id: str, backup: BackupBase) -> Updated:
    """Bring the copy to its wanted name, tags and lock: GET + PUT if-match, re-read on 412. Raises OciError."""
    storage = invocation.storage_in(region)
    for _ in range(TAG_ATTEMPTS):
        current = storage.get_backup(kind, copy_id)
        copy = current.value
        upkeep = upkeep_for(invocation, kind, backup, region, copy)
        waiting = None
        lock_days = upkeep.lock_days
        if lock_days and isinstance(copy, VolumeGroupBackup):
            if copy.volume_backup_ids:
                lock_members(storage, copy, lock_days)
            elif copy.lifecycle_state != LifecycleState.AVAILABLE:
                waiting = "the lock waits until OCI lists the group copy's member backups"
                lock_days = 0
        summary = [s for s in upkeep.summary if waiting is None or not s.startswith("lock ")]
        if not summary:
            return Updated(str(copy.lifecycle_state), None, [], waiting)
        details = BackupUpdate(
            display_name=upkeep.name,
            freeform_tags=upkeep.freeform,
            defined_tags=upkeep.defined,
            **dict(lock_request(lock_days, LockMode.RETENTION_LOCK)),
        )
        try:
            updated = storage.update_backup(kind, copy_id, details, if_match=current.etag)
        except NoEtagMatch:
            continue  # someone wrote in between: read again, merge again
        if upkeep.left_out and upkeep.freeform is not None:
            invocation.report.note(f"copy {copy_id} in {region}: {upkeep.left_out}")
        return Updated(str(updated.value.lifecycle_state), updated.opc_request_id, summary, waiting)
    raise OciError(f"the copy kept changing ({TAG_ATTEMPTS} attempts)")


def lock_members(storage: BlockStorage, group_copy: VolumeGroupBackup, days: int) -> None:
    """Lock each member backup of a group copy that is not locked yet (before the group copy itself)."""
    for member_id in group_copy.volume_backup_ids:
        kind = BackupKind.of_ocid(member_id)
        if kind not in (BackupKind.VOLUME, BackupKind.BOOT_VOLUME):
            raise OciError(f"member {member_id} of {group_copy.id} is not a volume or boot volume backup")
        assert kind is not None
        for _ in range(TAG_ATTEMPTS):
            current = storage.get_backup(kind, member_id)
            if has_lock(current.value, days):
                break
            try:
                storage.update_backup(
                    kind, member_id, BackupUpdate(**dict(lock_request(days, LockMode.RETENTION_LOCK))), current.etag
                )
            except NoEtagMatch:
                continue
            break
        else:
            raise OciError(f"member {member_id} kept changing ({TAG_ATTEMPTS} attempts)")
