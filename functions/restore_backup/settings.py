"""The configuration keys and the HTTP / direct request of restore-backup."""

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.restore_backup.recovery_request import Recover, RecoveryKeys
from shared.app import Invocation
from shared.oci.blockstorage import BackupKind
from shared.oci.ocid import ocid_problem
from shared.rules.restore import Pick
from shared.settings import CsvList, KindsSettings, is_region_name

EVENT_KINDS = {
    "com.oraclecloud.blockvolumes.createvolume.end": BackupKind.VOLUME,
    "com.oraclecloud.blockvolumes.createbootvolume.end": BackupKind.BOOT_VOLUME,
    "com.oraclecloud.blockvolumes.createvolumegroup.end": BackupKind.VOLUME_GROUP,
}
BACKUP_TYPES = ("volumebackup", "bootvolumebackup", "volumegroupbackup")
BOOT_MIN_VPUS = 10  # a boot volume has no Lower Cost (0 VPU) option


class RestoreBackupSettings(RecoveryKeys, KindsSettings):
    restore_compartment_id: str = Field(alias="RESTORE_COMPARTMENT_ID")  # required here: the sandbox (an OCID)
    verify_every_days: int = Field(default=30, ge=1, le=3650, alias="VERIFY_EVERY_DAYS")
    restore_pick: Pick = Field(default=Pick.LATEST, alias="RESTORE_PICK")
    restore_regions: CsvList = Field(default_factory=list, alias="RESTORE_REGIONS")
    restore_vpus_per_gb: int | None = Field(default=None, ge=0, le=120, multiple_of=10, alias="RESTORE_VPUS_PER_GB")
    restore_ttl_minutes: int = Field(default=120, ge=10, le=7 * 24 * 60, alias="RESTORE_TTL_MINUTES")
    restore_timeout_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60, alias="RESTORE_TIMEOUT_MINUTES")
    restores_per_run: int = Field(default=5, ge=0, le=1000, alias="RESTORES_PER_RUN")
    restore_max_gb_per_run: int = Field(default=2048, ge=0, le=10_000_000, alias="RESTORE_MAX_GB_PER_RUN")

    @field_validator("restore_regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        for region in value:
            if not is_region_name(region):
                raise ValueError(f"{region!r} is not a region name (e.g. us-phoenix-1)")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _ttl_covers_timeout(self) -> "RestoreBackupSettings":
        if self.restore_ttl_minutes < self.restore_timeout_minutes:
            raise ValueError(
                "RESTORE_TTL_MINUTES must be at least RESTORE_TIMEOUT_MINUTES"
                " (a test resource is checked before it expires)"
            )
        return self

    def regions(self, home: str) -> list[str]:
        """Where restores are tested: RESTORE_REGIONS, else the function's own region."""
        return self.restore_regions or [home]

    def vpus(self, kind: BackupKind) -> int | None:
        """vpusPerGB of a test restore: RESTORE_VPUS_PER_GB (a boot volume at least 10); unset: 0 for volumes,
        10 for boot volumes; a volume group takes none (its members get OCI's default)."""
        if kind is BackupKind.VOLUME_GROUP:
            return None
        chosen = self.restore_vpus_per_gb if self.restore_vpus_per_gb is not None else 0
        return max(chosen, BOOT_MIN_VPUS) if kind is BackupKind.BOOT_VOLUME else chosen


class RestoreRequest(BaseModel):
    """The HTTP / direct body: ``{"verify": "<backup OCID>"}`` (test-restore it now),
    ``{"restorePosture": true}`` (answer the coverage, read-only) or ``{"recover": {...}}`` (recovery mode:
    a plan, read-only; with ``planId`` its apply; with ``"status": true`` its progress, read-only)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    verify: str | None = None
    restore_posture: bool = Field(default=False, alias="restorePosture")
    recover: Recover | None = None
    status: bool = False
    dry_run: bool = Field(default=False, alias="dryRun")

    @field_validator("verify")
    @classmethod
    def _backup_ocid(cls, value: str | None) -> str | None:
        problem = value is not None and ocid_problem(value, kinds=BACKUP_TYPES, any_region=True)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _one_question(self) -> "RestoreRequest":
        if [bool(self.verify), self.restore_posture, self.recover is not None].count(True) != 1:
            raise ValueError('give exactly one of "verify" (a backup OCID), "restorePosture": true or "recover"')
        if self.status and self.recover is None:
            raise ValueError('"status": true asks for a recovery\'s progress: give "recover" with its "planId"')
        return self

    @property
    def read_only(self) -> bool:
        """A question: the restore posture, a recovery plan, a recovery's progress (an apply is not)."""
        planning = self.recover is not None and (self.recover.plan_id is None or self.status)
        return self.restore_posture or planning


Run = Invocation[RestoreBackupSettings, RestoreRequest]
