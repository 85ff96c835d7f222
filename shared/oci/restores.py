"""Restores of block storage backups (Core API ``/20160918``): CreateVolume, CreateBootVolume and
CreateVolumeGroup from a backup, their Get/List/Delete, and Identity's ListAvailabilityDomains.

One ``BackupKind`` names the three: the restored resource is the kind's source resource (``/volumes``,
``/bootVolumes``, ``/volumeGroups``), its ``sourceDetails`` the kind's restore form.
"""

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from shared.oci.blockstorage import BackupKind, BlockStorage, Versioned
from shared.oci.client import OciRequest
from shared.oci.endpoints import Service
from shared.oci.models import DefinedTags, FreeformTags, OciModel, RequestModel, Tagged


class RestoredResource(Tagged):
    """A Volume, BootVolume or VolumeGroup as a restore test reads it (one model for the three)."""

    availability_domain: str | None = None
    size_in_gbs: int | None = Field(default=None, alias="sizeInGBs")
    is_hydrated: bool | None = None
    vpus_per_gb: int | None = Field(default=None, alias="vpusPerGB")
    image_id: str | None = None  # BootVolume
    volume_ids: list[str] = Field(default_factory=list)  # VolumeGroup: its member volumes
    volume_group_id: str | None = None  # Volume / BootVolume: the group it belongs to
    source_details: dict[str, Any] | None = None
    kms_key_id: str | None = None


class AvailabilityDomain(OciModel):
    name: str


class BackupSource(RequestModel):
    """``VolumeSourceFromVolumeBackupDetails`` / ``BootVolumeSourceFromBootVolumeBackupDetails``."""

    type: Literal["volumeBackup", "bootVolumeBackup"]
    id: str


class GroupBackupSource(RequestModel):
    """``VolumeGroupSourceFromVolumeGroupBackupDetails``."""

    type: Literal["volumeGroupBackupId"] = "volumeGroupBackupId"
    volume_group_backup_id: str


class CreateRestoreDetails(RequestModel):
    """CreateVolumeDetails / CreateBootVolumeDetails / CreateVolumeGroupDetails with a backup as the source
    (a volume group takes neither ``vpusPerGB`` nor ``kmsKeyId``: leave them None)."""

    availability_domain: str
    compartment_id: str
    display_name: str | None = None
    freeform_tags: FreeformTags | None = None
    defined_tags: DefinedTags | None = None
    source_details: BackupSource | GroupBackupSource
    vpus_per_gb: int | None = Field(default=None, alias="vpusPerGB")
    kms_key_id: str | None = None


def restore_source(kind: BackupKind, backup_id: str) -> BackupSource | GroupBackupSource:
    """The ``sourceDetails`` that restores ``backup_id`` of ``kind``."""
    if kind is BackupKind.VOLUME:
        return BackupSource(type="volumeBackup", id=backup_id)
    if kind is BackupKind.BOOT_VOLUME:
        return BackupSource(type="bootVolumeBackup", id=backup_id)
    return GroupBackupSource(volume_group_backup_id=backup_id)


def create_restore(
    storage: BlockStorage, kind: BackupKind, details: CreateRestoreDetails, retry_token: str
) -> Versioned[RestoredResource]:
    request = storage.request(f"Create{kind.spec.source_name}", "POST", kind.spec.source_path)
    return storage.one(RestoredResource, request._replace(body=details, retry_token=retry_token))


def get_restored(storage: BlockStorage, kind: BackupKind, resource_id: str) -> Versioned[RestoredResource]:
    spec = kind.spec
    return storage.one(
        RestoredResource, storage.request(f"Get{spec.source_name}", "GET", f"{spec.source_path}/{resource_id}")
    )


def list_restored(storage: BlockStorage, kind: BackupKind, compartment_id: str) -> Iterator[RestoredResource]:
    """Every volume / boot volume / volume group of the compartment, 1,000 a page."""
    spec = kind.spec
    params: dict[str, str | int | None] = {"compartmentId": compartment_id, "limit": 1000}
    request = storage.request(f"List{spec.source_name}s", "GET", spec.source_path)
    for item in storage.client.paginate(request._replace(params=params)):
        yield RestoredResource.model_validate(item)


def delete_restored(storage: BlockStorage, kind: BackupKind, resource_id: str, if_match: str | None) -> str | None:
    """Delete a volume / boot volume / volume group; returns the opc-request-id."""
    spec = kind.spec
    request = storage.request(f"Delete{spec.source_name}", "DELETE", f"{spec.source_path}/{resource_id}")
    return storage.client.call(request._replace(if_match=if_match)).opc_request_id


def availability_domains(storage: BlockStorage, compartment_id: str) -> list[str]:
    """The region's availability domain names, in OCI's order (Identity ListAvailabilityDomains)."""
    params = {"compartmentId": compartment_id}
    request = OciRequest("ListAvailabilityDomains", "GET", Service.IDENTITY, storage.region, "/availabilityDomains")
    response = storage.client.call(request._replace(params=params, deadline=storage.deadline))
    return [AvailabilityDomain.model_validate(item).name for item in response.data or []]
