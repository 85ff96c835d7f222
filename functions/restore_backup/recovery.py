"""Recovery mode: restore a fleet from its backups (or DR copies) at a point in time, planned, confirmed,
idempotent. HTTP / direct only.

- **plan** (``{"recover": {...}}`` without ``planId``): read-only; lists the region's backups in scope,
  traces each to its source (``shared/rules/recovery.py``) and answers the plan and its ``planId``;
- **apply** (``planId`` given): only a direct invoke or a gateway subject listed in
  ``RECOVERY_ALLOWED_SUBJECTS`` (403 otherwise, nothing created, the refusal published). The plan is
  computed again; a different id is 409 with the new plan, nothing created. Otherwise each source's
  resource is created in ``targetCompartmentId`` with the retry token of (planId, source) and the tags
  ``recovered-from-source``, ``recovered-from-backup``, ``recovery-plan``, unless the target already
  holds it (a repeated apply creates nothing twice; a concurrent one replays the same token and is
  reported skipped). Sources and their backups are only read. What the deadline leaves is handed to a
  detached invocation of this function with the same body, the same point in time and the sources
  left (``sourceIds``);
- **progress** (``"status": true``): read-only; the resources the plan created, their state, and the
  restore time as far as it was seen (an upper bound: from ``timeCreated`` to when it was read AVAILABLE).

Scope: what a recovery reads is the function's scope, as for every request: ``compartmentId`` must be
one of ``COMPARTMENT_IDS`` or below one (the compartments the function is granted to read), a
``selector`` matches within ``COMPARTMENT_IDS`` (and their subtrees with ``INCLUDE_SUBCOMPARTMENTS``);
what it creates goes only into ``RECOVERY_COMPARTMENT_IDS``.

Refusals (400 naming the field, nothing created): recovery off (``RECOVERY_COMPARTMENT_IDS`` unset), a
target outside it, a ``compartmentId`` outside the function's scope, a region the tenancy has not enabled,
an availability domain the region does not have, a point in time before the oldest kept backup in scope,
a scope that matches nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Final, NamedTuple

from functions.restore_backup.recovery_request import Recover, RecoveryKeys, check_shape
from shared import log
from shared.app import Invocation
from shared.errors import BadRequest, Conflict, Forbidden
from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.errors import NotAuthorizedOrNotFound, OciError
from shared.oci.identity import subscribed_regions
from shared.oci.models import BackupBase, LifecycleState
from shared.oci.restores import (
    CreateRestoreDetails,
    RestoredResource,
    availability_domains,
    create_restore,
    list_restored,
    restore_source,
)
from shared.results import Item, ItemStatus, status_for
from shared.rules import recovery as rules
from shared.rules.tags import CALL_KEY, MAX_TAG_VALUE, SOURCE_REGION_KEY
from shared.sweep import deferred_item, run_bounded, scope, within_scope
from shared.triggers import TriggerKind

RecoveryRun = Invocation[Any, Any]  # restore-backup's: its settings are RecoveryKeys
ACTION: Final = "recover"
KINDS: Final = (BackupKind.VOLUME_GROUP, BackupKind.VOLUME, BackupKind.BOOT_VOLUME)
CONCURRENT: Final = "created by a concurrent apply of the same plan (not counted twice)"


def recover(invocation: RecoveryRun, request: Recover, status: bool) -> None:
    """Plan, apply or progress, by the request's form."""
    check_shape(request, status)
    _check_target(invocation.settings, request)
    if request.compartment_id is not None:
        within_scope(invocation, [request.compartment_id], "recover.compartmentId")
    if status:
        progress(invocation, request)
        return
    if request.plan_id is not None:
        _check_may_apply(invocation)
    found = compute(invocation, request, request.point_in_time or invocation.now())
    if request.plan_id is None:
        invocation.report.add_section(RecoverySection(found, None))
        return
    if invocation.dry_run:
        for restore in found.plan.restores:
            invocation.report.add(_item(ItemStatus.PLANNED, restore, found.plan, None, "dry run: not created"))
        invocation.report.add_section(RecoverySection(found, None))
        return
    if found.plan.plan_id != request.plan_id:
        raise Conflict(
            f"the plan changed since {request.plan_id} was made (a newer backup, or a source's backups changed):"
            " nothing was created; review the new plan and apply its planId",
            "recover.planId",
            extra={"plan": plan_document(found)},
        )
    apply(invocation, request, found)


