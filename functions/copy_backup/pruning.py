"""Each destination's retention: only the copies the tool made from this region, per source (locked ones stay).

Planned while the reconcile lists (``Deletions.plan``, one compartment and kind of one destination at a
time, from a small record of each of the tool's copies there: ``Deletions.record``), applied once its
copies are made (``Deletions.apply``): what is kept in between is the copies to delete, at most ``size``
of them (the rest are counted and found again by the next reconcile).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import NamedTuple

from functions.copy_backup.settings import Run
from functions.copy_backup.upkeep import made_by_tool
from shared.oci.backup_record import BackupFacts, BackupRecord
from shared.oci.blockstorage import BackupKind
from shared.oci.models import BackupBase
from shared.pruning import delete_unless_locked
from shared.rules.locks import lock_of
from shared.rules.retention import Expired, locked_kept, plan_pruning
from shared.rules.tags import MANAGED_BY_KEY, SOURCE_REGION_KEY

ACTION = "prune-copy"


class Deletion(NamedTuple):
    region: str
    kind: BackupKind
    plan: Expired


class Deletions:
    """The copies each destination's retention lets go, from the listings; deleted after the copying."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.left = 0  # more copies retention lets go than this run keeps
        self.pruned = False  # a retention applied to some copies (the run then says ``lockedKept``)
        self.locked_kept = 0
        self._held: list[Deletion] = []
        self._active: dict[str, bool] = {}  # destination -> its retention deletes anything

    def record(self, invocation: Run, region: str, copy: BackupBase) -> tuple[str, BackupFacts] | None:
        """A copy in ``region`` as its retention reads it, with the source it counts for (its volume); None
        for a copy the tool did not make from this region (never pruned), or when no retention applies."""
        if region not in self._active:
            self._active[region] = invocation.settings.retention(region).active
        if not self._active[region] or not made_by_tool(copy):
            return None
        if copy.freeform_tags.get(SOURCE_REGION_KEY) != invocation.region:
            return None
        return copy.source_id or copy.copied_from or copy.id, BackupRecord.of(copy, (MANAGED_BY_KEY,))

    def plan(self, invocation: Run, region: str, kind: BackupKind, copies: Iterable[tuple[str, BackupFacts]]) -> None:
        """Retention of one destination (``copies``: its ``record`` of the tool's copies of one kind in one
        compartment), per source volume."""
        policy = invocation.settings.retention(region)
        if not policy.active:
            return
        by_volume: dict[str, list[BackupFacts]] = defaultdict(list)
        for volume, copy in copies:
            by_volume[volume].append(copy)
        now = invocation.now()
        for same_source in by_volume.values():
            self.pruned = True
            expired = plan_pruning(same_source, policy, now)
            self.locked_kept += locked_kept(same_source, expired, now)
            room = max(0, self.size - len(self._held))
            self._held.extend(Deletion(region, kind, plan) for plan in expired[:room])
            self.left += max(0, len(expired) - room)

    def apply(self, invocation: Run, learned: Callable[[str], BackupBase | None]) -> None:
        """Delete what was planned, unless locked; ``learned``: a copy as the run's own update left it (a lock
        it set since the listing keeps the copy)."""
        locked = self.locked_kept
        now = invocation.now()
        for n, (region, kind, plan) in enumerate(self._held):
            if invocation.deadline.expired():
                left = len(self._held) - n + self.left
                invocation.report.note(f"pruning of {left} copies left for the next run (deadline)")
                break
            updated = learned(plan.backup.id)
            if updated is not None:
                plan = Expired(updated, plan.reason, lock_of(updated, now))
            locked += delete_unless_locked(invocation, invocation.storage_in(region), kind, plan, ACTION)
        else:
            if self.left:
                invocation.report.note(f"pruning of {self.left} more copies left for the next run")
        if self.pruned:
            invocation.report.count_locked(locked)
