"""copy-backup: disaster-recovery copies of finished backups in other regions, limit-aware.

Triggers:
- event ``createvolumebackup.end`` / ``createbootvolumebackup.end``: the backup is read first (an
  ``.end`` event is not proof of AVAILABLE: not AVAILABLE yet -> ``deferred``, the next reconcile
  takes it); if it matches the copy selector it is copied to every destination region;
- schedule (reconcile): AVAILABLE source backups of ``COMPARTMENT_IDS`` (and children with
  ``INCLUDE_SUBCOMPARTMENTS``) from the last ``COPY_LOOKBACK_DAYS`` that match the selector and have
  no copy in a destination (a lost event, an earlier deferral or failure) are copied there; copies
  the tool made but could not tag are tagged; then each destination's copies are pruned by its
  retention;
- HTTP / direct: ``{"backupId": ..., "regions"?: [...], "dryRun"?: bool}`` copies one volume or
  boot volume backup now, to ``regions`` (default: the destination regions), selector or not.

What a copy looks like: it lands in the source backup's compartment of the destination region,
named by the destination's name template, encrypted with the destination's Vault key if one is
set, and carries the source backup's tags (OCI copies them) plus, set by an update in the
destination region after the copy (the copy call itself carries no tags):

- ``backup-managed-by=oci-block-backup``;
- ``backup-source-id=<source backup OCID>`` and ``backup-source-region=<source region>``.

A copy whose ``backup-source-id`` is the backup it was copied from (``sourceVolumeBackupId`` /
``sourceBootVolumeBackupId``) is one the tool made; only those are ever pruned. A copy of a source
backup made by someone else is left alone, and the source is not copied again.

Limits are first-class. OCI allows 10 volume backup copies in flight from one source region (per
tenancy) and one copy in flight per boot volume. Copies in flight (not yet AVAILABLE in their
destination) are counted before copying; a copy beyond the limits is ``deferred``, never failed,
and so is one OCI refuses with 400 ``LimitExceeded``, 409 ``IncorrectState`` or 429 (after backing
off). A boot volume backup OCI cannot copy (e.g. of a Marketplace image) is ``failed`` with OCI's
reason. Volume group backups and their member backups are not copied.

Idempotency: the copy call's ``opc-retry-token`` is derived from (source backup id, destination
region), so duplicate deliveries replay the same request; and before every copy the destination is
searched for an existing copy of the backup (by ``sourceVolumeBackupId``), so nothing is copied
twice. Copy names use the source backup's time, so a replay sends the very same request.

Configuration (function config keys; ``<region>=<value>`` maps are comma-separated):

- ``COPY_DESTINATION_REGIONS`` (required): comma-separated region names, e.g.
  ``us-phoenix-1,eu-frankfurt-1``; the function's own region is ignored if listed.
- ``COPY_SELECTOR`` (default: empty): ``key=value`` (freeform) or ``namespace.key=value`` (defined tag)
  a backup must carry to be copied on an event or a reconcile; empty means the tool's own backups
  (``backup-managed-by=oci-block-backup``).
- ``COPY_ALL_BACKUPS`` (default ``false``): with no ``COPY_SELECTOR``, copy every backup, not only the
  tool's.
- ``COPY_KMS_KEY_IDS`` (default: none): ``<region>=<Vault key OCID in that region>,...``; a
  destination without a key gets an Oracle-managed key.
- ``COPY_NAME_TEMPLATE`` (default ``{name} (DR copy from {source_region})``): the copy's display name;
  placeholders ``{name}`` (the source backup's name), ``{kind}`` (volume / bootvolume),
  ``{region}`` (destination), ``{source_region}``, ``{date}`` / ``{time}`` (when the source backup
  was taken, UTC, ``YYYY-MM-DD`` / ``HHMM``).
- ``COPY_NAME_TEMPLATES`` (default: none): ``<region>=<template>,...`` per destination (no commas
  inside a template).
- ``COPY_RETENTION_DAYS`` (default ``0``, off): delete the tool's copies older than this many days.
- ``COPY_RETENTION_COUNT`` (default ``0``, off): keep only this many newest copies per source volume.
- ``COPY_RETENTION_DAYS_BY_REGION`` / ``COPY_RETENTION_COUNT_BY_REGION`` (default: none):
  ``<region>=<n>,...`` overrides of the two above for one destination.
- ``COPY_RETENTION_MIN_KEEP`` (default ``1``, at least 1): whatever the retention says, the newest
  this many AVAILABLE copies of a source volume in a destination stay; the last AVAILABLE copy is
  never deleted. Retention is applied by the reconcile (schedule) run only, and a reconcile does not
  copy backups the destination's retention would delete at once.
- ``COPY_MAX_IN_FLIGHT`` (default ``10``, 1..10): volume backup copies the function lets be in flight
  from its region at a time (OCI's limit is 10).
- ``COPY_LOOKBACK_DAYS`` (default ``7``): how far back a reconcile looks for source backups without
  a copy.

Common keys (``COMPARTMENT_IDS``, ``INCLUDE_SUBCOMPARTMENTS``, ``DRY_RUN``, ``MAX_CONCURRENCY``,
``NOTIFICATION_TOPIC_ID``, ...) work as for every function.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.app import HandlerSpec, Invocation, run_bounded
from shared.blockstorage import BackupKind, BlockStorage
from shared.errors import (
    DeadlineExceeded,
    IncorrectState,
    InvalidatedRetryToken,
    InvalidParameter,
    LimitExceeded,
    NoEtagMatch,
    NotAuthorizedOrNotFound,
    OciError,
    OciServiceError,
    TooManyRequests,
)
from shared.idempotency import retry_token
from shared.identity import compartment_tree
from shared.models import (
    GONE_STATES,
    IN_PROGRESS_STATES,
    BackupBase,
    CopyBackupDetails,
    LifecycleState,
    TagsUpdate,
)
from shared.naming import check_template, render
from shared.results import Item, ItemStatus
from shared.retention import RetentionPolicy, plan_pruning
from shared.retry import RetryPolicy, connection_error, throttled, transient_server_error
from shared.settings import CommonSettings, CsvList, KeyInts, KeyValues, Selector, is_ocid, is_region_name
from shared.tags import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    SOURCE_KEY,
    SOURCE_REGION_KEY,
    contains,
    is_managed,
    merge_freeform,
)
from shared.triggers import InputError, TriggerKind

OCI_MAX_IN_FLIGHT = 10
NAME_PLACEHOLDERS = ("name", "kind", "region", "source_region", "date", "time")
KIND_WORDS = {BackupKind.VOLUME: "volume", BackupKind.BOOT_VOLUME: "bootvolume"}
EVENT_KINDS = {
    "com.oraclecloud.blockvolumes.createvolumebackup.end": BackupKind.VOLUME,
    "com.oraclecloud.blockvolumes.createbootvolumebackup.end": BackupKind.BOOT_VOLUME,
}
COPY_KINDS = (BackupKind.VOLUME, BackupKind.BOOT_VOLUME)
COPYING_STATES = (LifecycleState.REQUEST_RECEIVED, LifecycleState.CREATING)
# 429 and 5xx are backed off and retried (same retry token); IncorrectState / LimitExceeded mean
# "not now": the copy is deferred to the next reconcile instead of retried for minutes.
COPY_RETRY = RetryPolicy(max_attempts=4, checkers=(throttled, transient_server_error, connection_error))
TAG_ATTEMPTS = 3


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
    max_in_flight: int = Field(default=OCI_MAX_IN_FLIGHT, ge=1, le=OCI_MAX_IN_FLIGHT, alias="COPY_MAX_IN_FLIGHT")
    lookback_days: int = Field(default=7, ge=1, le=3650, alias="COPY_LOOKBACK_DAYS")

    @field_validator("destination_regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one destination region name, e.g. us-phoenix-1")
        for region in value:
            if not is_region_name(region):
                raise ValueError(f"{region!r} is not a region name (e.g. us-phoenix-1)")
        return list(dict.fromkeys(value))

    @field_validator("kms_key_ids")
    @classmethod
    def _keys(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        _check_region_keys(value, info)
        for region, key in value.items():
            if not is_ocid(key):
                raise ValueError(f"expected <region>=<Vault key OCID>, got {region}={key}")
        return value

    @field_validator("name_template")
    @classmethod
    def _template(cls, value: str) -> str:
        return check_template(value, NAME_PLACEHOLDERS)

    @field_validator("name_templates")
    @classmethod
    def _templates(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        _check_region_keys(value, info)
        for template in value.values():
            check_template(template, NAME_PLACEHOLDERS)
        return value

    @field_validator("retention_days_by_region", "retention_count_by_region")
    @classmethod
    def _per_region(cls, value: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        _check_region_keys(value, info)
        for region, number in value.items():
            if number < 0:
                raise ValueError(f"{region}={number}: must be 0 (off) or more")
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


def _check_region_keys(value: dict[str, Any], info: ValidationInfo) -> None:
    """A per-region entry must name one of COPY_DESTINATION_REGIONS (a typo would be ignored silently)."""
    destinations = info.data.get("destination_regions")
    for region in value:
        if not is_region_name(region):
            raise ValueError(f"{region!r} is not a region name (expected <region>=<value>)")
        if destinations is not None and region not in destinations:
            raise ValueError(f"{region} is not one of COPY_DESTINATION_REGIONS ({','.join(destinations)})")


class CopyBackupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

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
                raise ValueError(f"{region!r} is not a region name (e.g. us-phoenix-1)")
        return list(dict.fromkeys(value)) if value is not None else None


Run = Invocation[CopyBackupSettings, CopyBackupRequest]


# --- limits -----------------------------------------------------------------------------------


@dataclass
class Limits:
    """Room for copies from this region: the volume backup copy pool and the boot volumes being copied."""

    source_region: str
    budget: int
    busy_boot_volumes: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: BackupKind, copies: Iterable[BackupBase]) -> None:
        """Take the slots of copies already in flight (not yet AVAILABLE) from this region."""
        with self.lock:
            for copy in copies:
                if not _in_flight_from(copy, self.source_region):
                    continue
                if kind is BackupKind.BOOT_VOLUME:
                    self.busy_boot_volumes.add(copy.source_id or copy.copied_from or copy.id)
                else:
                    self.budget -= 1

    def claim(self, kind: BackupKind, backup: BackupBase) -> str | None:
        """Take a slot for a copy; the reason it has to wait otherwise."""
        with self.lock:
            if kind is BackupKind.BOOT_VOLUME:
                boot_volume = backup.source_id or backup.id
                if boot_volume in self.busy_boot_volumes:
                    return (
                        "a copy of a backup of this boot volume is already in flight (OCI copies one at a "
                        "time); the next reconcile copies it"
                    )
                self.busy_boot_volumes.add(boot_volume)
                return None
            if self.budget <= 0:
                return (
                    f"copy limit reached: volume backup copies in flight from {self.source_region} are at the "
                    f"limit (OCI allows {OCI_MAX_IN_FLIGHT}); the next reconcile copies it"
                )
            self.budget -= 1
            return None

    def release(self, kind: BackupKind, backup: BackupBase) -> None:
        with self.lock:
            if kind is BackupKind.BOOT_VOLUME:
                self.busy_boot_volumes.discard(backup.source_id or backup.id)
            else:
                self.budget += 1

    def exhaust(self) -> None:
        """OCI said the pool is full (copies we cannot see, e.g. in other compartments)."""
        with self.lock:
            self.budget = 0


def _in_flight_from(copy: BackupBase, source_region: str) -> bool:
    if not copy.copied_from or copy.lifecycle_state not in COPYING_STATES:
        return False
    # Untagged copies are counted too: better one copy deferred than a refused one.
    return copy.freeform_tags.get(SOURCE_REGION_KEY, source_region) == source_region


# --- triggers ---------------------------------------------------------------------------------


def run(invocation: Run) -> None:
    if invocation.kind is TriggerKind.EVENT:
        _on_event(invocation)
    elif invocation.kind is TriggerKind.SCHEDULE:
        _reconcile(invocation)
    else:
        request = invocation.request
        assert request is not None
        kind = BackupKind.of_ocid(request.backup_id)
        assert kind is not None
        regions = request.regions or invocation.settings.destination_regions
        _copy_now(invocation, kind, request.backup_id, regions, from_event=False)


def _on_event(invocation: Run) -> None:
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
    _copy_now(invocation, kind, event.data.resource_id, invocation.settings.destination_regions, from_event=True)


def _copy_now(invocation: Run, kind: BackupKind, backup_id: str, regions: list[str], *, from_event: bool) -> None:
    """Event and HTTP/direct: one backup, read first, copied to each region that has no copy yet."""
    try:
        backup = invocation.storage.get_backup(kind, backup_id).value
    except NotAuthorizedOrNotFound as exc:
        if not from_event:
            raise  # HTTP / direct: 404 for the caller
        invocation.report.add(
            Item(
                status=ItemStatus.FAILED,
                action="copy",
                resource_id=backup_id,
                reason=f"not found in {invocation.region} (deleted, or not visible to the function)",
                opc_request_id=exc.opc_request_id,
            )
        )
        return
    base = {"action": "copy", "resource_id": backup.id, "name": backup.display_name}
    if from_event and not invocation.settings.wants(backup):
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason="does not match the copy selector", **base))
        return
    if backup.copied_from:
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason="is itself a copy; not copied again", **base))
        return
    state = backup.lifecycle_state
    if state in IN_PROGRESS_STATES:
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                reason=f"backup is {state}, not AVAILABLE yet; the next reconcile copies it",
                **base,
            )
        )
        return
    if state != LifecycleState.AVAILABLE:
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason=f"backup is {state}; nothing to copy", **base))
        return
    destinations = []
    for region in regions:
        if region == invocation.region:
            invocation.report.add(
                Item(status=ItemStatus.SKIPPED, region=region, reason="destination is the source region", **base)
            )
        else:
            destinations.append(region)
    if not destinations:
        return
    limits = _limits_for(invocation, kind, backup, destinations)
    for region in destinations:
        _copy_to(invocation, kind, backup, region, limits)


def _limits_for(invocation: Run, kind: BackupKind, backup: BackupBase, regions: list[str]) -> Limits:
    """Copies of ``kind`` in flight from this region, in every destination we know of."""
    limits = Limits(invocation.region, invocation.settings.max_in_flight)
    known = dict.fromkeys([*invocation.settings.destination_regions, *regions])
    boot_volume = backup.source_id if kind is BackupKind.BOOT_VOLUME else None
    for region in known:
        if region == invocation.region:
            continue
        storage = invocation.storage_in(region)
        try:
            for state in COPYING_STATES:
                copies = list(
                    storage.list_backups(kind, backup.compartment_id, source_id=boot_volume, lifecycle_state=state)
                )
                limits.count(kind, copies)
        except OciError as exc:  # OCI's own limit check still answers for that region
            invocation.report.note(f"could not count the copies in flight in {region}: {exc}")
    return limits


# --- one copy ---------------------------------------------------------------------------------


def _copy_name(invocation: Run, kind: BackupKind, backup: BackupBase, region: str) -> str:
    """Deterministic for a (backup, region): a replayed request is the very same request."""
    taken = backup.time_created
    values = {
        "name": backup.display_name or KIND_WORDS[kind],
        "kind": KIND_WORDS[kind],
        "region": region,
        "source_region": invocation.region,
        "date": taken.strftime("%Y-%m-%d"),
        "time": taken.strftime("%H%M"),
    }
    return render(invocation.settings.template(region), values)


def _wanted_tags(backup: BackupBase, source_region: str) -> dict[str, str]:
    return {MANAGED_BY_KEY: MANAGED_BY_VALUE, SOURCE_KEY: backup.id, SOURCE_REGION_KEY: source_region}


def _made_by_tool(copy: BackupBase) -> bool:
    """A copy the tool made and tagged: its ``backup-source-id`` is the backup it was copied from."""
    return bool(copy.copied_from) and copy.freeform_tags.get(SOURCE_KEY) == copy.copied_from


def _live_copies(storage: BlockStorage, kind: BackupKind, backup: BackupBase) -> tuple[list[BackupBase], int]:
    """Copies of ``backup`` in ``storage``'s region (newest first), and how many were deleted or broke."""
    live: list[BackupBase] = []
    replaced = 0
    for copy in storage.list_backups(kind, backup.compartment_id, copied_from=backup.id):
        if copy.copied_from != backup.id:
            continue
        if copy.lifecycle_state in GONE_STATES or copy.lifecycle_state == LifecycleState.FAULTY:
            replaced += 1
        else:
            live.append(copy)
    live.sort(key=lambda c: c.time_request_received or c.time_created, reverse=True)
    return live, replaced


