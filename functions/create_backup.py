"""create-backup: back up volumes, boot volumes and volume groups; name, tag, and prune them.

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
listings (sources, and backups per compartment and kind): no call of its own. A hand-over run
(``resourceIds``) sweeps part of the fleet and reports none.

Locks: with ``BACKUP_LOCK_DAYS`` (default 0 = off, 1..36500) every backup carries a lock from the create
call itself (``retentionPeriod`` ``{"retentionTimeUnit": "DAYS", "retentionTimeAmount": N}``), of the kind
``BACKUP_LOCK_MODE`` says: ``retention-lock`` (default, ``isRetentionLockEnabled``) or ``prevent-deletion``
(``isPreventDeletionEnabled``). A request's ``lockDays`` may lengthen the lock, never shorten it (400
naming ``lockDays``). Retention never sends a delete to a locked backup (``shared.pruning``): it is
reported ``skipped`` ("locked until ...") and counts as kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from shared.app import HandlerSpec, Invocation, run_bounded
from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.compute import boot_volume_attachments
from shared.oci.errors import (
    IncorrectState,
    InvalidatedRetryToken,
    LimitExceeded,
    NotAuthorizedOrNotFound,
    OciError,
)
from shared.oci.identity import compartment_tree
from shared.oci.models import (
    GONE_STATES,
    IN_PROGRESS_STATES,
    BackupBase,
    BackupType,
    CreateBootVolumeBackupDetails,
    CreateVolumeBackupDetails,
    CreateVolumeGroupBackupDetails,
    LifecycleState,
    LockRequest,
    Tagged,
    TagsUpdate,
)
from shared.oci.ocid import ocid_problem
from shared.oci.retry import RetryPolicy, connection_error, throttled, transient_server_error
from shared.posture import Coverage, ProtectionPosture, last_available, protection_posture
from shared.results import Item, ItemStatus, status_for
from shared.rules.idempotency import retry_token
from shared.rules.locks import MAX_LOCK_DAYS, LockMode, lock_request
from shared.rules.naming import check_template, render
from shared.rules.tags import RUN_KEY, TRIGGER_KEY, copyable_defined, fit, is_managed, marker, run_tag
from shared.settings import CommonSettings, CsvList
from shared.triggers import InputError, OciEvent, TriggerKind

if TYPE_CHECKING:
    from shared.rules.retention import RetentionPolicy

NAME_PLACEHOLDERS = ("name", "kind", "trigger", "type", "date", "time", "region")
KIND_WORDS = {
    BackupKind.VOLUME: "volume",
    BackupKind.BOOT_VOLUME: "bootvolume",
    BackupKind.VOLUME_GROUP: "volumegroup",
}
LAUNCH_INSTANCE_END = "com.oraclecloud.computeapi.launchinstance.end"
EVENT_KINDS = {
    "com.oraclecloud.blockvolumes.createvolume.end": BackupKind.VOLUME,
    "com.oraclecloud.blockvolumes.createbootvolume.end": BackupKind.BOOT_VOLUME,
    "com.oraclecloud.blockvolumes.createvolumegroup.end": BackupKind.VOLUME_GROUP,
    # a boot volume made by launching an instance: found through the instance's boot volume attachment
    LAUNCH_INSTANCE_END: BackupKind.BOOT_VOLUME,
}
# A create that meets a backup already in progress is reported as skipped, not retried for minutes.
CREATE_RETRY = RetryPolicy(max_attempts=4, checkers=(throttled, transient_server_error, connection_error))


class CreateBackupSettings(CommonSettings):
    name_template: str = Field(default="{name}-{type}-{date}-{time}", alias="BACKUP_NAME_TEMPLATE")
    backup_kinds: CsvList = Field(default_factory=lambda: ["volume", "bootvolume", "volumegroup"], alias="BACKUP_KINDS")
    full_every: int = Field(default=0, ge=0, le=1000, alias="FULL_EVERY")
    retention_days: int = Field(default=0, ge=0, le=36500, alias="RETENTION_DAYS")
    retention_count: int = Field(default=0, ge=0, le=10000, alias="RETENTION_COUNT")
    retention_min_keep: int = Field(default=1, ge=1, le=1000, alias="RETENTION_MIN_KEEP")
    rpo_hours: int = Field(default=24, ge=1, le=8760, alias="RPO_HOURS")
    lock_days: int = Field(default=0, ge=0, le=MAX_LOCK_DAYS, alias="BACKUP_LOCK_DAYS")
    lock_mode: LockMode = Field(default=LockMode.RETENTION_LOCK, alias="BACKUP_LOCK_MODE")

    @field_validator("name_template")
    @classmethod
    def _template(cls, value: str) -> str:
        return check_template(value, NAME_PLACEHOLDERS)

    @field_validator("backup_kinds")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(KIND_WORDS.values()))
        if unknown or not value:
            raise ValueError(f"use a comma-separated subset of {', '.join(KIND_WORDS.values())}")
        return value

    @property
    def kinds(self) -> list[BackupKind]:
        return [kind for kind, word in KIND_WORDS.items() if word in self.backup_kinds]

    @property
    def retention(self) -> RetentionPolicy:
        from shared.rules.retention import RetentionPolicy  # pruning only: not on the event path

        return RetentionPolicy(self.retention_days, self.retention_count, self.retention_min_keep)


TARGET_TYPES = {
    "volume_id": ("volume",),
    "boot_volume_id": ("bootvolume",),
    "volume_group_id": ("volumegroup",),
    "compartment_id": ("compartment", "tenancy"),
}


class CreateBackupRequest(BaseModel):
    """The HTTP / direct body: exactly one target, or a posture question (optionally for one compartment)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    volume_id: str | None = Field(default=None, alias="volumeId")
    boot_volume_id: str | None = Field(default=None, alias="bootVolumeId")
    volume_group_id: str | None = Field(default=None, alias="volumeGroupId")
    compartment_id: str | None = Field(default=None, alias="compartmentId")
    type: BackupType | None = None
    dry_run: bool = Field(default=False, alias="dryRun")
    prune: bool = False
    posture: bool = False
    lock_days: int | None = Field(default=None, ge=1, le=MAX_LOCK_DAYS, alias="lockDays")

    @field_validator("volume_id", "boot_volume_id", "volume_group_id", "compartment_id")
    @classmethod
    def _ocid(cls, value: str | None, info: ValidationInfo) -> str | None:
        problem = value is not None and ocid_problem(value, kinds=TARGET_TYPES[str(info.field_name)])
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _one_target(self) -> CreateBackupRequest:
        if self.posture:
            if self.volume_id or self.boot_volume_id or self.volume_group_id or self.type or self.prune:
                raise ValueError("posture takes only an optional compartmentId")
            return self
        given = [n for n in ("volume_id", "boot_volume_id", "volume_group_id", "compartment_id") if getattr(self, n)]
        if len(given) != 1:
            raise ValueError("give exactly one of volumeId, bootVolumeId, volumeGroupId, compartmentId")
        return self

    def target(self) -> tuple[BackupKind | None, str]:
        for kind, attr in (
            (BackupKind.VOLUME, self.volume_id),
            (BackupKind.BOOT_VOLUME, self.boot_volume_id),
            (BackupKind.VOLUME_GROUP, self.volume_group_id),
        ):
            if attr:
                return kind, attr
        return None, self.compartment_id or ""

    @property
    def read_only(self) -> bool:
        return self.posture


