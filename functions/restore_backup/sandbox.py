"""The sandbox side of a restore test: check a test resource that ended, record the result on its source
backup, delete it behind the two guards, and delete leftovers.

The delete goes first and carries ``if-match``: of two deliveries of one event (or an event and a
schedule run) handling the same resource, the one whose delete OCI accepts records the result; the
other finds it TERMINATING and is ``skipped``. One check, one delete, one record.
"""

from datetime import datetime
from typing import NamedTuple

from functions.restore_backup.settings import RestoreBackupSettings
from shared.oci.blockstorage import BackupKind, BlockStorage, Versioned
from shared.oci.errors import NoEtagMatch, NotAuthorizedOrNotFound, OciError
from shared.oci.models import GONE_STATES, BackupBase, TagsUpdate
from shared.oci.restores import RestoredResource, delete_restored, get_restored, list_restored
from shared.results import ALREADY_DELETED, Item, ItemStatus, Report
from shared.rules import restore as rules

ENDED_STATES = frozenset({"AVAILABLE", "FAULTY"})
ACTION = "restore"


class Outcome(NamedTuple):
    """What one test resource came to: its check (None: not checked) and whether it was deleted."""

    reason: str | None  # None: verified
    checked: bool
    seconds: float | None
    kind: BackupKind
    region: str
    leftover: bool = False
    age_seconds: float | None = None  # since restore-started


class Sandbox(NamedTuple):
    """One region's sandbox as a run sees it: who does what, and with which settings."""

    storage: BlockStorage
    settings: RestoreBackupSettings
    report: Report
    dry_run: bool
    now: datetime

    @property
    def sandbox_id(self) -> str:
        return self.settings.restore_compartment_id

    @property
    def region(self) -> str:
        return self.storage.region


def member_kind(volume_id: str) -> BackupKind:
    return BackupKind.BOOT_VOLUME if volume_id.startswith("ocid1.bootvolume.") else BackupKind.VOLUME


def scan(box: Sandbox) -> list[tuple[BackupKind, RestoredResource]]:
    """The live test resources of the sandbox (marked, not TERMINATING/TERMINATED), groups first; the
    members of a listed group are handled with it."""
    found: list[tuple[BackupKind, RestoredResource]] = []
    for kind in (BackupKind.VOLUME_GROUP, BackupKind.VOLUME, BackupKind.BOOT_VOLUME):
        for resource in list_restored(box.storage, kind, box.sandbox_id):
            if resource.lifecycle_state not in GONE_STATES and rules.has_marker(resource.freeform_tags):
                found.append((kind, resource))
    members = {vid for kind, res in found if kind is BackupKind.VOLUME_GROUP for vid in res.volume_ids}
    return [(kind, res) for kind, res in found if res.id not in members]


def due(resource: RestoredResource, box: Sandbox) -> bool:
    """Whether a run acts on it now: it ended, timed out, or expired."""
    tags = resource.freeform_tags
    return (
        resource.lifecycle_state in ENDED_STATES
        or rules.is_expired(tags, box.now)
        or rules.is_timed_out(tags, box.now, box.settings.restore_timeout_minutes)
    )