def _copy_token(kind: BackupKind, backup_id: str, region: str, replaced: int) -> str:
    """From (source backup, destination); a copy that was deleted since gets a new token (OCI keeps one 24 h)."""
    key = "copy_backup" if not replaced else f"copy_backup#replaced-{replaced}"
    return retry_token(key, f"Copy{kind.spec.name}", backup_id, region)


def _copy_to(invocation: Run, kind: BackupKind, backup: BackupBase, region: str, limits: Limits) -> None:
    """Copy one backup to one region, unless a copy is there already; never raises for OCI errors."""
    base: dict[str, Any] = {"action": "copy", "resource_id": backup.id, "name": backup.display_name, "region": region}
    name = _copy_name(invocation, kind, backup, region)
    try:
        live, replaced = _live_copies(invocation.storage_in(region), kind, backup)
        if live:
            _existing_copy(invocation, kind, backup, region, live[0], name, base)
            return
        waiting = limits.claim(kind, backup)
        if waiting:
            invocation.report.add(Item(status=ItemStatus.DEFERRED, reason=waiting, **base))
            return
        key_id = invocation.settings.kms_key_ids.get(region)
        if invocation.dry_run:
            with_key = f" with Vault key {key_id}" if key_id else ""
            invocation.report.add(Item(status=ItemStatus.PLANNED, reason=f"would copy as {name!r}{with_key}", **base))
            return
        details = CopyBackupDetails(destination_region=region, display_name=name, kms_key_id=key_id)
        token = _copy_token(kind, backup.id, region, replaced)
        try:
            copied = invocation.storage.copy_backup(kind, backup.id, details, token, retry=COPY_RETRY)
        except OciServiceError as exc:
            _refused(invocation, kind, backup, limits, exc, base)
            return
        _after_copy(invocation, kind, backup, region, copied.value, copied.opc_request_id, base)
    except DeadlineExceeded as exc:
        invocation.report.add(Item(status=ItemStatus.DEFERRED, reason=f"{exc}; the next reconcile copies it", **base))
    except OciError as exc:
        invocation.report.add(Item(status=ItemStatus.FAILED, reason=str(exc), **base))


