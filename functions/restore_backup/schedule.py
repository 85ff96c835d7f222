"""The schedule pass and the HTTP/direct ``verify``: finish what is done in every sandbox, measure the
restore posture, then start the test restores that are due, within the run's caps."""

from functions.restore_backup.coverage import Unit, due_units, list_sources, list_units
from functions.restore_backup.outcomes import RestoreOutcomes
from functions.restore_backup.posture import RestorePosture, measure
from functions.restore_backup.sandbox import Sandbox, due, finish, scan
from functions.restore_backup.settings import Run
from functions.restore_backup.starting import Start, Starter, deferred, job_for, within_caps
from shared.errors import BadRequest
from shared.oci.blockstorage import BackupKind
from shared.oci.errors import NotAuthorizedOrNotFound
from shared.oci.models import LifecycleState
from shared.oci.ocid import parse_ocid
from shared.oci.regions import region_name
from shared.rules import restore as rules
from shared.sweep import scope


def sandbox(invocation: Run, region: str) -> Sandbox:
    return Sandbox(
        invocation.storage_in(region), invocation.settings, invocation.report, invocation.dry_run, invocation.now()
    )


def starter(invocation: Run) -> Starter:
    return Starter(
        invocation.settings,
        invocation.report,
        invocation.storage_in,
        invocation.idempotency_key,
        invocation.idempotency_key,
        invocation.dry_run,
        invocation.now(),
        {},
    )


def schedule_pass(invocation: Run) -> None:
    settings = invocation.settings
    regions = settings.regions(invocation.region)
    outcomes = RestoreOutcomes(settings.kinds, regions, settings.restore_ttl_minutes)
    in_flight: set[str] = set()
    left = 0
    for region in regions:  # first what is done or expired, so the posture counts it
        box = sandbox(invocation, region)
        for kind, resource in scan(box):
            if not due(resource, box):
                in_flight.add(resource.freeform_tags.get(rules.RESTORE_SOURCE_BACKUP, ""))
            elif invocation.deadline.expired():
                left += 1  # the next run (or its event) finishes it
                in_flight.add(resource.freeform_tags.get(rules.RESTORE_SOURCE_BACKUP, ""))
            else:
                outcomes.add(finish(box, kind, resource.id))
    if left:
        invocation.report.note(f"{left} ended test restores left for the next run (out of time)")
    invocation.report.add_section(outcomes)
    units = posture(invocation, regions)
    now = invocation.now()
    due_now = due_units(units[1], now, settings.verify_every_days, in_flight)
    jobs = [job for job in (job_for(u, settings.restore_pick, invocation.region) for u in due_now) if job]
    start_all(invocation, within_caps(jobs, settings, invocation.report))


def posture(invocation: Run, regions: list[str]) -> tuple[RestorePosture, list[Unit]]:
    """Measure the restore posture from the listings (and add it to the report); returns it and its units."""
    settings = invocation.settings
    sources = list_sources(invocation.storage, settings, scope(invocation))
    units = list_units(invocation.storage, invocation.storage_in, sources, regions)
    measured = measure(units, invocation.now(), settings.verify_every_days)
    invocation.report.add_section(measured)
    return measured, units


def start_all(invocation: Run, jobs: list[Start]) -> None:
    start = starter(invocation)
    full: set[str] = set()  # regions where OCI said LimitExceeded in this run
    for job in jobs:
        reason = None
        if invocation.deadline.expired():
            reason = "not started before the deadline; the next run takes it"
        elif job.region in full:
            reason = f"LimitExceeded earlier in this run in {job.region}; the next run takes it"
        if reason:
            invocation.report.add(deferred(job, reason))
            continue
        if not start.start(job):
            full.add(job.region)


def verify_now(invocation: Run, backup_id: str) -> None:
    """``{"verify": "<backup OCID>"}``: a test restore of that backup now, in its region."""
    settings = invocation.settings
    parsed = parse_ocid(backup_id)
    kind = BackupKind.of_ocid(backup_id)
    assert parsed is not None and kind is not None  # checked by the request model
    region = region_name(parsed.region) if parsed.region else invocation.region
    regions = settings.regions(invocation.region)
    if region not in regions:
        raise BadRequest(f"the backup is in {region}, not in RESTORE_REGIONS ({', '.join(regions)})", "verify")
    storage = invocation.storage_in(region)
    try:
        backup = storage.get_backup(kind, backup_id).value
    except NotAuthorizedOrNotFound:
        raise BadRequest(f"no such backup in {region} (or not authorized)", "verify") from None
    if backup.lifecycle_state != LifecycleState.AVAILABLE:
        raise BadRequest(f"the backup is {backup.lifecycle_state}, not AVAILABLE", "verify")
    name, ad = backup.display_name, None
    if region == invocation.region and backup.source_id:
        try:
            source = storage.get_source(kind, backup.source_id).value
            name, ad = source.display_name or name, getattr(source, "availability_domain", None)  # type: ignore[attr-defined]
        except NotAuthorizedOrNotFound:
            pass  # the source is gone: the region's first availability domain
    start_all(invocation, [Start(kind, backup, name, region, ad)])
