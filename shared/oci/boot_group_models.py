"""Boot volumes, volume groups and their backups (``shared.oci.models`` holds the rest).

Apart from the models of volumes so that a volume's event never builds them: ``BackupKind`` and the
code of the other kinds import this module on first use.
"""

from pydantic import Field

from shared.oci.models import BackupBase, BackupType, BackupUpdate, Tagged, Volume


class BootVolume(Volume):
    image_id: str | None = None


class VolumeGroup(Tagged):
    availability_domain: str | None = None
    volume_ids: list[str] = Field(default_factory=list)


class BootVolumeBackup(BackupBase):
    boot_volume_id: str | None = None
    source_boot_volume_backup_id: str | None = None
    volume_group_backup_id: str | None = None
    image_id: str | None = None
    size_in_gbs: int | None = Field(default=None, alias="sizeInGBs")

    @property
    def source_id(self) -> str | None:
        return self.boot_volume_id

    @property
    def copied_from(self) -> str | None:
        return self.source_boot_volume_backup_id

    @property
    def group_backup_id(self) -> str | None:
        return self.volume_group_backup_id


class VolumeGroupBackup(BackupBase):
    volume_group_id: str | None = None
    volume_backup_ids: list[str] = Field(default_factory=list)
    source_volume_group_backup_id: str | None = None
    size_in_gbs: int | None = Field(default=None, alias="sizeInGBs")

    @property
    def source_id(self) -> str | None:
        return self.volume_group_id

    @property
    def copied_from(self) -> str | None:
        return self.source_volume_group_backup_id


class CreateBootVolumeBackupDetails(BackupUpdate):
    boot_volume_id: str
    type: BackupType | None = None
    kms_key_id: str | None = None


class CreateVolumeGroupBackupDetails(BackupUpdate):
    volume_group_id: str
    type: BackupType | None = None