def _refused(
    invocation: Run, kind: BackupKind, backup: BackupBase, limits: Limits, exc: OciServiceError, base: dict[str, Any]
) -> None:
    """OCI refused the copy: "not now" is deferred, anything else failed with OCI's reason."""
    request_id = exc.opc_request_id
    if isinstance(exc, LimitExceeded):
        if kind is not BackupKind.BOOT_VOLUME:
            limits.exhaust()  # keep the boot volume claimed too: it is busy
        reason = f"OCI copy limit reached ({exc.message}); the next reconcile copies it"
        invocation.report.add(Item(status=ItemStatus.DEFERRED, reason=reason, opc_request_id=request_id, **base))
        return
    limits.release(kind, backup)
    if isinstance(exc, IncorrectState | TooManyRequests):
        reason = f"OCI said not now ({exc.status} {exc.code}: {exc.message}); the next reconcile copies it"
        invocation.report.add(Item(status=ItemStatus.DEFERRED, reason=reason, opc_request_id=request_id, **base))
        return
    if isinstance(exc, InvalidatedRetryToken):
        reason = (
            "a copy of this backup to this region was requested in the last 24 h with other details (name "
            f"template or Vault key changed?); OCI refused the retry token: {exc.message}"
        )
    elif isinstance(exc, InvalidParameter) and kind is BackupKind.BOOT_VOLUME:
        reason = f"OCI cannot copy this boot volume backup: {exc.message}"
    else:
        reason = str(exc)
    invocation.report.add(Item(status=ItemStatus.FAILED, reason=reason, opc_request_id=request_id, **base))


