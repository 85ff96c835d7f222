"""copy-backup: disaster-recovery copies of finished backups in other regions, limit-aware.

Triggers:
- event ``createvolumebackup.end`` / ``createbootvolumebackup.end``: GET the backup first (an ``.end``
  event is not proof of AVAILABLE; not yet AVAILABLE -> deferred), then copy it to every destination;
- schedule (reconcile): source backups of ``COMPARTMENT_IDS`` that should have a copy in a
  destination and have none are copied; copies missing their tags are tagged; destination copies
  are pruned by that destination's retention (keep-at-least-N guard, only the tool's copies);
- HTTP / direct: ``{"backupId": ..., "regions"?: [...], "dryRun"?: bool}``.

Limits are first-class: at most ``COPY_MAX_IN_FLIGHT`` (10) copies in flight from this region and
one per boot volume; beyond that a copy is ``deferred`` (the next reconcile takes it), never failed.
Every copy call uses a retry token derived from (source backup id, destination region) and is
preceded by a lookup of an existing copy (``sourceVolumeBackupId``), so nothing is copied twice.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.app import HandlerSpec, Invocation, run_bounded
from shared.blockstorage import BackupKind, BlockStorage
from shared.errors import (
    IncorrectState,
    InvalidParameter,
    LimitExceeded,
    NoEtagMatch,
    NotAuthorizedOrNotFound,
    OciError,
    TooManyRequests,
)
from shared.idempotency import retry_token
from shared.identity import compartment_tree
from shared.models import (
    GONE_STATES,
    IN_PROGRESS_STATES,
    BackupBase,
    BootVolumeBackup,
    CopyBackupDetails,
    LifecycleState,
    TagsUpdate,
)
from shared.naming import check_template, render
from shared.results import Item, ItemStatus
from shared.retention import RetentionPolicy, plan_pruning
from shared.retry import RetryPolicy, connection_error, throttled, transient_server_error
from shared.settings import CommonSettings, CsvList, KeyInts, KeyValues, Selector, is_ocid, is_region_name
from shared.tags import SOURCE_KEY, SOURCE_REGION_KEY, contains, is_managed, merge_freeform
from shared.triggers import InputError, TriggerKind

COPY_OF_KEY = "backup-copy-of"
NAME_PLACEHOLDERS = ("name", "kind", "region", "source_region", "date", "time")
EVENT_KINDS = {
    "com.oraclecloud.blockvolumes.createvolumebackup.end": BackupKind.VOLUME,
    "com.oraclecloud.blockvolumes.createbootvolumebackup.end": BackupKind.BOOT_VOLUME,
}
COPY_KINDS = (BackupKind.VOLUME, BackupKind.BOOT_VOLUME)
# IncorrectState / LimitExceeded on a copy mean "not now": defer instead of retrying for minutes.
COPY_RETRY = RetryPolicy(max_attempts=4, checkers=(throttled, transient_server_error, connection_error))


class CopyBackupSettings(CommonSettings):
    destination_regions: CsvList = Field(alias="COPY_DESTINATION_REGIONS")
    copy_selector: Selector = Field(default=None, alias="COPY_SELECTOR")
    copy_all: bool = Field(default=False, alias="COPY_ALL_BACKUPS")
    kms_key_ids: KeyValues = Field(default_factory=dict, alias="COPY_KMS_KEY_IDS")
    name_template: str = Field(default="{name} (DR copy from {source_region})", alias="COPY_NAME_TEMPLATE")
    name_templates: KeyValues = Field(default_factory=dict, alias="COPY_NAME_TEMPLATES")
    retention_days: int = Field(default=0, ge=0, le=36500, alias="COPY_RETENTION_DAYS")
    retention_count: int = Field(default=0, ge=0, le=10000, alias="COPY_RETENTION_COUNT")
    retention_min_keep: int = Field(default=1, ge=1, le=1000, alias="COPY_RETENTION_MIN_KEEP")
    retention_days_by_region: KeyInts = Field(default_factory=dict, alias="COPY_RETENTION_DAYS_BY_REGION")
    retention_count_by_region: KeyInts = Field(default_factory=dict, alias="COPY_RETENTION_COUNT_BY_REGION")
    max_in_flight: int = Field(default=10, ge=1, le=10, alias="COPY_MAX_IN_FLIGHT")
    lookback_days: int = Field(default=7, ge=1, le=3650, alias="COPY_LOOKBACK_DAYS")

    @field_validator("destination_regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one destination region name, e.g. us-phoenix-1")
        for region in value:
            if not is_region_name(region):
                raise ValueError(f"{region!r} is not a region name (e.g. us-phoenix-1)")
        return value

    @field_validator("kms_key_ids")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        for region, key in value.items():
            if not is_region_name(region) or not is_ocid(key):
                raise ValueError(f"expected region=<vault key OCID>, got {region}={key}")
        return value

    @field_validator("name_template")
    @classmethod
    def _template(cls, value: str) -> str:
        return check_template(value, NAME_PLACEHOLDERS)

    @field_validator("name_templates")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        for template in value.values():
            check_template(template, NAME_PLACEHOLDERS)
        return value

    def retention(self, region: str) -> RetentionPolicy:
        return RetentionPolicy(
            self.retention_days_by_region.get(region, self.retention_days),
            self.retention_count_by_region.get(region, self.retention_count),
            self.retention_min_keep,
        )

    def template(self, region: str) -> str:
        return self.name_templates.get(region, self.name_template)

    def wants(self, backup: BackupBase) -> bool:
        """The copy selector: by default the tool's own backups."""
        if self.copy_selector is not None:
            return self.copy_selector.matches(backup.freeform_tags, backup.defined_tags)
        return self.copy_all or is_managed(backup.freeform_tags)


class CopyBackupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    backup_id: str = Field(alias="backupId")
    regions: list[str] | None = Field(default=None, min_length=1, max_length=20)
    dry_run: bool = Field(default=False, alias="dryRun")

    @field_validator("backup_id")
    @classmethod
    def _backup_ocid(cls, value: str) -> str:
        if not is_ocid(value) or value.split(".")[1] not in ("volumebackup", "bootvolumebackup"):
            raise ValueError("must be a volume backup or boot volume backup OCID")
        return value

    @field_validator("regions")
    @classmethod
    def _region_names(cls, value: list[str] | None) -> list[str] | None:
        for region in value or []:
            if not is_region_name(region):
                raise ValueError(f"{region!r} is not a region name")
        return value


Run = Invocation[CopyBackupSettings, CopyBackupRequest]


@dataclass
class Limits:
    """Copies in flight from this region (all destinations) and boot volumes being copied."""

    budget: int
    busy_boot_volumes: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def claim(self, kind: BackupKind, backup: BackupBase) -> str | None:
        """Take a slot for a copy; the reason it must wait otherwise."""
        with self.lock:
            if self.budget <= 0:
                return "copy limit reached: 10 copies in flight from this region; the next reconcile copies it"
            boot_volume = backup.source_id if kind is BackupKind.BOOT_VOLUME else None
            if boot_volume and boot_volume in self.busy_boot_volumes:
                return "a copy of this boot volume is already in flight (one at a time); the next reconcile copies it"
            self.budget -= 1
            if boot_volume:
                self.busy_boot_volumes.add(boot_volume)
            return None

    def release(self, kind: BackupKind, backup: BackupBase) -> None:
        with self.lock:
            self.budget += 1
            if kind is BackupKind.BOOT_VOLUME and backup.source_id:
                self.busy_boot_volumes.discard(backup.source_id)


