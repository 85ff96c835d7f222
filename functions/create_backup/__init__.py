"""create-backup: back up volumes, boot volumes and volume groups; name, tag, and prune them.

Parts: ``settings`` (config keys, the request, targets), ``sweep`` (the schedule run: one listing,
the posture, every source), ``protect`` (one source: its backup, then its retention). This module
reads the trigger and dispatches.

Triggers:
- event ``createvolume.end`` / ``createbootvolume.end`` / ``createvolumegroup(.end)``: a first FULL
  backup of the new resource if it matches ``SELECTOR`` (failed-status events are only reported);
  ``com.oraclecloud.computeapi.launchinstance.end``: the same for the boot volume of a new instance
  (found through its boot volume attachment); a boot volume announced by both events is backed up once;
- schedule: sweep ``COMPARTMENT_IDS`` (and children with ``INCLUDE_SUBCOMPARTMENTS``) for matching
  resources, back each up (INCREMENTAL, FULL every ``FULL_EVERY``-th), then prune by retention;
- HTTP / direct: ``{"volumeId"|"bootVolumeId"|"volumeGroupId": ..., "type"?, "dryRun"?, "lockDays"?}`` for
  one resource, or ``{"compartmentId": ..., "prune"?: true, "lockDays"?}`` for a selector run in one
  compartment;
  ``{"posture": true, "compartmentId"?: ...}`` answers the protection posture only (nothing written,
  nothing published, no metrics).

Posture (``shared/posture.py``): a full schedule sweep (dry runs too) reports in ``posture`` which
resources in scope have no AVAILABLE backup taken within ``RPO_HOURS``, from the sweep's own
listings (sources, and backups per compartment and kind): no call of its own. A sweep that hands
over passes the posture it counted with its ``cursor``; the run that finishes the listing reports the
whole scope's. A hand-over by ``resourceIds`` sweeps part of the fleet and reports none.

Hand-over: a schedule run that meets its deadline hands the rest to a detached invocation of itself
with a ``cursor`` (compartment, kind, page token and the first source not started), so the next run
lists only what is left: from that page on, and each later compartment and kind once.

Locks: with ``BACKUP_LOCK_DAYS`` (default 0 = off, 1..36500) every backup carries a lock from the create
call itself (``retentionPeriod`` ``{"retentionTimeUnit": "DAYS", "retentionTimeAmount": N}``), of the kind
``BACKUP_LOCK_MODE`` says: ``retention-lock`` (default, ``isRetentionLockEnabled``) or ``prevent-deletion``
(``isPreventDeletionEnabled``). A request's ``lockDays`` may lengthen the lock, never shorten it (400
naming ``lockDays``). Retention never sends a delete to a locked backup (``shared.pruning``): it is
reported ``skipped`` ("locked until ...") and counts as kept.
"""

from __future__ import annotations

from functions.create_backup.protect import protect
from functions.create_backup.settings import (
    EVENT_KINDS,
    LAUNCH_INSTANCE_END,
    CreateBackupRequest,
    CreateBackupSettings,
    Run,
    Target,
)
from shared.app import HandlerSpec
from shared.errors import BadRequest
from shared.oci.blockstorage import BackupKind
from shared.oci.errors import NotAuthorizedOrNotFound
from shared.oci.models import BackupType, Tagged
from shared.results import Item, ItemStatus
from shared.rules.restore import TEST_RESTORE
from shared.triggers import OciEvent, ScheduleRequest