def _after_copy(
    invocation: Run,
    kind: BackupKind,
    backup: BackupBase,
    region: str,
    copy: BackupBase,
    request_id: str | None,
    base: dict[str, Any],
) -> None:
    """Report the new copy and tag it in its destination region (read there, updated there)."""
    if copy.lifecycle_state in GONE_STATES:
        reason = f"OCI answered with copy {copy.id}, which is {copy.lifecycle_state}; the next reconcile retries"
        invocation.report.add(Item(status=ItemStatus.FAILED, reason=reason, opc_request_id=request_id, **base))
        return
    state = copy.lifecycle_state
    try:
        state, _ = _tag_copy(invocation, kind, region, copy.id, _wanted_tags(backup, invocation.region))
        tagged = "tagged"
    except OciError as exc:
        tagged = "not tagged yet, the next reconcile tags it"
        invocation.report.note(f"copy {copy.id} in {region} not tagged yet: {exc}")
    invocation.report.add(
        Item(
            status=ItemStatus.COPIED,
            result_id=copy.id,
            reason=f"copy {copy.display_name!r} is {state}; {tagged}",
            opc_request_id=request_id,
            **base,
        )
    )


def _existing_copy(
    invocation: Run,
    kind: BackupKind,
    backup: BackupBase,
    region: str,
    copy: BackupBase,
    name: str,
    base: dict[str, Any],
) -> None:
    """Already copied: nothing to do, tag the tool's untagged copy, or leave someone else's copy alone."""
    wanted = _wanted_tags(backup, invocation.region)
    if contains(copy.freeform_tags, wanted):
        reason = f"already copied ({copy.lifecycle_state})"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, result_id=copy.id, reason=reason, **base))
        return
    if copy.display_name != name:
        reason = f"a copy made outside this tool exists ({copy.display_name!r}); not copied again, left alone"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, result_id=copy.id, reason=reason, **base))
        return
    tag_item = base | {"action": "tag-copy"}
    if invocation.dry_run:
        invocation.report.add(
            Item(status=ItemStatus.PLANNED, result_id=copy.id, reason="would tag the copy made earlier", **tag_item)
        )
        return
    _, request_id = _tag_copy(invocation, kind, region, copy.id, wanted)
    invocation.report.add(
        Item(
            status=ItemStatus.UPDATED,
            result_id=copy.id,
            reason="tagged the copy made earlier",
            opc_request_id=request_id,
            **tag_item,
        )
    )


