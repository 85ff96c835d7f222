"""DR posture from what a reconcile lists anyway: the source region's AVAILABLE backups and each
destination's copies (no call of its own).

In scope: every source (of the kinds the reconcile copies) with a backup the reconcile would copy
(AVAILABLE, selected by the copy selector, within ``COPY_LOOKBACK_DAYS``). It is DR-protected in a
destination when an AVAILABLE copy there of one of its backups (any of them, whoever made the copy)
was taken within ``DR_RPO_HOURS``. A copy is traced to its source through the backup it was copied
from (``sourceVolumeBackupId`` ...), else through its own ``volumeId`` / ``bootVolumeId``. The time
that counts is when the source backup was taken (a copy keeps it as its ``timeCreated``).

A source's ``name`` is the name of its newest backup in scope: the reconcile lists backups, not the
volumes themselves. A destination whose copies could not be listed is left out (the run reports it
as a failed item).

What is kept across the listings is one small line per source (its newest backup in scope and, per
destination, when the backup behind its newest copy there was taken), never the listed backups: a copy
lives in its source backup's compartment, so the backups a copy is traced through are those of the
compartment and kind being listed (``listed``), let go when the reconcile moves on (``next_listing``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from shared.oci.blockstorage import BackupKind
from shared.oci.models import BackupBase, LifecycleState
from shared.posture import Coverage, DrPosture, destination_posture


@dataclass(slots=True)
class _Source:
    kind: str = ""  # "" until a backup of it is in scope
    name: str = ""
    compartment_id: str = ""
    newest: datetime | None = None  # its newest backup in scope
    copied: dict[str, datetime] = field(default_factory=dict)  # destination -> when its newest copy's backup was taken


@dataclass
class DrTally:
    regions: list[str]
    failed: set[str] = field(default_factory=set)
    _sources: dict[str, _Source] = field(default_factory=dict)  # source id -> its line
    _taken: dict[str, tuple[str | None, datetime]] = field(default_factory=dict)  # backup id -> (source, taken)

    def listed(self, backup: BackupBase) -> None:
        """An AVAILABLE backup of the compartment and kind being listed: copies of it are traced through it."""
        self._taken[backup.id] = (backup.source_id, backup.time_created)

    def candidate(self, kind: BackupKind, backup: BackupBase) -> None:
        """A backup the reconcile would copy: its source is in scope."""
        if not backup.source_id:
            return
        line = self._sources.setdefault(backup.source_id, _Source())
        if line.newest is None or backup.time_created > line.newest:
            line.kind, line.name, line.compartment_id = kind.word, backup.display_name, backup.compartment_id
            line.newest = backup.time_created

    def copy(self, region: str, copy: BackupBase) -> None:
        """A copy listed in ``region`` (of a backup of the compartment and kind being listed)."""
        if copy.lifecycle_state != LifecycleState.AVAILABLE:
            return
        source, taken = self._taken.get(copy.copied_from or "", (copy.source_id, copy.time_created))
        if not source:
            return
        line = self._sources.setdefault(source, _Source())
        known = line.copied.get(region)
        if known is None or taken > known:
            line.copied[region] = taken

    def next_listing(self) -> None:
        self._taken.clear()

    def unknown(self, region: str) -> None:
        self.failed.add(region)

    def posture(self, rpo_hours: int, now: datetime) -> DrPosture:
        destinations = {
            region: destination_posture(self._coverages(region), rpo_hours, now)
            for region in self.regions
            if region not in self.failed
        }
        return DrPosture(rpo_hours=rpo_hours, destinations=destinations)

    def _coverages(self, region: str) -> Iterator[Coverage]:
        for source, line in self._sources.items():
            if line.newest is not None:  # in scope
                yield Coverage(source, line.name, line.kind, line.compartment_id, line.copied.get(region))
