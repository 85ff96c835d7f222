"""copy-backup: disaster-recovery copies of finished backups in other regions, limit-aware.

Parts: ``settings`` (config keys, the request), ``limits`` (copies in flight, room for one more),
``copying`` (one backup to one region: event and HTTP paths), ``upkeep`` (a copy's name, tags and
lock, set by an update in its region), ``reconcile`` (the schedule run: what each destination lacks),
``pruning`` (each destination's retention). This module only dispatches.

Triggers:
- event ``createvolumebackup.end`` / ``createbootvolumebackup.end`` / ``createvolumegroupbackup.end``:
  the backup is read first (an
  ``.end`` event is not proof of AVAILABLE: not AVAILABLE yet -> ``deferred``, the next reconcile
  takes it); if it matches the copy selector it is copied to every destination region;
- schedule (reconcile): AVAILABLE source backups of ``COMPARTMENT_IDS`` (and children with
  ``INCLUDE_SUBCOMPARTMENTS``) from the last ``COPY_LOOKBACK_DAYS`` that match the selector and have
  no copy in a destination (a lost event, an earlier deferral or failure) are copied there; copies
  the tool made but could not tag are tagged; then each destination's copies are pruned by its
  retention;
- HTTP / direct: ``{"backupId": ..., "regions"?: [...], "dryRun"?: bool}`` copies one volume, boot
  volume or volume group backup now, to ``regions`` (default: the destination regions), selector or not;
  ``{"drPosture": true}`` answers the DR posture only (nothing written, published or posted).

DR posture (``posture``): every reconcile reports in ``drPosture``, per destination region, which
sources with a backup selected for copying (the reconcile's candidates) have no AVAILABLE copy there
of a backup taken within ``DR_RPO_HOURS``, from the reconcile's own listings: no call of its own.

Volume group backups are copied whole (``CopyVolumeGroupBackup``): the group copy and its member
copies appear in the destination. A member backup of a group is never copied on its own (it is
reported skipped). Group copies follow the same rules as the others below; OCI lists group backups
without a ``sourceVolumeGroupBackupId`` filter, so the destination's group backups are listed and
matched here.

What a copy looks like: it lands in the source backup's compartment of the destination region,
named by the destination's name template, encrypted with the destination's Vault key if one is
set, and carries the source backup's tags (OCI copies them) plus, set by an update in the
destination region after the copy (the copy call itself carries no tags):

- ``backup-managed-by=oci-block-backup``;
- ``backup-source-id=<source backup OCID>`` and ``backup-source-region=<source region>``;
- with ``COPY_LOCK_DAYS`` (or the region's ``COPY_LOCK_DAYS_BY_REGION``), a retention lock of that many
  days (a group copy's members first). A copy not tagged or locked yet is caught up by the reconcile,
  and so is a copy whose source was renamed or re-tagged since (retag-group-backup): the tool's copies
  end with the template's name of their source's final name, and its tags.

A copy whose ``backup-source-id`` is the backup it was copied from (``sourceVolumeBackupId`` /
``sourceBootVolumeBackupId`` / ``sourceVolumeGroupBackupId``) is one the tool made; only those are ever
pruned, and never while locked (``shared.pruning``). A copy of a source
backup made by someone else is left alone, and the source is not copied again.

Limits are first-class. OCI allows 10 volume (and volume group) backup copies in flight from one
source region (per tenancy) and one copy in flight per boot volume; a group copy is counted as one
(assumption: the limit's text does not say how a group's members count). Copies in flight (not yet AVAILABLE in their
destination) are counted before copying; a copy beyond the limits is ``deferred``, never failed,
and so is one OCI refuses with 400 ``LimitExceeded``, 409 ``IncorrectState`` or 429 (after backing
off). A boot volume backup OCI cannot copy (e.g. of a Marketplace image) is ``failed`` with OCI's
reason.

Idempotency: the copy call's ``opc-retry-token`` is derived from (source backup id, destination
region), so duplicate deliveries replay the same request; and before every copy the destination's
copies of the backup (``sourceVolumeBackupId`` / ``sourceBootVolumeBackupId`` /
``sourceVolumeGroupBackupId``) are looked at, so nothing is copied twice: an event lists them, a
reconcile uses its one listing of each destination (per compartment and kind), which also serves the
copies' upkeep and the destination's pruning. Copy names use the source backup's time, so a replay
sends the very same request.

Configuration: the keys and their defaults are in the README's "Configuration" table.
"""

from __future__ import annotations

from functions.copy_backup.copying import copy_now, on_event
from functions.copy_backup.settings import EVENT_KINDS, CopyBackupRequest, CopyBackupSettings, Run
from shared.app import HandlerSpec
from shared.triggers import ScheduleRequest


def on_schedule(invocation: Run, schedule: ScheduleRequest) -> None:
    """The reconcile: what each destination lacks, copied; then each destination pruned."""
    from functions.copy_backup.reconcile import reconcile  # schedules only: an event imports no listing code

    reconcile(invocation)


def on_request(invocation: Run, request: CopyBackupRequest) -> None:
    """One backup copied now, or the DR posture only."""
    if request.dr_posture:
        from functions.copy_backup.reconcile import reconcile

        reconcile(invocation, posture_only=True)
        return
    kind, backup_id = request.backup()
    copy_now(invocation, kind, backup_id, request.regions or invocation.settings.destination_regions, from_event=False)


SPEC = HandlerSpec(
    name="copy_backup",
    settings=CopyBackupSettings,
    request=CopyBackupRequest,
    event_kinds=EVENT_KINDS,
    on_event=on_event,
    on_schedule=on_schedule,
    on_request=on_request,
    route="copy-backup",
)