def _tag_copy(
    invocation: Run, kind: BackupKind, region: str, copy_id: str, wanted: dict[str, str]
) -> tuple[str, str | None]:
    """Merge ``wanted`` into the copy's tags, etag-guarded; (the copy's state, the update's request id)."""
    storage = invocation.storage_in(region)
    for _ in range(TAG_ATTEMPTS):
        current = storage.get_backup(kind, copy_id)
        if contains(current.value.freeform_tags, wanted):
            return str(current.value.lifecycle_state), None
        tags = merge_freeform(current.value.freeform_tags, wanted)
        try:
            updated = storage.update_backup(kind, copy_id, TagsUpdate(freeform_tags=tags), if_match=current.etag)
        except NoEtagMatch:
            continue  # someone wrote in between: read again, merge again
        return str(updated.value.lifecycle_state), updated.opc_request_id
    raise OciError(f"the copy kept changing ({TAG_ATTEMPTS} attempts)")


# --- reconcile --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    kind: BackupKind
    backup: BackupBase
    region: str


def _reconcile(invocation: Run) -> None:
    settings = invocation.settings
    compartments = settings.compartment_ids
    if not compartments:
        raise InputError("no compartments to reconcile: set COMPARTMENT_IDS", "COMPARTMENT_IDS")
    if settings.include_subcompartments:
        compartments = compartment_tree(invocation.client, invocation.region, compartments, invocation.call_deadline)
    regions = [r for r in settings.destination_regions if r != invocation.region]
    limits = Limits(invocation.region, settings.max_in_flight)
    tasks = _plan(invocation, compartments, regions, limits)
    tasks.sort(key=lambda t: t.backup.time_created, reverse=True)  # newest first get the copy slots

    def copy(task: Task) -> None:
        _copy_to(invocation, task.kind, task.backup, task.region, limits)

    def defer(task: Task) -> None:
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                action="copy",
                resource_id=task.backup.id,
                name=task.backup.display_name,
                region=task.region,
                reason="not started before the deadline; the next reconcile copies it",
            )
        )

    run_bounded(tasks, copy, concurrency=settings.max_concurrency, deadline=invocation.deadline, on_deferred=defer)
    for region in regions:
        for kind in COPY_KINDS:
            for compartment in compartments:
                if invocation.deadline.expired():
                    invocation.report.note(f"pruning of copies in {region} left for the next run (deadline)")
                    break
                _prune(invocation, region, kind, compartment)