# ---- checks that need the settings or OCI --------------------------------------------------------


def _check_target(settings: RecoveryKeys, request: Recover) -> None:
    allowed = settings.recovery_compartment_ids
    if not allowed:
        raise BadRequest(
            "recovery is off: set RECOVERY_COMPARTMENT_IDS to the compartments it may create in", "recover"
        )
    if request.target_compartment_id == getattr(settings, "restore_compartment_id", None):
        raise BadRequest(
            "is the restore-test sandbox (RESTORE_COMPARTMENT_ID): its test restores are deleted, never a recovery",
            "recover.targetCompartmentId",
        )
    if request.target_compartment_id not in allowed:
        raise BadRequest(
            "is not one of RECOVERY_COMPARTMENT_IDS (the only compartments a recovery may create in)",
            "recover.targetCompartmentId",
        )


def _check_may_apply(invocation: RecoveryRun) -> None:
    """Over HTTP only the subjects of RECOVERY_ALLOWED_SUBJECTS apply (a direct invoke is IAM's to allow)."""
    trigger = invocation.trigger
    if trigger.kind is not TriggerKind.HTTP:
        return
    subject = getattr(trigger, "subject", None)
    if not subject or subject not in invocation.settings.recovery_allowed_subjects:
        raise Forbidden(
            f"subject {subject or '(none)'} may plan but not apply a recovery (RECOVERY_ALLOWED_SUBJECTS)", "planId"
        )


def _check_region(invocation: RecoveryRun, region: str) -> None:
    tenancy = getattr(invocation.client.credentials, "tenancy_id", None)
    if not tenancy:
        invocation.report.note(f"region {region} not checked against the tenancy's subscriptions (tenancy unknown)")
        return
    try:
        enabled = subscribed_regions(invocation.client, invocation.region, tenancy, invocation.call_deadline)
    except NotAuthorizedOrNotFound:
        invocation.report.note(f"region {region} not checked against the tenancy's subscriptions (not allowed)")
        return
    if region not in enabled:
        raise BadRequest(f"the tenancy has not enabled {region}", "recover.region")


def _availability_domain(storage: BlockStorage, request: Recover) -> str:
    known = availability_domains(storage, request.target_compartment_id)
    if request.availability_domain is None:
        if not known:
            raise BadRequest(f"{storage.region} answered no availability domain", "recover.availabilityDomain")
        return known[0]
    if request.availability_domain not in known:
        raise BadRequest(
            f"is not an availability domain of {storage.region} ({', '.join(known) or 'none'})",
            "recover.availabilityDomain",
        )
    return request.availability_domain


# ---- the plan -----------------------------------------------------------------------------------


class Found(NamedTuple):
    plan: rules.Plan
    untraced: int  # copies in scope whose source could not be told
    kept_since: datetime


def compute(invocation: RecoveryRun, request: Recover, point_in_time: datetime) -> Found:
    _check_region(invocation, request.region)
    storage = invocation.storage_in(request.region)
    compartments = [request.compartment_id] if request.compartment_id else scope(invocation)
    listed = {kind: _backups(storage, kind, compartments) for kind in KINDS}
    origin = _origin(invocation, listed, compartments)
    candidates = rules.candidates(BackupKind.VOLUME_GROUP, listed[BackupKind.VOLUME_GROUP], origin)
    groups = {c.backup_id for c in candidates}
    for kind in (BackupKind.VOLUME, BackupKind.BOOT_VOLUME):
        candidates.extend(rules.candidates(kind, listed[kind], origin, groups))
    untraced = sum(len(b) for b in listed.values()) - len(candidates)
    candidates = _selected(candidates, listed, request)
    if not candidates:
        field = "recover.compartmentId" if request.compartment_id else "recover.selector"
        raise BadRequest(f"nothing to recover: no backup of {request.region} in this scope traces to a source", field)
    oldest = rules.oldest_kept(candidates)
    if oldest is None or point_in_time < oldest:
        since = oldest.isoformat() if oldest else "none is AVAILABLE"
        raise BadRequest(f"is before the oldest backup kept in scope ({since})", "recover.pointInTime")
    availability_domain = _availability_domain(storage, request)
    plan = rules.plan(
        candidates,
        point_in_time,
        region=request.region,
        target_compartment_id=request.target_compartment_id,
        availability_domain=availability_domain,
    )
    return Found(plan, untraced, oldest)