def finish(box: Sandbox, kind: BackupKind, resource_id: str, event_time: datetime | None = None) -> Outcome | None:
    """Check, delete and record one test resource (an event's, or one a sweep found due)."""
    base = {"action": ACTION, "resource_id": resource_id, "region": box.region}
    try:
        current = get_restored(box.storage, kind, resource_id)
    except NotAuthorizedOrNotFound:
        box.report.add(Item(status=ItemStatus.SKIPPED, reason="not found (already deleted)", **base))
        return None
    resource = current.value
    refusal = rules.delete_refusal(resource.compartment_id, resource.freeform_tags, box.sandbox_id)
    if refusal is not None:
        box.report.add(Item(status=ItemStatus.SKIPPED, name=resource.display_name, reason=refusal, **base))
        return None
    if resource.lifecycle_state in GONE_STATES:
        box.report.add(Item(status=ItemStatus.SKIPPED, name=resource.display_name, reason=ALREADY_DELETED, **base))
        return None
    if not due(resource, box):
        box.report.add(Item(status=ItemStatus.SKIPPED, name=resource.display_name, reason="still restoring", **base))
        return None
    tags = resource.freeform_tags
    backup_id = tags.get(rules.RESTORE_SOURCE_BACKUP, "")
    leftover = rules.is_expired(tags, box.now)
    check = _check(box, kind, resource, backup_id, event_time)
    if box.dry_run:
        planned = "would delete" + (" (leftover)" if leftover else "") + (f"; {check.describe()}" if check else "")
        box.report.add(Item(status=ItemStatus.PLANNED, name=resource.display_name, reason=planned, **base))
        return None
    try:
        request_id = delete_guarded(box, kind, current)
    except GuardRefused as exc:  # it changed since it was read (moved out, marker removed): kept
        box.report.add(Item(status=ItemStatus.SKIPPED, name=resource.display_name, reason=str(exc), **base))
        return None
    if request_id is None:
        box.report.add(Item(status=ItemStatus.SKIPPED, name=resource.display_name, reason=ALREADY_DELETED, **base))
        return None
    if check is not None and backup_id:
        _record(box, backup_id, resource, check)
    status = ItemStatus.LEFTOVER_DELETED if leftover else ItemStatus.DELETED
    box.report.add(Item(status=status, name=resource.display_name, opc_request_id=request_id, **base))
    started = rules.started_at(tags)
    age = (box.now - started).total_seconds() if started else None
    if check is None:
        return Outcome(None, False, None, kind, box.region, leftover, age)
    return Outcome(check.reason, True, check.seconds, kind, box.region, leftover, age)


class Check(NamedTuple):
    reason: str | None
    seconds: float | None  # to AVAILABLE
    hydrated_seconds: float | None
    upper_bound: bool

    def describe(self) -> str:
        return "verified" if self.reason is None else f"failed: {self.reason}"


def _check(
    box: Sandbox, kind: BackupKind, resource: RestoredResource, backup_id: str, event_time: datetime | None
) -> Check | None:
    """The checks of a resource that ended, or the timeout of one that did not (None: a leftover whose
    restore cannot be judged, e.g. it carries no start time)."""
    settings = box.settings
    started = rules.started_at(resource.freeform_tags)
    if resource.lifecycle_state not in ENDED_STATES:
        if started is None or not rules.is_timed_out(resource.freeform_tags, box.now, settings.restore_timeout_minutes):
            return None
        minutes = settings.restore_timeout_minutes
        return Check(f"timed out (not AVAILABLE after {minutes} min)", None, None, False)
    # With the event, OCI's own clock at both ends: from the resource's timeCreated to the event's
    # eventTime (no skew between the function's clock and OCI's). Without it, the function's clock at both
    # ends: from restore-started to now, an upper bound.
    if event_time is not None:
        seconds: float | None = max(0.0, (event_time - resource.time_created).total_seconds())
    else:
        seconds = max(0.0, (box.now - started).total_seconds()) if started else None
    hydrated = max(0.0, (box.now - started).total_seconds()) if started and resource.is_hydrated else None
    observed = _observe(box, kind, resource, backup_id, seconds)
    return Check(rules.failure(observed, settings.restore_timeout_minutes), seconds, hydrated, event_time is None)


def _observe(
    box: Sandbox, kind: BackupKind, resource: RestoredResource, backup_id: str, seconds: float | None
) -> rules.Observed:
    backup_size = backup_image = member_count = None
    backup_kind = BackupKind.of_ocid(backup_id) if backup_id else None
    if backup_kind is not None and resource.lifecycle_state == "AVAILABLE":
        try:
            backup = box.storage.get_backup(backup_kind, backup_id).value
        except NotAuthorizedOrNotFound:
            backup = None  # the backup went since: only what the resource shows is checked
        if backup is not None:
            backup_size = getattr(backup, "size_in_gbs", None) if kind is not BackupKind.VOLUME_GROUP else None
            backup_image = getattr(backup, "image_id", None)
            backup_ids = getattr(backup, "volume_backup_ids", None)
            member_count = len(backup_ids) if backup_ids is not None else None
    member_states = None
    if kind is BackupKind.VOLUME_GROUP and resource.lifecycle_state == "AVAILABLE":
        member_states = tuple(
            str(get_restored(box.storage, member_kind(vid), vid).value.lifecycle_state) for vid in resource.volume_ids
        )
    return rules.Observed(
        state=str(resource.lifecycle_state),
        size_in_gbs=resource.size_in_gbs if kind is not BackupKind.VOLUME_GROUP else None,
        backup_size_in_gbs=backup_size,
        image_id=resource.image_id,
        backup_image_id=backup_image,
        member_states=member_states,
        backup_member_count=member_count,
        seconds_to_available=seconds,
    )


