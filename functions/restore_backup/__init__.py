"""restore-backup: prove that backups restore, measure how long it takes, count it in the posture.

Parts: ``settings`` (config keys, the request), ``coverage`` (which resources need a test, from the
listings), ``starting`` (the create call into the sandbox, caps, limits), ``sandbox`` (check, record,
guarded delete, leftovers), ``posture`` and ``outcomes`` (the report's sections), ``schedule`` (the
schedule pass and ``verify``). This module reads the trigger and dispatches.

Triggers:
- event ``createvolume.end`` / ``createbootvolume.end`` / ``createvolumegroup.end`` of a resource in
  ``RESTORE_COMPARTMENT_ID`` (the sandbox): check the test restore, delete it, record the result on its
  source backup; anything outside the sandbox or without the ``restore-test`` tag is never touched;
- schedule: in every region of ``RESTORE_REGIONS`` finish the test restores that ended, timed out
  (``RESTORE_TIMEOUT_MINUTES``) or expired (``RESTORE_TTL_MINUTES``: leftovers), measure the restore
  posture, then start the tests that are due (``VERIFY_EVERY_DAYS``), least recently verified first,
  within ``RESTORES_PER_RUN`` and ``RESTORE_MAX_GB_PER_RUN``;
- HTTP / direct: ``{"verify": "<backup OCID>"}`` starts a test restore of that backup now (its region must
  be in ``RESTORE_REGIONS``); ``{"restorePosture": true}`` answers the coverage, read-only;
  ``{"recover": {...}}`` is recovery mode (``recovery``): a plan, its apply (``planId``), its progress
  (``"status": true``).
"""

from __future__ import annotations

from functions.restore_backup.settings import EVENT_KINDS, RestoreBackupSettings, RestoreRequest, Run
from shared.app import HandlerSpec
from shared.oci.blockstorage import BackupKind
from shared.triggers import OciEvent, ScheduleRequest


def on_event(invocation: Run, event: OciEvent, kind: BackupKind) -> None:
    """A test restore ended: check it, delete it, record it (the event's time is when it became AVAILABLE)."""
    from functions.restore_backup.outcomes import RestoreOutcomes
    from functions.restore_backup.sandbox import finish
    from functions.restore_backup.schedule import sandbox
    from shared.rules.times import parse_time

    outcomes = RestoreOutcomes([kind], [invocation.region], invocation.settings.restore_ttl_minutes)
    outcomes.add(
        finish(sandbox(invocation, invocation.region), kind, event.data.resource_id, parse_time(event.event_time))
    )
    invocation.report.add_section(outcomes)


def on_schedule(invocation: Run, schedule: ScheduleRequest) -> None:
    from functions.restore_backup.schedule import schedule_pass

    schedule_pass(invocation)


def on_request(invocation: Run, request: RestoreRequest) -> None:
    from functions.restore_backup.schedule import posture, verify_now

    if request.recover is not None:
        from functions.restore_backup.recovery import recover

        recover(invocation, request.recover, request.status)
        return
    if request.restore_posture:
        posture(invocation, invocation.settings.regions(invocation.region))
        return
    assert request.verify is not None
    verify_now(invocation, request.verify)


SPEC = HandlerSpec(
    name="restore_backup",
    settings=RestoreBackupSettings,
    request=RestoreRequest,
    event_kinds=EVENT_KINDS,
    on_event=on_event,
    on_schedule=on_schedule,
    on_request=on_request,
    route="restore-backup",
)