def _backups(storage: BlockStorage, kind: BackupKind, compartments: list[str]) -> list[BackupBase]:
    return [b for compartment in compartments for b in storage.list_backups(kind, compartment, limit=1000)]


def _origin(
    invocation: RecoveryRun, listed: dict[BackupKind, list[BackupBase]], compartments: list[str]
) -> dict[str, str]:
    """Original backup id -> its source, for copies that do not carry their source's id, read in the
    region each came from (``backup-source-region``) when that region still answers."""
    untraced = [b for backups in listed.values() for b in backups if b.copied_from and not b.source_id]
    origin: dict[str, str] = {}
    for region in sorted({b.freeform_tags.get(SOURCE_REGION_KEY, "") for b in untraced} - {""}):
        storage = invocation.storage_in(region)
        try:
            for kind in KINDS:
                origin.update({b.id: b.source_id for b in _backups(storage, kind, compartments) if b.source_id})
        except OciError as exc:
            invocation.report.note(f"copies from {region} not traced through their originals ({exc})")
    return origin


def _selected(
    candidates: list[rules.Candidate], listed: dict[BackupKind, list[BackupBase]], request: Recover
) -> list[rules.Candidate]:
    """With a selector: the backups whose tags match it (a backup carries its source's tags), and the
    members of a matching group backup."""
    selector = request.tag_selector
    if selector is None:
        return candidates
    matching = {
        b.id for backups in listed.values() for b in backups if selector.matches(b.freeform_tags, b.defined_tags)
    }
    return [c for c in candidates if c.backup_id in matching or (c.group_backup_id or "") in matching]


# ---- apply ----------------------------------------------------------------------------------------


def apply(invocation: RecoveryRun, request: Recover, found: Found) -> None:
    plan = found.plan
    plan_id = plan.plan_id
    storage = invocation.storage_in(plan.region)
    existing = recovered(storage, plan)
    wanted = set(request.source_ids) if request.source_ids else None
    todo: list[rules.Restore] = []
    for restore in plan.restores:
        if wanted is not None and restore.source_id not in wanted:
            continue
        resource = existing.get(restore.source_id)
        if resource is not None:
            invocation.report.add(
                _item(ItemStatus.SKIPPED, restore, plan, resource.id, "already recovered by this plan")
            )
        else:
            todo.append(restore)
    deferred: list[str] = []

    def create(restore: rules.Restore) -> None:
        invocation.report.add(_create(invocation, storage, plan, plan_id, restore))

    def defer(restore: rules.Restore) -> None:
        deferred.append(restore.source_id)
        invocation.report.add(deferred_item(ACTION, restore.source_id, restore.name, region=plan.region))

    run_bounded(
        todo,
        create,
        concurrency=invocation.settings.max_concurrency,
        deadline=invocation.deadline,
        on_deferred=defer,
    )
    if deferred:
        _hand_over(invocation, request, plan.point_in_time, deferred)
    invocation.report.add_section(RecoverySection(found, plan_id))


