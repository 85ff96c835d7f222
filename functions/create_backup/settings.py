"""The configuration keys, the HTTP / direct request and the targets of create-backup."""

from typing import TYPE_CHECKING, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from shared.app import Invocation
from shared.oci.blockstorage import BackupKind
from shared.oci.models import (
    BackupType,
    Tagged,
)
from shared.oci.retry import RetryPolicy, connection_error, throttled, transient_server_error
from shared.rules.locks import MAX_LOCK_DAYS, LockMode
from shared.rules.naming import check_template
from shared.settings import KindsSettings
from shared.triggers import region_ocid

if TYPE_CHECKING:
    from shared.rules.retention import RetentionPolicy


NAME_PLACEHOLDERS = ("name", "kind", "trigger", "type", "date", "time", "region")
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


class CreateBackupSettings(KindsSettings):
    name_template: str = Field(default="{name}-{type}-{date}-{time}", alias="BACKUP_NAME_TEMPLATE")
    full_every: int = Field(default=0, ge=0, le=1000, alias="FULL_EVERY")
    retention_days: int = Field(default=0, ge=0, le=36500, alias="RETENTION_DAYS")
    retention_count: int = Field(default=0, ge=0, le=10000, alias="RETENTION_COUNT")
    retention_min_keep: int = Field(default=1, ge=1, le=1000, alias="RETENTION_MIN_KEEP")
    # a nightly schedule plus slack: last night's backup is about 24 h old, give or take the scheduler's start
    rpo_hours: int = Field(default=26, ge=1, le=8760, alias="RPO_HOURS")
    lock_days: int = Field(default=0, ge=0, le=MAX_LOCK_DAYS, alias="BACKUP_LOCK_DAYS")
    lock_mode: LockMode = Field(default=LockMode.RETENTION_LOCK, alias="BACKUP_LOCK_MODE")
    # the backup headroom: hours between two scheduled sweeps (a source's backups a day), and the tenancy's
    # backup limit when the Limits service does not answer it (OCI's default: 100,000)
    schedule_period_hours: int = Field(default=24, ge=1, le=8760, alias="SCHEDULE_PERIOD_HOURS")
    backup_limit: int = Field(default=100_000, ge=1, le=100_000_000, alias="BACKUP_LIMIT")

    @field_validator("name_template")
    @classmethod
    def _template(cls, value: str) -> str:
        return check_template(value, NAME_PLACEHOLDERS)

    @property
    def retention(self) -> "RetentionPolicy":
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
    # strict: an irreversible lock takes a whole number of days, never true or "30"
    lock_days: int | None = Field(default=None, ge=1, le=MAX_LOCK_DAYS, alias="lockDays", strict=True)

    @field_validator("volume_id", "boot_volume_id", "volume_group_id", "compartment_id")
    @classmethod
    def _ocid(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else region_ocid(value, info, TARGET_TYPES[str(info.field_name)])

    @model_validator(mode="after")
    def _one_target(self) -> "CreateBackupRequest":
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


class Target(NamedTuple):
    kind: BackupKind
    source: Tagged
    full: bool = False  # FULL requested (event: first backup; request: type FULL)


Run = Invocation[CreateBackupSettings, CreateBackupRequest]