@dataclass(frozen=True)
class Target:
    kind: BackupKind
    source: Tagged
    full: bool = False  # FULL requested (event: first backup; request: type FULL)


Run = Invocation[CreateBackupSettings, CreateBackupRequest]


def run(invocation: Run) -> None:
    if invocation.kind is TriggerKind.EVENT:
        _on_event(invocation)
    elif invocation.kind is TriggerKind.SCHEDULE:
        schedule = invocation.schedule
        only = set(schedule.resource_ids) if schedule and schedule.resource_ids else None
        _sweep(invocation, invocation.settings.compartment_ids, only=only, prune=True, backup_type=None)
    else:
        request = invocation.request
        assert request is not None
        configured = invocation.settings.lock_days
        if request.lock_days is not None and request.lock_days < configured:
            raise InputError(
                f"{request.lock_days} is shorter than the configured lock (BACKUP_LOCK_DAYS={configured}); "
                "a request may lengthen the lock, never shorten it",
                "lockDays",
            )
        kind, target_id = request.target()
        if request.posture:
            scope = [target_id] if target_id else invocation.settings.compartment_ids
            _sweep(invocation, scope, only=None, prune=False, backup_type=None, posture_only=True)
        elif kind is None:
            _sweep(invocation, [target_id], only=None, prune=request.prune, backup_type=request.type)
        else:
            source = invocation.storage.get_source(kind, target_id).value
            assert isinstance(source, Tagged)
            _protect(invocation, Target(kind, source, request.type is BackupType.FULL), explicit=True)