def _plan(invocation: Run, compartments: list[str], regions: list[str], limits: Limits) -> list[Task]:
    """What each destination lacks; counts the copies in flight into ``limits`` on the way."""
    settings = invocation.settings
    now = invocation.now()
    cutoff = now - timedelta(days=settings.lookback_days)
    tasks: list[Task] = []
    too_old = 0
    failed_regions: set[str] = set()
    for compartment in compartments:
        for kind in COPY_KINDS:
            sources = [
                b
                for b in invocation.storage.list_backups(kind, compartment, lifecycle_state="AVAILABLE")
                if _copy_candidate(b, cutoff) and settings.wants(b)
            ]
            for region in regions:
                if region in failed_regions:
                    continue
                try:
                    copies = [c for c in invocation.storage_in(region).list_backups(kind, compartment) if c.copied_from]
                except OciError as exc:
                    failed_regions.add(region)
                    invocation.report.add(
                        Item(
                            status=ItemStatus.FAILED,
                            action="reconcile",
                            resource_id=compartment,
                            region=region,
                            reason=f"could not list the copies there: {exc}",
                        )
                    )
                    continue
                limits.count(kind, copies)
                keep = _kept_by_retention(sources, settings.retention(region), now)
                for backup in sources:
                    need = _needs(invocation, kind, backup, region, copies)
                    if need is Need.TAG or (need is Need.COPY and backup.id in keep):
                        tasks.append(Task(kind, backup, region))
                    elif need is Need.COPY:
                        too_old += 1
    if too_old:
        invocation.report.note(f"{too_old} backup copies not made: the destination's retention would delete them")
    return tasks


