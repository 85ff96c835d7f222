"""The configuration keys and the HTTP / direct request of copy-backup."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from shared.app import Invocation
from shared.oci.blockstorage import BackupKind
from shared.oci.models import BackupBase, LifecycleState
from shared.oci.retry import RetryPolicy, connection_error, throttled, transient_server_error
from shared.rules.locks import MAX_LOCK_DAYS
from shared.rules.naming import check_template
from shared.rules.retention import RetentionPolicy
from shared.rules.tags import is_managed
from shared.settings import CommonSettings, CsvList, KeyInts, KeyValues, Selector, is_ocid, is_region_name
from shared.triggers import region_ocid

OCI_MAX_IN_FLIGHT = 10
NAME_PLACEHOLDERS = ("name", "kind", "region", "source_region", "date", "time")
EVENT_KINDS = {
    "com.oraclecloud.blockvolumes.createvolumebackup.end": BackupKind.VOLUME,
    "com.oraclecloud.blockvolumes.createbootvolumebackup.end": BackupKind.BOOT_VOLUME,
    "com.oraclecloud.blockvolumes.createvolumegroupbackup.end": BackupKind.VOLUME_GROUP,
}
COPY_KINDS = (BackupKind.VOLUME, BackupKind.BOOT_VOLUME, BackupKind.VOLUME_GROUP)
BACKUP_OCID_TYPES = ("volumebackup", "bootvolumebackup", "volumegroupbackup")
COPYING_STATES = (LifecycleState.REQUEST_RECEIVED, LifecycleState.CREATING)
# 429 and 5xx are backed off and retried (same retry token); IncorrectState / LimitExceeded mean
# "not now": the copy is deferred to the next reconcile instead of retried for minutes.
COPY_RETRY = RetryPolicy(max_attempts=4, checkers=(throttled, transient_server_error, connection_error))
TAG_ATTEMPTS = 3


class CopyBackupSettings(CommonSettings):
    # the function's own region, as the Functions platform gives it (first: the check below reads it)
    own_region: str | None = Field(default=None, alias="OCI_RESOURCE_PRINCIPAL_REGION")
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
    dr_rpo_hours: int = Field(default=27, ge=1, le=8760, alias="DR_RPO_HOURS")  # RPO_HOURS' 26 + the hourly reconcile
    lock_days: int = Field(default=0, ge=0, le=MAX_LOCK_DAYS, alias="COPY_LOCK_DAYS")
    lock_days_by_region: KeyInts = Field(default_factory=dict, alias="COPY_LOCK_DAYS_BY_REGION")

    @field_validator("destination_regions")
    @classmethod
    def _regions(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not value:
            raise ValueError("give at least one destination region name, e.g. us-phoenix-1")
        return check_destinations(value, info.data.get("own_region"))

    @field_validator("kms_key_ids")
    @classmethod
    def _keys(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        check_region_keys(value, info)
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
        check_region_keys(value, info)
        for template in value.values():
            check_template(template, NAME_PLACEHOLDERS)
        return value

    @field_validator("retention_days_by_region", "retention_count_by_region")
    @classmethod
    def _per_region(cls, value: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        check_region_keys(value, info)
        for region, number in value.items():
            if number < 0:
                raise ValueError(f"{region}={number}: must be 0 (off) or more")
        return value

    @field_validator("lock_days_by_region")
    @classmethod
    def _locks(cls, value: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        check_region_keys(value, info)
        for region, days in value.items():
            if not 0 <= days <= MAX_LOCK_DAYS:
                raise ValueError(f"{region}={days}: must be 0 (no lock) to {MAX_LOCK_DAYS} days")
        return value

    def lock_days_for(self, region: str) -> int:
        """The retention lock (days) copies in ``region`` get; 0: none."""
        return self.lock_days_by_region.get(region, self.lock_days)

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


def check_destinations(regions: list[str], own_region: str | None) -> list[str]:
    """Copy destinations: region names, each once, never the function's own region."""
    for region in regions:
        if not is_region_name(region):
            raise ValueError(f"{region!r} is not a region name (e.g. us-phoenix-1)")
        if regions.count(region) > 1:
            raise ValueError(f"{region} is listed twice")
        if region == own_region:
            raise ValueError(f"{region} is the function's own region; a copy goes to another region")
    return regions


def check_region_keys(value: dict[str, Any], info: ValidationInfo) -> None:
    """A per-region entry must name one of COPY_DESTINATION_REGIONS (a typo would be ignored silently)."""
    destinations = info.data.get("destination_regions")
    for region in value:
        if not is_region_name(region):
            raise ValueError(f"{region!r} is not a region name (expected <region>=<value>)")
        if destinations is not None and region not in destinations:
            raise ValueError(f"{region} is not one of COPY_DESTINATION_REGIONS ({','.join(destinations)})")


class CopyBackupRequest(BaseModel):
    """``{"backupId", "regions"?, "dryRun"?}`` copies one backup; ``{"drPosture": true}`` only asks."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    dr_posture: bool = Field(default=False, alias="drPosture")  # first: the validators below read it
    backup_id: str | None = Field(alias="backupId")  # required, unless drPosture
    regions: list[str] | None = Field(default=None, min_length=1, max_length=20)
    dry_run: bool = Field(default=False, alias="dryRun")

    @model_validator(mode="before")
    @classmethod
    def _posture_needs_no_backup(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("drPosture") is True and "backupId" not in data:
            return {**data, "backupId": None}
        return data

    @field_validator("backup_id")
    @classmethod
    def _backup_ocid(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("dr_posture"):
            if value is not None:
                raise ValueError("not with drPosture")
            return value
        if value is None or not is_ocid(value) or value.split(".")[1] not in BACKUP_OCID_TYPES:
            raise ValueError("must be a volume backup, boot volume backup or volume group backup OCID")
        return region_ocid(value, info)

    @field_validator("regions")
    @classmethod
    def _region_names(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        """As ``COPY_DESTINATION_REGIONS``: each once, never the function's own region (the validation
        context's ``region``)."""
        if value is None:
            return None
        if info.data.get("dr_posture"):
            raise ValueError("not with drPosture")
        own = info.context.get("region") if isinstance(info.context, dict) else None
        return check_destinations(value, own)

    @property
    def read_only(self) -> bool:
        return self.dr_posture

    def backup(self) -> tuple[BackupKind, str]:
        """The backup to copy and its kind (a copy request, not a posture question)."""
        kind = BackupKind.of_ocid(self.backup_id or "")
        if kind is None or self.backup_id is None:
            raise ValueError("not a copy request")
        return kind, self.backup_id


Run = Invocation[CopyBackupSettings, CopyBackupRequest]