def _create(
    invocation: RecoveryRun, storage: BlockStorage, plan: rules.Plan, plan_id: str, restore: rules.Restore
) -> Item:
    tags = {**rules.recovery_tags(plan_id, restore), CALL_KEY: invocation.call_id[:MAX_TAG_VALUE]}
    details = CreateRestoreDetails(
        availability_domain=plan.availability_domain or "",
        compartment_id=plan.target_compartment_id,
        display_name=f"recovered-{restore.name}"[:255],
        freeform_tags=tags,
        source_details=restore_source(restore.kind, restore.backup_id),
    )
    try:
        made = create_restore(storage, restore.kind, details, rules.recovery_token(plan_id, restore.source_id))
    except OciError as exc:
        log.event("recovery create failed", logging.WARNING, source_id=restore.source_id, error=str(exc))
        return _item(status_for(exc), restore, plan, None, str(exc))
    if made.value.freeform_tags.get(CALL_KEY, invocation.call_id[:MAX_TAG_VALUE]) != invocation.call_id[:MAX_TAG_VALUE]:
        return _item(ItemStatus.SKIPPED, restore, plan, made.value.id, CONCURRENT)
    item = _item(ItemStatus.CREATED, restore, plan, made.value.id, None)
    return item.model_copy(update={"opc_request_id": made.opc_request_id})


def _item(
    status: ItemStatus, restore: rules.Restore, plan: rules.Plan, result_id: str | None, reason: str | None
) -> Item:
    point = rules.recovery_point_text(restore.recovery_point_seconds(plan.point_in_time))
    said = f"recovery point {point} before {plan.point_in_time.isoformat(timespec='seconds')}"
    return Item(
        status=status,
        action=ACTION,
        resource_id=restore.source_id,
        result_id=result_id,
        name=restore.name,
        region=plan.region,
        reason=f"{reason}; {said}" if reason else said,
    )


def _hand_over(invocation: RecoveryRun, request: Recover, point_in_time: datetime, left: list[str]) -> None:
    """What the deadline left, to a detached invocation of this function: same plan, same point in time."""
    invoke: Callable[[dict[str, Any]], str | None] | None = invocation.invoke_self
    if invoke is None:
        invocation.report.note(f"{len(left)} source(s) not started before the deadline: apply the same plan again")
        return
    try:
        request_id = invoke(request.handed_over(point_in_time, left))
    except OciError as exc:
        invocation.report.fail(f"could not hand over {len(left)} source(s) ({exc}); apply the same plan again")
        return
    invocation.report.note(
        f"handed {len(left)} source(s) to a detached invocation of this function (opc-request-id {request_id or '-'})"
    )


def recovered(storage: BlockStorage, plan: rules.Plan) -> dict[str, RestoredResource]:
    """What the target compartment already holds for this plan: source id -> resource (not gone)."""
    return {source: resource for source, (_, resource) in _recovered(storage, plan.target_compartment_id, plan.plan_id)}


def _recovered(
    storage: BlockStorage, compartment: str, plan_id: str
) -> Iterator[tuple[str, tuple[BackupKind, RestoredResource]]]:
    for kind in KINDS:
        for resource in list_restored(storage, kind, compartment):
            source = rules.is_recovery_of(resource.freeform_tags, plan_id)
            if not source or resource.lifecycle_state in (LifecycleState.TERMINATING, LifecycleState.TERMINATED):
                continue
            if kind is BackupKind.VOLUME and resource.volume_group_id:
                continue  # a recovered group's volume: reported with its group
            yield source, (kind, resource)


# ---- progress ------------------------------------------------------------------------------------


def progress(invocation: RecoveryRun, request: Recover) -> None:
    assert request.plan_id is not None
    storage = invocation.storage_in(request.region)
    now = invocation.now()
    rows = []
    for source, (kind, resource) in _recovered(storage, request.target_compartment_id, request.plan_id):
        state = str(resource.lifecycle_state)
        row: dict[str, Any] = {
            "sourceId": source,
            "kind": kind.word,
            "resourceId": resource.id,
            "state": state,
            "backupId": resource.freeform_tags.get(rules.RECOVERED_FROM_BACKUP),
        }
        seconds = (now - resource.time_created).total_seconds()
        if state == LifecycleState.AVAILABLE and seconds >= 0:  # (never negative but with clocks apart)
            row["restoreSeconds"] = round(seconds, 1)
            row["upperBound"] = True
        rows.append(row)
    invocation.report.add_section(
        ProgressSection(request.plan_id, request.region, sorted(rows, key=lambda r: r["sourceId"]))
    )


# ---- the report's sections ----------------------------------------------------------------------


