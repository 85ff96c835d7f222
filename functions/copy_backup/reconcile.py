"""The schedule run: what each destination lacks (copies, tags), copied newest first, then pruned.

On the way it measures the DR posture (``posture.DrTally``) from the listings it makes anyway.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from functions.copy_backup.copying import copy_to
from functions.copy_backup.limits import Limits
from functions.copy_backup.posture import DrTally
from functions.copy_backup.pruning import prune
from functions.copy_backup.settings import COPY_KINDS, Run
from functions.copy_backup.upkeep import copy_name, made_by_tool, upkeep_for
from shared.app import run_bounded
from shared.oci.blockstorage import BackupKind
from shared.oci.errors import OciError
from shared.oci.identity import compartment_tree
from shared.oci.models import GONE_STATES, BackupBase, LifecycleState
from shared.results import Item, ItemStatus
from shared.rules.retention import RetentionPolicy
from shared.triggers import InputError


@dataclass(frozen=True)
class Task:
    kind: BackupKind
    backup: BackupBase
    region: str


def reconcile(invocation: Run, *, posture_only: bool = False) -> None:
    """Copy what the destinations lack, then prune; ``posture_only``: measure the DR posture, nothing else."""
    settings = invocation.settings
    compartments = settings.compartment_ids
    if not compartments:
        raise InputError("no compartments to reconcile: set COMPARTMENT_IDS", "COMPARTMENT_IDS")
    if settings.include_subcompartments:
        compartments = compartment_tree(invocation.client, invocation.region, compartments, invocation.call_deadline)
    regions = [r for r in settings.destination_regions if r != invocation.region]
    limits = Limits(invocation.region, settings.max_in_flight)
    tally = DrTally(regions)
    tasks = plan(invocation, compartments, regions, limits, tally)
    invocation.report.set_dr_posture(tally.posture(settings.dr_rpo_hours, invocation.now()))
    if posture_only:
        return
    tasks.sort(key=lambda t: t.backup.time_created, reverse=True)  # newest first get the copy slots

    def copy(task: Task) -> None:
        copy_to(invocation, task.kind, task.backup, task.region, limits)

    def defer(task: Task) -> None:
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                action="copy",
                resource_id=task.backup.id,
                name=task.backup.display_name,
                region=task.region,
                reason="not started before the deadline; the next reconcile copies it",
            )
        )

    run_bounded(tasks, copy, concurrency=settings.max_concurrency, deadline=invocation.deadline, on_deferred=defer)
    for region in regions:
        for kind in COPY_KINDS:
            for compartment in compartments:
                if invocation.deadline.expired():
                    invocation.report.note(f"pruning of copies in {region} left for the next run (deadline)")
                    break
                prune(invocation, region, kind, compartment)


def plan(
    invocation: Run, compartments: list[str], regions: list[str], limits: Limits, tally: DrTally | None = None
) -> list[Task]:
    """What each destination lacks; counts the copies in flight into ``limits`` (and the posture into
    ``tally``) on the way."""
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
            sources = [b for b in listed if copy_candidate(b, cutoff) and settings.wants(b)]
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
                limits.count(kind, copies)
                if tally is not None:
                    tally.add_copies(region, copies)
                keep = kept_by_retention(sources, settings.retention(region), now)
                for backup in sources:
                    need = needs(invocation, kind, backup, region, copies)
                    if need is Need.TAG or (need is Need.COPY and backup.id in keep):
                        tasks.append(Task(kind, backup, region))
                    elif need is Need.COPY:
                        too_old += 1
    if too_old:
        invocation.report.note(f"{too_old} backup copies not made: the destination's retention would delete them")
    return tasks


def copy_candidate(backup: BackupBase, cutoff: datetime) -> bool:
    if backup.copied_from or backup.time_created < cutoff:
        return False
    return not getattr(backup, "volume_group_backup_id", None)  # members of a volume group backup


class Need(Enum):
    NOTHING = "nothing"
    COPY = "copy"
    TAG = "tag"


def needs(invocation: Run, kind: BackupKind, backup: BackupBase, region: str, copies: list[BackupBase]) -> Need:
    """A copy (none alive there), an update (the tool's copy lacks its tags or lock, or its source was
    renamed or re-tagged since) or nothing (as wanted, or someone else's copy)."""
    live = [
        c
        for c in copies
        if c.copied_from == backup.id
        and c.lifecycle_state not in GONE_STATES
        and c.lifecycle_state != LifecycleState.FAULTY
    ]
    if not live:
        return Need.COPY
    name = copy_name(invocation, kind, backup, region)
    for copy in live:
        if made_by_tool(copy) or copy.display_name == name:
            return Need.TAG if upkeep_for(invocation, kind, backup, region, copy) else Need.NOTHING
    return Need.NOTHING  # someone else's copy: left alone


def kept_by_retention(sources: list[BackupBase], policy: RetentionPolicy, now: datetime) -> set[str]:
    """Ids of source backups whose copies the destination's retention would keep (the rest: not copied)."""
    if not policy.active:
        return {b.id for b in sources}
    by_volume: dict[str, list[BackupBase]] = defaultdict(list)
    for backup in sources:
        by_volume[backup.source_id or backup.id].append(backup)
    cutoff = now - timedelta(days=policy.max_age_days) if policy.max_age_days else None
    kept: set[str] = set()
    for backups in by_volume.values():
        backups.sort(key=lambda b: b.time_created, reverse=True)
        for position, backup in enumerate(backups):
            within_count = not policy.keep_count or position < policy.keep_count
            within_age = cutoff is None or backup.time_created >= cutoff
            if position < max(1, policy.min_keep) or (within_count and within_age):
                kept.add(backup.id)
    return kept