def _copy_candidate(backup: BackupBase, cutoff: datetime) -> bool:
    if backup.copied_from or backup.time_created < cutoff:
        return False
    return not getattr(backup, "volume_group_backup_id", None)  # members of a volume group backup


class Need(Enum):
    NOTHING = "nothing"
    COPY = "copy"
    TAG = "tag"


def _needs(invocation: Run, kind: BackupKind, backup: BackupBase, region: str, copies: list[BackupBase]) -> Need:
    """A copy (none alive there), a tag (the tool's copy, by its name, is untagged) or nothing."""
    live = [
        c
        for c in copies
        if c.copied_from == backup.id
        and c.lifecycle_state not in GONE_STATES
        and c.lifecycle_state != LifecycleState.FAULTY
    ]
    if not live:
        return Need.COPY
    if any(contains(c.freeform_tags, _wanted_tags(backup, invocation.region)) for c in live):
        return Need.NOTHING
    name = _copy_name(invocation, kind, backup, region)
    return Need.TAG if any(c.display_name == name for c in live) else Need.NOTHING  # else: someone else's copy


def _kept_by_retention(sources: list[BackupBase], policy: RetentionPolicy, now: datetime) -> set[str]:
    """Ids of source backups whose copies the destination's retention would keep (the rest: not copied)."""
    if not policy.active:
        return {b.id for b in sources}
    by_volume: dict[str, list[BackupBase]] = defaultdict(list)
    for backup in sources:
        by_volume[backup.source_id or backup.id].append(backup)
    cutoff = now - timedelta(days=policy.max_age_days) if policy.max_age_days else None
    kept: set[str] = set()
    for backups in by_volume.values():
        backups.sort(key=lambda b: b.time_created, reverse=True)
        for position, backup in enumerate(backups):
            within_count = not policy.keep_count or position < policy.keep_count
            within_age = cutoff is None or backup.time_created >= cutoff
            if position < max(1, policy.min_keep) or (within_count and within_age):
                kept.add(backup.id)
    return kept