def on_event(invocation: Run, event: OciEvent, kind: BackupKind) -> None:
    """A first FULL backup of a new resource (a launched instance: its boot volume)."""
    resource_id = event.data.resource_id
    launched = event.event_type == LAUNCH_INSTANCE_END
    if not event.succeeded:
        what = "instance launch" if launched else f"{kind.word} creation"
        invocation.report.add(
            Item(
                status=ItemStatus.SKIPPED,
                action="backup",
                resource_id=resource_id,
                name=event.data.resource_name,
                reason=f"the {what} did not succeed ({event.status}); nothing to back up",
            )
        )
        return
    try:
        if launched:
            resource_id = _launched_boot_volume(invocation, event)
        source = invocation.storage.get_source(kind, resource_id).value
    except (NotAuthorizedOrNotFound, LookupError) as exc:  # nothing to back up: the next sweep sees what exists
        reason = (
            f"{exc}; nothing to back up"
            if isinstance(exc, LookupError)
            else "not found in this region (deleted since the event, or not visible to the function: check its IAM "
            "policy); nothing to back up"
        )
        invocation.report.add(Item(status=ItemStatus.SKIPPED, action="backup", resource_id=resource_id, reason=reason))
        return
    assert isinstance(source, Tagged)
    if invocation.settings.is_test_restore(source.compartment_id, source.freeform_tags):
        invocation.report.add(
            Item(
                status=ItemStatus.SKIPPED,
                action="backup",
                resource_id=source.id,
                name=source.display_name,
                reason=TEST_RESTORE,
            )
        )
        return
    protect(invocation, Target(kind, source, full=True), explicit=False, first_backup=True)


def on_schedule(invocation: Run, schedule: ScheduleRequest) -> None:
    """The sweep of ``COMPARTMENT_IDS`` (a hand-over: from its ``cursor`` on, or only its ``resourceIds``),
    then retention."""
    from functions.create_backup.headroom import carried_tally
    from functions.create_backup.sweep import carried_posture, sweep  # listings and posture: not on the event path

    carried = carried_posture(schedule.posture)
    sweep(
        invocation,
        None,
        only=schedule.only,
        prune=True,
        backup_type=None,
        measure=not schedule.handed_over or carried is not None,
        cursor=schedule.cursor,
        carried=carried,
        carried_headroom=carried_tally(schedule.posture),
    )


def on_request(invocation: Run, request: CreateBackupRequest) -> None:
    """One resource now, a selector run in one compartment, or the posture only."""
    from functions.create_backup.sweep import sweep

    configured = invocation.settings.lock_days
    if request.lock_days is not None and request.lock_days < configured:
        raise BadRequest(
            f"{request.lock_days} is shorter than the configured lock (BACKUP_LOCK_DAYS={configured}); "
            "a request may lengthen the lock, never shorten it",
            "lockDays",
        )
    kind, target_id = request.target()
    if request.posture:
        sweep(
            invocation, [target_id] if target_id else None, only=None, prune=False, backup_type=None, posture_only=True
        )
    elif kind is None:
        sweep(invocation, [target_id], only=None, prune=request.prune, backup_type=request.type)
    else:
        source = invocation.storage.get_source(kind, target_id).value
        assert isinstance(source, Tagged)
        protect(invocation, Target(kind, source, request.type is BackupType.FULL), explicit=True)


def _launched_boot_volume(invocation: Run, event: OciEvent) -> str:
    """The boot volume of a launched instance, through its boot volume attachment."""
    data = event.data
    if not data.availability_domain or not data.compartment_id:
        raise LookupError("the launch event names no availability domain or compartment; cannot find the boot volume")
    from shared.oci.compute import boot_volume_attachments  # launch events only

    attachments = boot_volume_attachments(
        invocation.client,
        invocation.region,
        data.availability_domain,
        data.compartment_id,
        data.resource_id,
        invocation.call_deadline,
    )
    if not attachments:
        raise LookupError(f"instance {data.resource_id} has no boot volume attachment")
    return attachments[0].boot_volume_id


SPEC = HandlerSpec(
    name="create_backup",
    settings=CreateBackupSettings,
    request=CreateBackupRequest,
    event_kinds=EVENT_KINDS,
    on_event=on_event,
    on_schedule=on_schedule,
    on_request=on_request,
    route="create-backup",
)
