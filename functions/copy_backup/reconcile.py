"""The schedule run: what each destination lacks (copies, tags), copied newest first, then pruned.

Listing goes one compartment and kind at a time, page by page: its AVAILABLE backups (what the run may
copy is kept as a ``Candidate``), then each destination's copies of them, one at a time: counted into the
copy limits and the DR posture (``posture.DrTally``), taken into what their backup has there
(``copying.Seen``: how many copies, and of the tool's copy its id and what it lacks, in words) and,
for the tool's copies, kept as a small record for the destination's retention; no listed copy is kept.
What the run keeps across the listings is small: per backup of the compartment and kind being listed a
``Candidate``, a ``Seen`` and a retention record per destination, a line per source for the DR posture,
and the work it can start in one run (``Backlog``): the newest ``COPY_MAX_IN_FLIGHT`` copies of volume and
volume group backups (OCI's pool of copy slots from this region), and the newest ``HELD`` boot volume
backup copies, copies to bring up to date and copies to delete. The rest is counted (``deferred`` in the
counts) and said in a note.

No hand-over: copies go newest first into copy slots that free up only as OCI finishes earlier copies
(minutes to hours later), so a detached run seconds later would find the slots still taken; the next
(hourly) reconcile plans afresh from its own listings, newest first.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import NamedTuple

from functions.copy_backup.backlog import Newest
from functions.copy_backup.copying import Destination, Seen, copy_to
from functions.copy_backup.limits import Limits
from functions.copy_backup.posture import DrTally
from functions.copy_backup.pruning import Deletions
from functions.copy_backup.settings import COPY_KINDS, Run
from functions.copy_backup.source import Candidate
from shared.oci.backup_record import BackupFacts
from shared.oci.blockstorage import BackupKind
from shared.oci.errors import OciError
from shared.oci.models import BackupBase, LifecycleState
from shared.results import Item, ItemStatus
from shared.rules.retention import kept
from shared.sweep import deferred_item, run_bounded, scope

HELD = 2000  # boot volume copies, copies to bring up to date, copies to delete: each kept for one run at most
PAGE = 1000  # backups a listing asks for per page (the most OCI answers)
NOT_STARTED = "not started before the deadline; the next reconcile copies it"


class Task(NamedTuple):
    """A backup to copy to a region, or whose copy there to bring up to date, with what its listing showed."""

    kind: BackupKind
    backup: Candidate
    seen: Destination


class Backlog:
    """The work a reconcile found: the newest it can start in one run, the rest counted."""

    def __init__(self, slots: int) -> None:
        self.pool: Newest[Task] = Newest(slots)  # copies of volume and volume group backups: OCI's shared slots
        self.boot: Newest[Task] = Newest(HELD)  # boot volume backup copies: one slot per boot volume
        self.upkeep: Newest[Task] = Newest(HELD)  # copies the tool made that lack their name, tags or lock
        self.too_old = 0  # copies not made: the destination's retention would delete them

    def add(self, task: Task) -> None:
        at = task.backup.time_created
        if task.seen.live:
            self.upkeep.add(at, task)
        elif task.kind is BackupKind.BOOT_VOLUME:
            self.boot.add(at, task)
        else:
            self.pool.add(at, task)

    def newest_first(self) -> list[Task]:
        held = [*self.pool.newest_first(), *self.boot.newest_first(), *self.upkeep.newest_first()]
        return sorted(held, key=lambda t: t.backup.time_created, reverse=True)

    def notes(self, source_region: str, slots: int) -> list[str]:
        notes = []
        waiting = self.pool.left + self.boot.left
        if waiting:
            notes.append(
                f"{waiting} more backup copies wait for a copy slot (OCI allows {slots} volume backup copies in "
                f"flight from {source_region}, one per boot volume); the next reconcile copies them, newest first"
            )
        if self.upkeep.left:
            notes.append(f"{self.upkeep.left} more copies lack their name, tags or lock; the next reconcile does them")
        if self.too_old:
            notes.append(f"{self.too_old} backup copies not made: the destination's retention would delete them")
        return notes


class Learned:
    """The copies the run made or updated, as its own calls left them (pruning reads their locks)."""

    def __init__(self) -> None:
        self._copies: dict[str, BackupBase] = {}
        self._lock = threading.Lock()

    def add(self, copy: BackupBase) -> None:
        with self._lock:
            self._copies[copy.id] = copy

    def get(self, copy_id: str) -> BackupBase | None:
        with self._lock:
            return self._copies.get(copy_id)


def reconcile(invocation: Run, *, posture_only: bool = False) -> None:
    """Copy what the destinations lack, then prune; ``posture_only``: measure the DR posture, nothing else."""
    settings = invocation.settings
    compartments = scope(invocation)
    regions = [r for r in settings.destination_regions if r != invocation.region]
    limits = Limits(invocation.region, settings.max_in_flight)
    tally = DrTally(regions)
    backlog = Backlog(settings.max_in_flight)
    deletions = Deletions(HELD)
    plan(invocation, compartments, regions, limits, backlog, deletions, tally)
    invocation.report.add_section(tally.posture(settings.dr_rpo_hours, invocation.now()))
    if posture_only:
        return
    for note in backlog.notes(invocation.region, settings.max_in_flight):
        invocation.report.note(note)
    invocation.report.count_more(ItemStatus.DEFERRED, backlog.pool.left + backlog.boot.left + backlog.upkeep.left)
    learned = Learned()

    def copy(task: Task) -> None:
        done = copy_to(invocation, task.kind, task.backup, task.seen.region, limits, task.seen)
        if done is not None:
            learned.add(done)

    def defer(task: Task) -> None:
        backup = task.backup
        invocation.report.add(deferred_item("copy", backup.id, backup.display_name, NOT_STARTED, task.seen.region))

    tasks = backlog.newest_first()  # newest first get the copy slots
    run_bounded(tasks, copy, concurrency=settings.max_concurrency, deadline=invocation.deadline, on_deferred=defer)
    deletions.apply(invocation, learned.get)


def plan(
    invocation: Run,
    compartments: list[str],
    regions: list[str],
    limits: Limits,
    backlog: Backlog,
    deletions: Deletions,
    tally: DrTally,
) -> None:
    """What each destination lacks, into ``backlog``, and what its retention lets go, into ``deletions``;
    counts the copies in flight into ``limits`` and the DR posture into ``tally`` on the way."""
    settings = invocation.settings
    now = invocation.now()
    cutoff = now - timedelta(days=settings.lookback_days)
    failed_regions: set[str] = set()
    for compartment in compartments:
        for kind in COPY_KINDS:
            sources = candidates(invocation, kind, compartment, cutoff, tally)
            for region in regions:
                if region in failed_regions:
                    continue
                try:
                    seen, prunable = copies_in(invocation, kind, compartment, region, sources, limits, tally, deletions)
                except OciError as exc:
                    failed_regions.add(region)
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
                deletions.plan(invocation, region, kind, prunable)
                lacking(invocation, kind, region, sources, seen, backlog, now)
            tally.next_listing()


def candidates(
    invocation: Run, kind: BackupKind, compartment: str, cutoff: datetime, tally: DrTally
) -> dict[str, Candidate]:
    """The compartment's AVAILABLE backups of ``kind`` the reconcile may copy, by id, listed page by page."""
    settings = invocation.settings
    namespaces = settings.copy_defined_tag_namespaces
    kept_here: dict[str, Candidate] = {}
    for backup in invocation.storage.list_backups(kind, compartment, lifecycle_state="AVAILABLE", limit=PAGE):
        if backup.lifecycle_state != LifecycleState.AVAILABLE:  # group backups cannot be listed by state
            continue
        tally.listed(backup)
        if (
            copy_candidate(backup, cutoff)
            and settings.wants(backup)
            and not settings.is_test_restore(backup.compartment_id, backup.freeform_tags)
        ):
            tally.candidate(kind, backup)
            kept_here[backup.id] = Candidate.of(backup, namespaces)
    return kept_here