def run(invocation: Run) -> None:
    settings = invocation.settings
    if invocation.kind is TriggerKind.EVENT:
        event = invocation.event
        assert event is not None
        kind = EVENT_KINDS[event.event_type]
        if not event.succeeded:
            invocation.report.add(
                Item(
                    status=ItemStatus.SKIPPED,
                    action="copy",
                    resource_id=event.data.resource_id,
                    name=event.data.resource_name,
                    reason=f"the backup did not succeed ({event.status}); nothing to copy",
                )
            )
            return
        _copy_one(invocation, kind, event.data.resource_id, settings.destination_regions, check_selector=True)
    elif invocation.kind is TriggerKind.SCHEDULE:
        _reconcile(invocation)
    else:
        request = invocation.request
        assert request is not None
        request_kind = BackupKind.of_ocid(request.backup_id)
        assert request_kind is not None
        _copy_one(
            invocation,
            request_kind,
            request.backup_id,
            request.regions or settings.destination_regions,
            check_selector=False,
        )


def _copy_one(invocation: Run, kind: BackupKind, backup_id: str, regions: list[str], *, check_selector: bool) -> None:
    try:
        backup = invocation.storage.get_backup(kind, backup_id).value
    except NotAuthorizedOrNotFound:
        if invocation.kind is not TriggerKind.EVENT:
            raise
        invocation.report.add(
            Item(
                status=ItemStatus.FAILED,
                action="copy",
                resource_id=backup_id,
                reason=f"not found in {invocation.region}",
            )
        )
        return
    base = {"action": "copy", "resource_id": backup.id, "name": backup.display_name}
    if check_selector and not invocation.settings.wants(backup):
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason="does not match the copy selector", **base))
        return
    if backup.copied_from:
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason="is itself a copy; not copied again", **base))
        return
    if backup.lifecycle_state != LifecycleState.AVAILABLE:
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                reason=f"backup is {backup.lifecycle_state}, not AVAILABLE yet; the next reconcile copies it",
                **base,
            )
        )
        return
    limits = _limits(invocation, [backup.compartment_id], regions)
    for region in regions:
        existing = _existing_copies(invocation.storage_in(region), kind, backup.compartment_id, backup.id)
        _copy_to(invocation, kind, backup, region, existing.get(backup.id, []), limits)


def _limits(invocation: Run, compartments: list[str], regions: list[str]) -> Limits:
    """Count copies in flight in the destinations that came from this region."""
    limits = Limits(invocation.settings.max_in_flight)
    for region in regions:
        storage = invocation.storage_in(region)
        for copy_kind in COPY_KINDS:
            for compartment in compartments:
                for state in (LifecycleState.REQUEST_RECEIVED, LifecycleState.CREATING):
                    for backup in storage.list_backups(copy_kind, compartment, lifecycle_state=state.value):
                        if not backup.copied_from:
                            continue
                        if backup.freeform_tags.get(SOURCE_REGION_KEY, invocation.region) != invocation.region:
                            continue
                        limits.budget -= 1
                        if copy_kind is BackupKind.BOOT_VOLUME and backup.source_id:
                            limits.busy_boot_volumes.add(backup.source_id)
    return limits


def _existing_copies(
    storage: BlockStorage, kind: BackupKind, compartment: str, source_backup_id: str | None = None
) -> dict[str, list[BackupBase]]:
    """Live copies in ``storage``'s region, by the id of the backup they were copied from."""
    copies: dict[str, list[BackupBase]] = defaultdict(list)
    for backup in storage.list_backups(kind, compartment, copied_from=source_backup_id):
        if backup.copied_from and backup.lifecycle_state not in GONE_STATES and backup.lifecycle_state != "FAULTY":
            copies[backup.copied_from].append(backup)
    return copies


def _wanted_tags(invocation: Run, backup: BackupBase) -> dict[str, str]:
    return merge_freeform(
        backup.freeform_tags,
        {
            COPY_OF_KEY: backup.id,
            SOURCE_REGION_KEY: invocation.region,
            SOURCE_KEY: backup.freeform_tags.get(SOURCE_KEY) or backup.source_id or "",
        },
    )


