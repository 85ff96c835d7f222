"""Typed shortcuts for tests: one kind of backup each, over ``BlockStorage``'s calls for every kind, the
answer narrowed (checked) to the kind's model."""

from __future__ import annotations

from typing import TypeVar

from shared.oci.blockstorage import BackupKind, BlockStorage, Versioned
from shared.oci.boot_group_models import BootVolumeBackup, CreateBootVolumeBackupDetails, VolumeGroupBackup
from shared.oci.models import BackupBase, CopyBackupDetails, CreateVolumeBackupDetails, TagsUpdate, VolumeBackup

B = TypeVar("B", bound=BackupBase)


def narrow(value: Versioned[BackupBase], model: type[B]) -> Versioned[B]:
    """A backup of any kind as the model it should be (TypeError otherwise)."""
    if not isinstance(value.value, model):
        raise TypeError(f"expected {model.__name__}, got {type(value.value).__name__}")
    return Versioned(value.value, value.etag, value.opc_request_id, value.region)


def create_volume_backup(
    storage: BlockStorage, details: CreateVolumeBackupDetails, retry_token: str
) -> Versioned[VolumeBackup]:
    return narrow(storage.create_backup(BackupKind.VOLUME, details, retry_token), VolumeBackup)


def create_boot_volume_backup(
    storage: BlockStorage, details: CreateBootVolumeBackupDetails, retry_token: str
) -> Versioned[BootVolumeBackup]:
    return narrow(storage.create_backup(BackupKind.BOOT_VOLUME, details, retry_token), BootVolumeBackup)


def copy_volume_backup(
    storage: BlockStorage, backup_id: str, details: CopyBackupDetails, retry_token: str
) -> Versioned[VolumeBackup]:
    return narrow(storage.copy_backup(BackupKind.VOLUME, backup_id, details, retry_token), VolumeBackup)


def copy_boot_volume_backup(
    storage: BlockStorage, backup_id: str, details: CopyBackupDetails, retry_token: str
) -> Versioned[BootVolumeBackup]:
    return narrow(storage.copy_backup(BackupKind.BOOT_VOLUME, backup_id, details, retry_token), BootVolumeBackup)


def update_volume_group_backup(
    storage: BlockStorage, backup_id: str, details: TagsUpdate, if_match: str | None
) -> Versioned[VolumeGroupBackup]:
    return narrow(storage.update_backup(BackupKind.VOLUME_GROUP, backup_id, details, if_match), VolumeGroupBackup)
