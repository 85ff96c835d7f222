"""The schedule sweep: list the sources and their backups once, report the posture, protect each source."""

from __future__ import annotations

from collections.abc import Iterator

from functions.create_backup.protect import protect
from functions.create_backup.settings import Run, Target
from shared.app import run_bounded
from shared.oci.identity import compartment_tree
from shared.oci.models import (
    BackupBase,
    BackupType,
    LifecycleState,
    Tagged,
)
from shared.posture import Coverage, ProtectionPosture, last_available, protection_posture
from shared.results import Item, ItemStatus
from shared.triggers import InputError, TriggerKind


def sweep(
    invocation: Run,
    compartments: list[str],
    *,
    only: set[str] | None,
    prune: bool,
    backup_type: BackupType | None,
    posture_only: bool = False,
) -> None:
    settings = invocation.settings
    if not compartments:
        raise InputError("no compartments to sweep: set COMPARTMENT_IDS", "COMPARTMENT_IDS")
    if settings.include_subcompartments:
        compartments = compartment_tree(invocation.client, invocation.region, compartments, invocation.call_deadline)
    targets = list(list_targets(invocation, compartments, only, backup_type is BackupType.FULL))
    histories = list_histories(invocation, targets)
    if only is None and (posture_only or invocation.kind is TriggerKind.SCHEDULE):
        invocation.report.set_posture(fleet_posture(invocation, targets, histories))
    if posture_only:
        return
    deferred: list[str] = []

    def defer(target: Target) -> None:
        deferred.append(target.source.id)
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                action="backup",
                resource_id=target.source.id,
                name=target.source.display_name,
                reason="not started before the deadline; handed over",
            )
        )

    def work(target: Target) -> None:
        protect(invocation, target, explicit=False, prune=prune, history=histories.get(target.source.id, []))

    run_bounded(targets, work, concurrency=settings.max_concurrency, deadline=invocation.deadline, on_deferred=defer)
    if deferred:
        invocation.hand_over(deferred, "resources")


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