def _on_event(invocation: Run) -> None:
    event = invocation.event
    assert event is not None
    kind = EVENT_KINDS[event.event_type]
    resource_id = event.data.resource_id
    launched = event.event_type == LAUNCH_INSTANCE_END
    if not event.succeeded:
        what = "instance launch" if launched else f"{KIND_WORDS[kind]} creation"
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
    except (NotAuthorizedOrNotFound, LookupError) as exc:
        reason = str(exc) if isinstance(exc, LookupError) else "not found in this region"
        invocation.report.add(Item(status=ItemStatus.FAILED, action="backup", resource_id=resource_id, reason=reason))
        return
    assert isinstance(source, Tagged)
    _protect(invocation, Target(kind, source, full=True), explicit=False, first_backup=True)


def _launched_boot_volume(invocation: Run, event: OciEvent) -> str:
    """The boot volume of a launched instance, through its boot volume attachment."""
    data = event.data
    if not data.availability_domain or not data.compartment_id:
        raise LookupError("the launch event names no availability domain or compartment; cannot find the boot volume")
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


def _sweep(
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
    targets = list(_targets(invocation, compartments, only, backup_type is BackupType.FULL))
    histories = _histories(invocation, targets)
    if only is None and (posture_only or invocation.kind is TriggerKind.SCHEDULE):
        invocation.report.set_posture(_posture(invocation, targets, histories))
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
        _protect(invocation, target, explicit=False, prune=prune, history=histories.get(target.source.id, []))

    run_bounded(targets, work, concurrency=settings.max_concurrency, deadline=invocation.deadline, on_deferred=defer)
    if deferred:
        invocation.hand_over(deferred, "resources")


def _targets(invocation: Run, compartments: list[str], only: set[str] | None, full: bool) -> Iterator[Target]:
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


def _histories(invocation: Run, targets: list[Target]) -> dict[str, list[BackupBase]]:
    """The backups of every swept source, by source id: one paged listing per compartment and kind
    (1,000 a page) instead of one listing per source, which halves the requests of a sweep."""
    histories: dict[str, list[BackupBase]] = {}
    for compartment, kind in dict.fromkeys((t.source.compartment_id, t.kind) for t in targets):
        for backup in invocation.storage.list_backups(kind, compartment, limit=1000):
            if backup.source_id:
                histories.setdefault(backup.source_id, []).append(backup)
    return histories


def _posture(invocation: Run, targets: list[Target], histories: dict[str, list[BackupBase]]) -> ProtectionPosture:
    """Which swept resources have a good backup within RPO_HOURS, from the listings made already."""
    coverages = (
        Coverage(
            resource_id=t.source.id,
            name=t.source.display_name,
            kind=KIND_WORDS[t.kind],
            compartment_id=t.source.compartment_id,
            last_at=last_available(histories.get(t.source.id, [])),
        )
        for t in targets
    )
    return protection_posture(coverages, invocation.settings.rpo_hours, invocation.now())


def _protect(
    invocation: Run,
    target: Target,
    *,
    explicit: bool,
    prune: bool = False,
    history: list[BackupBase] | None = None,
    first_backup: bool = False,
) -> None:
    """Back up one source (unless matched out, duplicated or busy), then prune its old backups.

    ``history`` is the source's backups when the caller listed them already (a sweep); otherwise
    they are listed here. A backup started since that listing is still caught: the retry token
    returns it for a duplicate, and OCI refuses a second backup in progress (``IncorrectState``)."""
    settings = invocation.settings
    source = target.source
    storage = invocation.storage
    base = {"action": "backup", "resource_id": source.id, "name": source.display_name}
    try:
        if (
            not explicit
            and settings.selector
            and not settings.selector.matches(source.freeform_tags, source.defined_tags)
        ):
            invocation.report.add(
                Item(status=ItemStatus.SKIPPED, reason=f"does not match SELECTOR {settings.selector}", **base)
            )
            return
        if history is None:
            history = list(storage.list_backups(target.kind, source.compartment_id, source_id=source.id))
        history = [b for b in history if b.lifecycle_state not in GONE_STATES and not _group_member(b)]
        _backup(invocation, target, history, base, first_backup)
        if prune:
            _prune(invocation, target, history)
    except OciError as exc:
        invocation.report.add(Item(status=status_for(exc), reason=str(exc), **base))


def _group_member(backup: BackupBase) -> bool:
    return bool(getattr(backup, "volume_group_backup_id", None))


def _backup(
    invocation: Run, target: Target, history: list[BackupBase], base: dict[str, Any], first_backup: bool = False
) -> None:
    settings = invocation.settings
    source = target.source
    mine = run_tag(invocation.idempotency_key)
    duplicate = next((b for b in history if b.freeform_tags.get(RUN_KEY) == mine), None)
    if duplicate is not None:
        invocation.report.add(
            Item(
                status=ItemStatus.SKIPPED,
                result_id=duplicate.id,
                reason="already backed up by this trigger",
                **base,
            )
        )
        return
    if first_backup:  # a creation event: one first backup, however many events announce the resource
        first = next(
            (b for b in history if is_managed(b.freeform_tags) and b.freeform_tags.get(TRIGGER_KEY) == "event"), None
        )
        if first is not None:
            invocation.report.add(
                Item(status=ItemStatus.SKIPPED, result_id=first.id, reason="already has its first backup", **base)
            )
            return
    busy = next((b for b in history if b.lifecycle_state in IN_PROGRESS_STATES), None)
    if busy is not None:
        invocation.report.add(
            Item(status=ItemStatus.SKIPPED, result_id=busy.id, reason="a backup is already in progress", **base)
        )
        return
    backup_type = BackupType.FULL if target.full or _full_due(settings.full_every, history) else BackupType.INCREMENTAL
    now = invocation.now()
    name = render(settings.name_template, _name_values(source.display_name, target.kind, invocation, backup_type, now))
    own = marker(invocation.kind.value, invocation.idempotency_key, source.id, invocation.call_id)
    tags = fit(source.freeform_tags, {}, own, source.defined_tags)  # OCI copies every defined tag itself
    left_out = f"; {tags.note()}" if tags.left_out else ""
    lock_days = _lock_days(invocation)
    locked = f"; locked {lock_days} days ({settings.lock_mode})" if lock_days else ""
    if invocation.dry_run:
        invocation.report.add(
            Item(
                status=ItemStatus.PLANNED,
                region=invocation.region,
                reason=f"would create {backup_type.value} backup {name!r}{left_out}{locked}",
                **base,
            )
        )
        return
    token = retry_token(invocation.idempotency_key, f"Create{target.kind.spec.name}", source.id, invocation.region)
    defined = copyable_defined(source.defined_tags, settings.copy_defined_tag_namespaces)
    # OCI gives a backup its source's tags by itself: when they leave no room for the markers, the backup is
    # created with the source's tags alone, then its free-form tags are replaced by the fitted set.
    freeform = {} if tags.left_out else tags.freeform
    lock = lock_request(lock_days, settings.lock_mode)
    details = _create_details(target.kind, source.id, name, backup_type, freeform, defined, lock)
    try:
        created = invocation.storage.create_backup(target.kind, details, token, retry=CREATE_RETRY)
    except IncorrectState as exc:
        invocation.report.add(
            Item(
                status=ItemStatus.SKIPPED,
                reason=f"busy: {exc.message}",
                opc_request_id=exc.opc_request_id,
                **base,
            )
        )
        return
    except InvalidatedRetryToken as exc:  # the same backup, asked for by another call (its tags name that call)
        reason = "made by a concurrent run of the same trigger (OCI refused this call's replay of its request)"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason=reason, opc_request_id=exc.opc_request_id, **base))
        return
    except LimitExceeded as exc:
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                reason=f"limit: {exc.message}",
                opc_request_id=exc.opc_request_id,
                **base,
            )
        )
        return
    if tags.left_out:
        try:
            update = TagsUpdate(freeform_tags=tags.freeform)
            invocation.storage.update_backup(target.kind, created.value.id, update)
        except OciError as exc:
            left_out = f"; its markers could not be set, so retention leaves it alone: {exc}"
    invocation.report.add(
        Item(
            status=ItemStatus.CREATED,
            result_id=created.value.id,
            region=invocation.region,
            reason=f"{backup_type.value} backup {created.value.display_name!r}{left_out}{locked}",
            opc_request_id=created.opc_request_id,
            **base,
        )
    )