def plan_document(found: Found) -> dict[str, Any]:
    plan = found.plan
    point = plan.point_in_time
    worst = plan.worst_recovery_point_seconds()
    return {
        "planId": plan.plan_id,
        "region": plan.region,
        "pointInTime": point.isoformat(),
        "targetCompartmentId": plan.target_compartment_id,
        "availabilityDomain": plan.availability_domain,
        "sources": [
            {
                "sourceId": r.source_id,
                "kind": r.kind.word,
                "name": r.name,
                "backupId": r.backup_id,
                "backupTime": r.taken.isoformat(),
                "achievedRecoveryPointSeconds": r.recovery_point_seconds(point),
                "creates": r.creates,
                "sizeInGBs": rules.restore_size(r),
                "members": [
                    {"sourceId": m.source_id, "backupId": m.backup_id, "sizeInGBs": m.size_in_gbs} for m in r.members
                ],
            }
            for r in plan.restores
        ],
        "unusable": [
            {"sourceId": u.source_id, "kind": u.kind.word, "name": u.name, "reason": u.reason} for u in plan.unusable
        ],
        "totals": {
            "sources": len(plan.restores) + sum(len(r.members) for r in plan.restores) + len(plan.unusable),
            "creates": plan.counts(),
            "sizeInGBs": plan.total_gbs,
            "worstRecoveryPointSeconds": worst,
            "unusable": len(plan.unusable),
            "untracedCopies": found.untraced,
        },
        "limits": {
            "checked": False,
            "note": "volume count and storage limits of the availability domain are not read; a create OCI refuses"
            " with LimitExceeded is reported failed and the rest go on",
        },
        "cost": (
            f"{plan.total_gbs} GB of new block storage in {plan.region}, billed per GB-month from creation"
            " (plus the volumes' VPUs); the backups themselves are unchanged"
        ),
    }


class RecoverySection:
    """The plan (and, applied, its id) under ``recovery`` in the result document."""

    key = "recovery"

    def __init__(self, found: Found, applied: str | None) -> None:
        self.found = found
        self.applied = applied

    def document(self) -> dict[str, Any]:
        return {**plan_document(self.found), "applied": self.applied is not None}

    def digest_lines(self, now: datetime) -> list[str]:
        plan = self.found.plan
        worst = plan.worst_recovery_point_seconds()
        counts = plan.counts()
        verb = "Applied" if self.applied else "Planned"
        lines = [
            f"{verb} recovery {plan.plan_id} in {plan.region} at {plan.point_in_time.isoformat(timespec='seconds')}:"
            f" {counts['volumeGroup']} volume group(s), {counts['volume']} volume(s), {counts['bootVolume']} boot"
            f" volume(s), {plan.total_gbs} GB into {plan.availability_domain}"
            + (f"; worst recovery point {rules.recovery_point_text(worst)}" if worst is not None else "")
        ]
        if plan.unusable:
            named = ", ".join(f"{u.name} ({u.reason})" for u in plan.unusable[:10])
            more = f" and {len(plan.unusable) - 10} more" if len(plan.unusable) > 10 else ""
            lines.append(f"No usable backup: {named}{more}")
        return lines

    def gauges(self) -> list[Any]:
        return []


class ProgressSection:
    key = "recoveryProgress"

    def __init__(self, plan_id: str, region: str, rows: list[dict[str, Any]]) -> None:
        self.plan_id = plan_id
        self.region = region
        self.rows = rows

    def counts(self) -> dict[str, int]:
        states = [r["state"] for r in self.rows]
        return {
            "created": len(states),
            "available": states.count(LifecycleState.AVAILABLE),
            "failed": states.count(LifecycleState.FAULTY),
        }

    def document(self) -> dict[str, Any]:
        return {"planId": self.plan_id, "region": self.region, "counts": self.counts(), "resources": self.rows}

    def digest_lines(self, now: datetime) -> list[str]:
        c = self.counts()
        return [f"Recovery {self.plan_id}: {c['created']} created, {c['available']} AVAILABLE, {c['failed']} failed"]

    def gauges(self) -> list[Any]:
        return []
