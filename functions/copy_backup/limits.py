"""OCI's copy limits: how many copies are in flight from this region, and room for one more."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from functions.copy_backup.settings import COPYING_STATES, OCI_MAX_IN_FLIGHT, Run
from functions.copy_backup.source import SourceBackup
from shared.oci.blockstorage import BackupKind
from shared.oci.errors import OciError
from shared.oci.models import IN_PROGRESS_STATES, BackupBase
from shared.rules.tags import SOURCE_REGION_KEY


@dataclass
class Limits:
    """Room for copies from this region: the volume backup copy pool and the boot volumes being copied."""

    source_region: str
    budget: int
    busy_boot_volumes: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: BackupKind, copies: Iterable[BackupBase], boot_volume: str | None = None) -> None:
        """Take the slots of copies already in flight (not yet AVAILABLE) from this region; boot copies
        count for ``boot_volume`` when given (they were picked as copies of its backups)."""
        with self.lock:
            for copy in copies:
                if not in_flight_from(copy, self.source_region):
                    continue
                if kind is BackupKind.BOOT_VOLUME:
                    self.busy_boot_volumes.add(boot_volume or copy.source_id or copy.copied_from or copy.id)
                else:
                    self.budget -= 1

    def claim(self, kind: BackupKind, backup: SourceBackup) -> str | None:
        """Take a slot for a copy; the reason it has to wait otherwise."""
        with self.lock:
            if kind is BackupKind.BOOT_VOLUME:
                boot_volume = backup.source_id or backup.id
                if boot_volume in self.busy_boot_volumes:
                    return (
                        "a copy of a backup of this boot volume is already in flight (OCI copies one at a "
                        "time); the next reconcile copies it"
                    )
                self.busy_boot_volumes.add(boot_volume)
                return None
            if self.budget <= 0:
                return (
                    f"copy limit reached: volume backup copies in flight from {self.source_region} are at the "
                    f"limit (OCI allows {OCI_MAX_IN_FLIGHT}); the next reconcile copies it"
                )
            self.budget -= 1
            return None

    def release(self, kind: BackupKind, backup: SourceBackup) -> None:
        with self.lock:
            if kind is BackupKind.BOOT_VOLUME:
                self.busy_boot_volumes.discard(backup.source_id or backup.id)
            else:
                self.budget += 1

    def exhaust(self) -> None:
        """OCI said the pool is full (copies we cannot see, e.g. in other compartments)."""
        with self.lock:
            self.budget = 0


def in_flight_from(copy: BackupBase, source_region: str) -> bool:
    if not copy.copied_from or copy.lifecycle_state not in IN_PROGRESS_STATES:  # a group copy passes COMMITTED
        return False
    if copy.group_backup_id:
        return False  # assumption: a group copy takes one slot of the pool, its member copies none
    # Untagged copies are counted too: better one copy deferred than a refused one.
    return copy.freeform_tags.get(SOURCE_REGION_KEY, source_region) == source_region


def limits_for(invocation: Run, kind: BackupKind, backup: SourceBackup, regions: list[str]) -> Limits:
    """Copies of ``kind`` in flight from this region, in every destination we know of.

    A boot volume's copies in flight are recognised by ``bootVolumeId`` and, should a copy not keep
    it, by ``sourceBootVolumeBackupId`` naming one of the boot volume's backups in this region."""
    limits = Limits(invocation.region, invocation.settings.max_in_flight)
    known = dict.fromkeys([*invocation.settings.destination_regions, *regions])
    boot_volume = backup.source_id if kind is BackupKind.BOOT_VOLUME else None
    siblings: set[str] = set()
    if boot_volume:
        siblings = {b.id for b in invocation.storage.list_backups(kind, backup.compartment_id, source_id=boot_volume)}
    for region in known:
        if region == invocation.region:
            continue
        storage = invocation.storage_in(region)
        try:
            for state in COPYING_STATES:
                copies = list(storage.list_backups(kind, backup.compartment_id, lifecycle_state=state))
                if boot_volume:
                    copies = [c for c in copies if c.source_id == boot_volume or c.copied_from in siblings]
                limits.count(kind, copies, boot_volume)
                if kind is BackupKind.VOLUME_GROUP:
                    break  # ListVolumeGroupBackups has no lifecycleState filter: one listing has them all
            compartment = backup.compartment_id
            if kind is BackupKind.VOLUME:  # volume and group copies share OCI's pool of 10
                limits.count(kind, storage.list_backups(BackupKind.VOLUME_GROUP, compartment))
            elif kind is BackupKind.VOLUME_GROUP:
                for state in COPYING_STATES:
                    limits.count(kind, storage.list_backups(BackupKind.VOLUME, compartment, lifecycle_state=state))
        except OciError as exc:  # OCI's own limit check still answers for that region
            invocation.report.note(f"could not count the copies in flight in {region}: {exc}")
    return limits