def _lock_days(invocation: Run) -> int:
    """The configured lock, or the request's when it asks for a longer one (a shorter one was refused)."""
    asked = invocation.request.lock_days if invocation.request is not None else None
    return max(invocation.settings.lock_days, asked or 0)


def _full_due(full_every: int, history: list[BackupBase]) -> bool:
    """FULL when ``full_every`` backups (this one included) have passed since the last FULL."""
    if full_every <= 0:
        return False
    since_full = 0
    for backup in sorted(history, key=lambda b: b.time_created, reverse=True):
        if not is_managed(backup.freeform_tags):
            continue
        if backup.type == BackupType.FULL:
            break
        since_full += 1
    else:
        return True  # no FULL among the tool's backups yet
    return since_full + 1 >= full_every


def _name_values(
    name: str, kind: BackupKind, invocation: Run, backup_type: BackupType, now: datetime
) -> dict[str, str]:
    return {
        "name": name or KIND_WORDS[kind],
        "kind": KIND_WORDS[kind],
        "trigger": invocation.kind.value,
        "type": backup_type.value.lower(),
        "date": now.strftime("%Y-%m-%d"),
        "time": now.strftime("%H%M"),
        "region": invocation.region,
    }


def _create_details(
    kind: BackupKind,
    source_id: str,
    name: str,
    backup_type: BackupType,
    freeform: dict[str, str],
    defined: dict[str, dict[str, Any]],
    lock: LockRequest,
) -> CreateVolumeBackupDetails | CreateBootVolumeBackupDetails | CreateVolumeGroupBackupDetails:
    common: dict[str, Any] = {
        "display_name": name,
        "type": backup_type,
        "freeform_tags": freeform,
        "defined_tags": defined or None,
        **{field: value for field, value in lock if value is not None},  # the lock, in the create call itself
    }
    if kind is BackupKind.VOLUME:
        return CreateVolumeBackupDetails(volume_id=source_id, **common)
    if kind is BackupKind.BOOT_VOLUME:
        return CreateBootVolumeBackupDetails(boot_volume_id=source_id, **common)
    return CreateVolumeGroupBackupDetails(volume_group_id=source_id, **common)


def _prune(invocation: Run, target: Target, history: list[BackupBase]) -> None:
    from shared.pruning import prune_backups  # a sweep only: not on the event path

    storage: BlockStorage = invocation.storage
    prune_backups(invocation, storage, target.kind, history, invocation.settings.retention, "prune")


SPEC = HandlerSpec(
    name="create_backup",
    settings=CreateBackupSettings,
    request=CreateBackupRequest,
    event_types=frozenset(EVENT_KINDS),
    run=run,
    route="create-backup",
)