def copies_in(
    invocation: Run,
    kind: BackupKind,
    compartment: str,
    region: str,
    sources: dict[str, Candidate],
    limits: Limits,
    tally: DrTally,
    deletions: Deletions,
) -> tuple[dict[str, Seen], list[tuple[str, BackupFacts]]]:
    """The copies in ``region`` of the compartment's backups of ``kind``, one page at a time: counted into
    ``limits`` and ``tally``, taken into a ``Seen`` of each of ``sources`` (by id), the tool's kept as its
    retention reads them. A listing that fails part way has counted its copies so far (fewer copy slots)."""
    seen: dict[str, Seen] = {}
    prunable: list[tuple[str, BackupFacts]] = []
    for copy in invocation.storage_in(region).list_backups(kind, compartment, limit=PAGE):
        if not copy.copied_from:
            continue
        limits.count(kind, (copy,))
        tally.copy(region, copy)
        record = deletions.record(invocation, region, copy)
        if record is not None:
            prunable.append(record)
        source = sources.get(copy.copied_from)
        if source is not None:
            if source.id not in seen:
                seen[source.id] = Seen(invocation, kind, source, region, lean=True)
            seen[source.id].add(copy)
    return seen, prunable


def lacking(
    invocation: Run,
    kind: BackupKind,
    region: str,
    sources: dict[str, Candidate],
    seen: dict[str, Seen],
    backlog: Backlog,
    now: datetime,
) -> None:
    """What ``region`` lacks of ``sources`` (``seen``: what its copies hold for each), into ``backlog``."""
    keep = kept(list(sources.values()), invocation.settings.retention(region), now)
    for backup in sources.values():
        there = seen.get(backup.id) or Seen(invocation, kind, backup, region, lean=True)
        found = there.destination()
        if found.upkeep or (not found.live and backup.id in keep):
            backlog.add(Task(kind, backup, found))
        elif not found.live:
            backlog.too_old += 1


def copy_candidate(backup: BackupBase, cutoff: datetime) -> bool:
    if backup.copied_from or backup.time_created < cutoff:
        return False
    return not backup.group_backup_id  # members of a volume group backup