def _prune(invocation: Run, region: str, kind: BackupKind, compartment: str) -> None:
    """Retention of one destination: only copies the tool made from this region, per source volume."""
    policy = invocation.settings.retention(region)
    if not policy.active:
        return
    storage = invocation.storage_in(region)
    by_volume: dict[str, list[BackupBase]] = defaultdict(list)
    try:
        for copy in storage.list_backups(kind, compartment):
            if _made_by_tool(copy) and copy.freeform_tags.get(SOURCE_REGION_KEY) == invocation.region:
                by_volume[copy.source_id or copy.copied_from or copy.id].append(copy)
    except OciError as exc:
        invocation.report.add(
            Item(
                status=ItemStatus.FAILED,
                action="prune-copy",
                resource_id=compartment,
                region=region,
                reason=f"could not list the copies: {exc}",
            )
        )
        return
    for copies in by_volume.values():
        for expired in plan_pruning(copies, policy, invocation.now()):
            _delete_copy(invocation, storage, kind, expired.backup, expired.reason)


def _delete_copy(invocation: Run, storage: BlockStorage, kind: BackupKind, copy: BackupBase, why: str) -> None:
    base = {"action": "prune-copy", "resource_id": copy.id, "name": copy.display_name, "region": storage.region}
    if invocation.dry_run:
        invocation.report.add(Item(status=ItemStatus.PLANNED, reason=f"would delete: {why}", **base))
        return
    try:
        request_id = storage.delete_backup(kind, copy.id)
    except OciError as exc:
        invocation.report.add(Item(status=ItemStatus.FAILED, reason=str(exc), **base))
        return
    invocation.report.add(Item(status=ItemStatus.DELETED, reason=why, opc_request_id=request_id, **base))


SPEC = HandlerSpec(
    name="copy_backup",
    settings=CopyBackupSettings,
    request=CopyBackupRequest,
    event_types=frozenset(EVENT_KINDS),
    run=run,
    route="copy-backup",
)