def _copy_to(
    invocation: Run,
    kind: BackupKind,
    backup: BackupBase,
    region: str,
    existing: list[BackupBase],
    limits: Limits,
) -> None:
    base: dict[str, Any] = {"action": "copy", "resource_id": backup.id, "name": backup.display_name, "region": region}
    if region == invocation.region:
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason="destination is the source region", **base))
        return
    wanted = _wanted_tags(invocation, backup)
    if existing:
        copy = existing[0]
        if contains(copy.freeform_tags, wanted):
            invocation.report.add(Item(status=ItemStatus.SKIPPED, result_id=copy.id, reason="already copied", **base))
        else:
            _tag_copy(invocation, kind, region, copy.id, wanted, base | {"action": "tag-copy"})
        return
    now = invocation.now()
    name = render(
        invocation.settings.template(region),
        {
            "name": backup.display_name,
            "kind": kind.spec.label.replace(" ", ""),
            "region": region,
            "source_region": invocation.region,
            "date": now.strftime("%Y-%m-%d"),
            "time": now.strftime("%H%M"),
        },
    )
    if invocation.dry_run:
        invocation.report.add(Item(status=ItemStatus.PLANNED, reason=f"would copy as {name!r}", **base))
        return
    waiting = limits.claim(kind, backup)
    if waiting:
        invocation.report.add(Item(status=ItemStatus.DEFERRED, reason=waiting, **base))
        return
    details = CopyBackupDetails(
        destination_region=region, display_name=name, kms_key_id=invocation.settings.kms_key_ids.get(region)
    )
    token = retry_token(f"copy#{backup.id}", f"Copy{kind.spec.name}", backup.id, region)
    try:
        copied = invocation.storage.copy_backup(kind, backup.id, details, token, retry=COPY_RETRY)
    except (IncorrectState, LimitExceeded, TooManyRequests) as exc:
        limits.release(kind, backup)
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                reason=f"OCI said not now: {exc.message}",
                opc_request_id=exc.opc_request_id,
                **base,
            )
        )
        return
    except InvalidParameter as exc:
        limits.release(kind, backup)
        reason = exc.message
        if isinstance(backup, BootVolumeBackup):
            reason = f"OCI cannot copy this boot volume backup: {exc.message}"
        invocation.report.add(Item(status=ItemStatus.FAILED, reason=reason, opc_request_id=exc.opc_request_id, **base))
        return
    invocation.report.add(
        Item(
            status=ItemStatus.COPIED,
            result_id=copied.value.id,
            reason=f"copy {copied.value.display_name!r} is {copied.value.lifecycle_state}",
            opc_request_id=copied.opc_request_id,
            **base,
        )
    )
    _tag_copy(invocation, kind, region, copied.value.id, wanted, None)


def _tag_copy(
    invocation: Run, kind: BackupKind, region: str, copy_id: str, wanted: dict[str, str], item: dict[str, Any] | None
) -> None:
    """Tag a copy in its destination region (the copy call carries no tags); etag-guarded."""
    storage = invocation.storage_in(region)
    if invocation.dry_run:
        if item:
            invocation.report.add(Item(status=ItemStatus.PLANNED, reason="would add the copy's tags", **item))
        return
    for _ in range(3):
        current = storage.get_backup(kind, copy_id)
        tags = merge_freeform(current.value.freeform_tags, wanted)
        try:
            updated = storage.update_backup(kind, copy_id, TagsUpdate(freeform_tags=tags), if_match=current.etag)
        except NoEtagMatch:
            continue
        except OciError as exc:
            invocation.report.note(f"copy {copy_id} in {region} not tagged yet ({exc}); the next reconcile retries")
            return
        if item:
            invocation.report.add(
                Item(
                    status=ItemStatus.UPDATED,
                    result_id=copy_id,
                    reason="tagged the copy",
                    opc_request_id=updated.opc_request_id,
                    **item,
                )
            )
        return
    invocation.report.note(f"copy {copy_id} in {region} kept changing; tags left for the next reconcile")


