"""The schedule sweep: list the sources and their backups once, report the posture, protect each source."""

from __future__ import annotations

from collections.abc import Iterator

from functions.create_backup.protect import protect
from functions.create_backup.settings import Run, Target
from shared.oci.models import (
    BackupBase,
    BackupType,
    LifecycleState,
    Tagged,
)
from shared.posture import Coverage, ProtectionPosture, last_available, protection_posture
from shared.sweep import deferred_item, hand_over, run_bounded, scope


def sweep(
    invocation: Run,
    compartments: list[str] | None,
    *,
    only: set[str] | None,
    prune: bool,
    backup_type: BackupType | None,
    measure: bool = False,
    posture_only: bool = False,
) -> None:
    """Back up every matching source of ``compartments`` (default ``COMPARTMENT_IDS``); ``measure``: the
    posture too, ``posture_only``: the posture and nothing else."""
    settings = invocation.settings
    targets = list(list_targets(invocation, scope(invocation, compartments), only, backup_type is BackupType.FULL))
    histories = list_histories(invocation, targets)
    if measure or posture_only:
        invocation.report.add_section(fleet_posture(invocation, targets, histories))
    if posture_only:
        return
    deferred: list[str] = []

    def defer(target: Target) -> None:
        deferred.append(target.source.id)
        invocation.report.add(deferred_item("backup", target.source.id, target.source.display_name))

    def work(target: Target) -> None:
        protect(invocation, target, explicit=False, prune=prune, history=histories.get(target.source.id, []))

    run_bounded(targets, work, concurrency=settings.max_concurrency, deadline=invocation.deadline, on_deferred=defer)
    if deferred:
        hand_over(invocation, deferred, "resources")


def list_targets(invocation: Run, compartments: list[str], only: set[str] | None, full: bool) -> Iterator[Target]:
    settings = invocation.settings
    storage = invocation.storage
    for compartment in compartments:
        for kind in settings.kinds:
            for source in storage.list_sources(kind, compartment):
                assert isinstance(source, Tagged)
                if only is not None and source.id not in only:
                    continue
                if source.lifecycle_state != LifecycleState.AVAILABLE:
                    continue
                if settings.selector and not settings.selector.matches(source.freeform_tags, source.defined_tags):
                    continue
                if settings.is_test_restore(source.compartment_id, source.freeform_tags):
                    continue  # restore-backup's: never backed up
                yield Target(kind, source, full)


def list_histories(invocation: Run, targets: list[Target]) -> dict[str, list[BackupBase]]:
    """The backups of every swept source, by source id: one paged listing per compartment and kind
    (1,000 a page) instead of one listing per source, which halves the requests of a sweep."""
    histories: dict[str, list[BackupBase]] = {}
    for compartment, kind in dict.fromkeys((t.source.compartment_id, t.kind) for t in targets):
        for backup in invocation.storage.list_backups(kind, compartment, limit=1000):
            if backup.source_id:
                histories.setdefault(backup.source_id, []).append(backup)
    return histories


def fleet_posture(invocation: Run, targets: list[Target], histories: dict[str, list[BackupBase]]) -> ProtectionPosture:
    """Which swept resources have a good backup within RPO_HOURS, from the listings made already."""
    coverages = (
        Coverage(
            resource_id=t.source.id,
            name=t.source.display_name,
            kind=t.kind.word,
            compartment_id=t.source.compartment_id,
            last_at=last_available(histories.get(t.source.id, [])),
        )
        for t in targets
    )
    return protection_posture(coverages, invocation.settings.rpo_hours, invocation.now())