def _record(box: Sandbox, backup_id: str, resource: RestoredResource, check: Check) -> None:
    """The result on the source backup's freeform tags (read, merge, write with if-match); a backup whose
    metadata OCI refuses to change is recorded in the run's result and metrics only."""
    status = ItemStatus.VERIFIED if check.reason is None else ItemStatus.FAILED
    item = Item(
        status=status,
        action=ACTION,
        resource_id=backup_id,
        result_id=resource.id,
        name=resource.display_name,
        region=box.region,
        reason=check.reason,
        restore_seconds=round(check.seconds, 1) if check.seconds is not None else None,
        hydrated_seconds=round(check.hydrated_seconds, 1) if check.hydrated_seconds is not None else None,
        upper_bound=check.upper_bound if check.seconds is not None else None,
    )
    kind = BackupKind.of_ocid(backup_id)
    written = rules.result_tags(box.now, check.reason, check.seconds)
    note = None
    if kind is None:
        note = "not recorded: the restore-source-backup tag names no backup"
    else:
        note = _write_tags(box.storage, kind, backup_id, written)
    if note:
        item = item.model_copy(update={"reason": f"{check.reason or 'verified'}; {note}"})
    box.report.add(item)


def _write_tags(storage: BlockStorage, kind: BackupKind, backup_id: str, written: dict[str, str]) -> str | None:
    def change(backup: BackupBase) -> TagsUpdate:
        return TagsUpdate(freeform_tags={**backup.freeform_tags, **written})

    try:
        storage.update_if_match(kind, backup_id, change)
    except OciError as exc:  # refused (e.g. a locked backup), gone, or it kept changing
        return f"not recorded on the backup ({exc})"
    return None


def delete_guarded(box: Sandbox, kind: BackupKind, current: Versioned[RestoredResource]) -> str | None:
    """Delete a test resource (a group first, then its volumes); the two guards are checked right before
    each delete. Returns the opc-request-id, or None when someone else deleted it first."""
    resource, etag = current.value, current.etag
    for _ in range(3):
        _guard(resource, box.sandbox_id)
        try:
            request_id = delete_restored(box.storage, kind, resource.id, etag)
            break
        except NoEtagMatch:
            fresh = get_restored(box.storage, kind, resource.id)
            if fresh.value.lifecycle_state in GONE_STATES:
                return None
            resource, etag = fresh.value, fresh.etag
        except NotAuthorizedOrNotFound:
            return None
    else:
        return None
    if kind is BackupKind.VOLUME_GROUP:
        for volume_id in resource.volume_ids:
            _delete_member(box, volume_id, resource)
    return request_id


def _delete_member(box: Sandbox, volume_id: str, group: RestoredResource) -> None:
    kind = member_kind(volume_id)
    try:
        member = get_restored(box.storage, kind, volume_id)
        if member.value.lifecycle_state in GONE_STATES:
            return
        # a member carries its own marker, or is one of the volumes the marked group listed
        tags = member.value.freeform_tags if rules.has_marker(member.value.freeform_tags) else group.freeform_tags
        refusal = rules.delete_refusal(member.value.compartment_id, tags, box.sandbox_id)
        if refusal is not None:
            box.report.note(f"member {volume_id} of {group.id} kept: {refusal}")
            return
        delete_restored(box.storage, kind, volume_id, member.etag)
    except (NotAuthorizedOrNotFound, NoEtagMatch):
        return
    except OciError as exc:
        box.report.note(f"member {volume_id} of {group.id} not deleted yet ({exc}); the next run deletes it")


class GuardRefused(Exception):
    """A delete the guards forbid reached the delete call: a bug, never sent."""


def _guard(resource: RestoredResource, sandbox_id: str) -> None:
    refusal = rules.delete_refusal(resource.compartment_id, resource.freeform_tags, sandbox_id)
    if refusal is not None:
        raise GuardRefused(f"{resource.id}: {refusal}")
