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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from shared.oci.blockstorage import BackupKind
from shared.oci.models import BackupBase, LifecycleState
from shared.posture import Coverage, DrPosture, destination_posture


@dataclass
class DrTally:
    regions: list[str]
    backups: dict[str, BackupBase] = field(default_factory=dict)  # every AVAILABLE source-region backup, by id
    scope: dict[str, tuple[BackupKind, BackupBase]] = field(default_factory=dict)  # source id -> newest candidate
    copies: dict[str, list[BackupBase]] = field(default_factory=dict)  # destination -> copies listed there
    failed: set[str] = field(default_factory=set)

    def add_sources(self, kind: BackupKind, listed: Iterable[BackupBase], candidates: Iterable[BackupBase]) -> None:
        for backup in listed:
            self.backups[backup.id] = backup
        for backup in candidates:
            source = backup.source_id
            if not source:
                continue
            known = self.scope.get(source)
            if known is None or backup.time_created > known[1].time_created:
                self.scope[source] = (kind, backup)

    def add_copies(self, region: str, copies: Iterable[BackupBase]) -> None:
        self.copies.setdefault(region, []).extend(copies)

    def unknown(self, region: str) -> None:
        self.failed.add(region)

    def posture(self, rpo_hours: int, now: datetime) -> DrPosture:
        destinations = {}
        for region in self.regions:
            if region in self.failed:
                continue
            newest = self._newest_copies(self.copies.get(region, []))
            coverages = [
                Coverage(
                    resource_id=source,
                    name=backup.display_name,
                    kind=kind.word,
                    compartment_id=backup.compartment_id,
                    last_at=newest.get(source),
                )
                for source, (kind, backup) in self.scope.items()
            ]
            destinations[region] = destination_posture(coverages, rpo_hours, now)
        return DrPosture(rpo_hours=rpo_hours, destinations=destinations)

    def _newest_copies(self, copies: Iterable[BackupBase]) -> dict[str, datetime]:
        """Source id -> when the backup behind its newest AVAILABLE copy was taken."""
        newest: dict[str, datetime] = {}
        for copy in copies:
            if copy.lifecycle_state != LifecycleState.AVAILABLE:
                continue
            original = self.backups.get(copy.copied_from or "")
            source = original.source_id if original is not None else copy.source_id
            if not source or source not in self.scope:
                continue
            taken = original.time_created if original is not None else copy.time_created
            if source not in newest or taken > newest[source]:
                newest[source] = taken
        return newest