def _reconcile(invocation: Run) -> None:
    settings = invocation.settings
    compartments = settings.compartment_ids
    if not compartments:
        raise InputError("no compartments to reconcile: set COMPARTMENT_IDS", "COMPARTMENT_IDS")
    if settings.include_subcompartments:
        compartments = compartment_tree(invocation.client, invocation.region, compartments, invocation.call_deadline)
    regions = [r for r in settings.destination_regions if r != invocation.region]
    limits = _limits(invocation, compartments, regions)
    cutoff = invocation.now() - timedelta(days=settings.lookback_days)
    work = list(_missing(invocation, compartments, regions, cutoff))

    def copy(task: tuple[BackupKind, BackupBase, str, list[BackupBase]]) -> None:
        kind, backup, region, existing = task
        try:
            _copy_to(invocation, kind, backup, region, existing, limits)
        except OciError as exc:
            invocation.report.add(
                Item(status=ItemStatus.FAILED, action="copy", resource_id=backup.id, region=region, reason=str(exc))
            )

    def defer(task: tuple[BackupKind, BackupBase, str, list[BackupBase]]) -> None:
        _, backup, region, _ = task
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                action="copy",
                resource_id=backup.id,
                name=backup.display_name,
                region=region,
                reason="not started before the deadline; the next reconcile copies it",
            )
        )

    run_bounded(work, copy, concurrency=settings.max_concurrency, deadline=invocation.deadline, on_deferred=defer)
    for region in regions:
        for kind in COPY_KINDS:
            for compartment in compartments:
                _prune(invocation, invocation.storage_in(region), kind, compartment, region)


def _missing(
    invocation: Run, compartments: list[str], regions: list[str], cutoff: datetime
) -> Iterator[tuple[BackupKind, BackupBase, str, list[BackupBase]]]:
    """(kind, source backup, destination, its existing copies) for every wanted source backup."""
    for compartment in compartments:
        for kind in COPY_KINDS:
            sources = [
                b
                for b in invocation.storage.list_backups(kind, compartment, lifecycle_state="AVAILABLE")
                if not b.copied_from and b.time_created >= cutoff and invocation.settings.wants(b)
            ]
            if not sources:
                continue
            for region in regions:
                copies = _existing_copies(invocation.storage_in(region), kind, compartment)
                for backup in sources:
                    existing = copies.get(backup.id, [])
                    if existing and contains(existing[0].freeform_tags, _wanted_tags(invocation, backup)):
                        continue  # copied and tagged: nothing to do, nothing to report
                    yield kind, backup, region, existing


def _prune(invocation: Run, storage: BlockStorage, kind: BackupKind, compartment: str, region: str) -> None:
    policy = invocation.settings.retention(region)
    if not policy.active:
        return
    by_source: dict[str, list[BackupBase]] = defaultdict(list)
    for copy in storage.list_backups(kind, compartment):
        if copy.copied_from and is_managed(copy.freeform_tags) and copy.lifecycle_state not in IN_PROGRESS_STATES:
            if copy.freeform_tags.get(SOURCE_REGION_KEY, invocation.region) != invocation.region:
                continue
            by_source[copy.freeform_tags.get(SOURCE_KEY) or copy.source_id or copy.copied_from].append(copy)
    for copies in by_source.values():
        for expired in plan_pruning(copies, policy, invocation.now()):
            copy = expired.backup
            base = {"action": "prune-copy", "resource_id": copy.id, "name": copy.display_name, "region": region}
            if invocation.dry_run:
                invocation.report.add(Item(status=ItemStatus.PLANNED, reason=f"would delete: {expired.reason}", **base))
                continue
            try:
                request_id = storage.delete_backup(kind, copy.id)
            except OciError as exc:
                invocation.report.add(Item(status=ItemStatus.FAILED, reason=str(exc), **base))
                continue
            invocation.report.add(
                Item(status=ItemStatus.DELETED, reason=expired.reason, opc_request_id=request_id, **base)
            )


SPEC = HandlerSpec(
    name="copy_backup",
    settings=CopyBackupSettings,
    request=CopyBackupRequest,
    event_types=frozenset(EVENT_KINDS),
    run=run,
    route="copy-backup",
)
