"""The schedule run: what each destination lacks (copies, tags), copied newest first, then pruned.

On the way it measures the DR posture (``posture.DrTally``) from the listings it makes anyway.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from functions.copy_backup.copying import Destination, copy_to, destination
from functions.copy_backup.limits import Limits
from functions.copy_backup.posture import DrTally
from functions.copy_backup.pruning import prune
from functions.copy_backup.settings import COPY_KINDS, Run
from shared.oci.blockstorage import BackupKind
from shared.oci.errors import OciError
from shared.oci.models import BackupBase, LifecycleState
from shared.results import Item, ItemStatus
from shared.rules.retention import kept
from shared.sweep import deferred_item, run_bounded, scope


class Task(NamedTuple):
    """A backup to copy to a region, or whose copy there to bring up to date, with what its listing showed."""

    kind: BackupKind
    backup: BackupBase
    seen: Destination


class Listings:
    """Each destination's copies, listed once per compartment and kind, and as the run's own calls left them."""

    def __init__(self) -> None:
        self._copies: dict[tuple[str, BackupKind, str], dict[str, BackupBase]] = {}
        self._lock = threading.Lock()

    def listed(self, region: str, kind: BackupKind, compartment: str, copies: Iterable[BackupBase]) -> None:
        with self._lock:
            self._copies[(region, kind, compartment)] = {c.id: c for c in copies}

    def learn(self, region: str, kind: BackupKind, copy: BackupBase) -> None:
        """A copy the run made or updated: its latest state replaces what the listing showed."""
        with self._lock:
            known = self._copies.get((region, kind, copy.compartment_id))
            if known is not None:
                known[copy.id] = copy

    def copies(self, region: str, kind: BackupKind, compartment: str) -> list[BackupBase] | None:
        """None: that destination could not be listed."""
        with self._lock:
            known = self._copies.get((region, kind, compartment))
            return None if known is None else list(known.values())


def reconcile(invocation: Run, *, posture_only: bool = False) -> None:
    """Copy what the destinations lack, then prune; ``posture_only``: measure the DR posture, nothing else."""
    settings = invocation.settings
    compartments = scope(invocation)
    regions = [r for r in settings.destination_regions if r != invocation.region]
    limits = Limits(invocation.region, settings.max_in_flight)
    tally = DrTally(regions)
    listings = Listings()
    tasks = plan(invocation, compartments, regions, limits, listings, tally)
    invocation.report.add_section(tally.posture(settings.dr_rpo_hours, invocation.now()))
    if posture_only:
        return
    tasks.sort(key=lambda t: t.backup.time_created, reverse=True)  # newest first get the copy slots

    def copy(task: Task) -> None:
        done = copy_to(invocation, task.kind, task.backup, task.seen.region, limits, task.seen)
        if done is not None:
            listings.learn(task.seen.region, task.kind, done)

    def defer(task: Task) -> None:
        reason = "not started before the deadline; the next reconcile copies it"
        invocation.report.add(deferred_item("copy", task.backup.id, task.backup.display_name, reason, task.seen.region))

    run_bounded(tasks, copy, concurrency=settings.max_concurrency, deadline=invocation.deadline, on_deferred=defer)
    for region in regions:
        for kind in COPY_KINDS:
            for compartment in compartments:
                if invocation.deadline.expired():
                    invocation.report.note(f"pruning of copies in {region} left for the next run (deadline)")
                    break
                copies = listings.copies(region, kind, compartment)
                if copies is not None:  # not listed: reported failed already
                    prune(invocation, region, kind, copies)


def plan(
    invocation: Run,
    compartments: list[str],
    regions: list[str],
    limits: Limits,
    listings: Listings,
    tally: DrTally | None = None,
) -> list[Task]:
    """What each destination lacks; counts the copies in flight into ``limits`` (and the posture into
    ``tally``) on the way, and keeps each destination's listing in ``listings``."""
    settings = invocation.settings
    now = invocation.now()
    cutoff = now - timedelta(days=settings.lookback_days)
    tasks: list[Task] = []
    too_old = 0
    failed_regions: set[str] = set()
    for compartment in compartments:
        for kind in COPY_KINDS:
            listed = [  # group backups cannot be listed by state: filtered here
                b
                for b in invocation.storage.list_backups(kind, compartment, lifecycle_state="AVAILABLE")
                if b.lifecycle_state == LifecycleState.AVAILABLE
            ]
            sources = [
                b
                for b in listed
                if copy_candidate(b, cutoff)
                and settings.wants(b)
                and not settings.is_test_restore(b.compartment_id, b.freeform_tags)
            ]
            if tally is not None:
                tally.add_sources(kind, listed, sources)
            for region in regions:
                if region in failed_regions:
                    continue
                try:
                    copies = [c for c in invocation.storage_in(region).list_backups(kind, compartment) if c.copied_from]
                except OciError as exc:
                    failed_regions.add(region)
                    if tally is not None:
                        tally.unknown(region)
                    invocation.report.add(
                        Item(
                            status=ItemStatus.FAILED,
                            action="reconcile",
                            resource_id=compartment,
                            region=region,
                            reason=f"could not list the copies there: {exc}",
                        )
                    )
                    continue
                listings.listed(region, kind, compartment, copies)
                limits.count(kind, copies)
                if tally is not None:
                    tally.add_copies(region, copies)
                keep = kept(sources, settings.retention(region), now)
                copies_of: dict[str, list[BackupBase]] = defaultdict(list)
                for copy in copies:
                    copies_of[copy.copied_from or ""].append(copy)
                for backup in sources:
                    seen = destination(invocation, kind, backup, region, copies_of.get(backup.id, []))
                    if seen.upkeep or (not seen.live and backup.id in keep):
                        tasks.append(Task(kind, backup, seen))
                    elif not seen.live:
                        too_old += 1
    if too_old:
        invocation.report.note(f"{too_old} backup copies not made: the destination's retention would delete them")
    return tasks


def copy_candidate(backup: BackupBase, cutoff: datetime) -> bool:
    if backup.copied_from or backup.time_created < cutoff:
        return False
    return not backup.group_backup_id  # members of a volume group backup
