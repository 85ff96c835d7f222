"""Block Volume resources as dataclasses, each rendering its OCI JSON (field names of the Block Volume API)."""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..core.clock import rfc3339
from ..core.ids import new_etag
from . import locks

REQUEST_RECEIVED, CREATING, COMMITTED, AVAILABLE = "REQUEST_RECEIVED", "CREATING", "COMMITTED", "AVAILABLE"
TERMINATED = "TERMINATED"
TERMINATING = "TERMINATING"
PROVISIONING, RESTORING, FAULTY = "PROVISIONING", "RESTORING", "FAULTY"
IN_PROGRESS = frozenset({REQUEST_RECEIVED, CREATING, COMMITTED})
RESTORE_IN_PROGRESS = frozenset({PROVISIONING, RESTORING})  # a volume / boot volume / group being restored
BACKUP_STATES = frozenset({"CREATING", "AVAILABLE", "TERMINATING", "TERMINATED", "FAULTY", "REQUEST_RECEIVED"})
VOLUME_STATES = frozenset({"PROVISIONING", "RESTORING", "AVAILABLE", "TERMINATING", "TERMINATED", "FAULTY"})
GROUP_STATES = frozenset({"PROVISIONING", "AVAILABLE", "TERMINATING", "TERMINATED", "FAULTY", "UPDATE_PENDING"})

Tags = dict[str, str]
DefinedTags = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class BackupKind:
    """What differs between VolumeBackup and BootVolumeBackup (names only; the rules are shared)."""

    resource: str  # VolumeBackup | BootVolumeBackup
    ocid_type: str
    source_field: str  # volumeId | bootVolumeId
    copy_source_field: str  # sourceVolumeBackupId | sourceBootVolumeBackupId
    event_noun: str  # volumebackup | bootvolumebackup


VOLUME_BACKUP = BackupKind("VolumeBackup", "volumebackup", "volumeId", "sourceVolumeBackupId", "volumebackup")
BOOT_VOLUME_BACKUP = BackupKind(
    "BootVolumeBackup", "bootvolumebackup", "bootVolumeId", "sourceBootVolumeBackupId", "bootvolumebackup"
)


def merge_tags(base: Tags, extra: Tags | None) -> Tags:
    return {**base, **(extra or {})}


def merge_defined(base: DefinedTags, extra: DefinedTags | None) -> DefinedTags:
    merged = _copy.deepcopy(base)
    for ns, kv in (extra or {}).items():
        merged[ns] = {**merged.get(ns, {}), **kv}
    return merged


@dataclass
class Resource:
    id: str
    compartment_id: str
    display_name: str
    lifecycle_state: str
    time_created: float
    seq: int
    freeform_tags: Tags = field(default_factory=dict)
    defined_tags: DefinedTags = field(default_factory=dict)
    etag: str = field(default_factory=new_etag)
    time_terminated: float | None = None  # when it became TERMINATED (emulator clock)

    def touch(self) -> None:
        self.etag = new_etag()

    def common_json(self) -> dict[str, Any]:
        return {
            "compartmentId": self.compartment_id,
            "definedTags": _copy.deepcopy(self.defined_tags),
            "displayName": self.display_name,
            "freeformTags": dict(self.freeform_tags),
            "id": self.id,
            "lifecycleState": self.lifecycle_state,
            "timeCreated": rfc3339(self.time_created),
        }


@dataclass
class Volume(Resource):
    availability_domain: str = ""
    size_in_gbs: int = 50
    volume_group_id: str | None = None
    is_hydrated: bool = True
    vpus_per_gb: int = 10
    source_details: dict[str, Any] | None = None  # as sent in the create call (restores)
    kms_key_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = self.common_json()
        data.update(
            availabilityDomain=self.availability_domain,
            systemTags={},
            isHydrated=self.is_hydrated,
            vpusPerGB=self.vpus_per_gb,
            sizeInGBs=self.size_in_gbs,
            sizeInMBs=self.size_in_gbs * 1024,
            isAutoTuneEnabled=False,
        )
        if self.volume_group_id:
            data["volumeGroupId"] = self.volume_group_id
        if self.source_details:
            data["sourceDetails"] = dict(self.source_details)
        if self.kms_key_id:
            data["kmsKeyId"] = self.kms_key_id
        return data


@dataclass
class BootVolume(Volume):
    image_id: str = ""
    image_type: str = "platform"  # platform | custom | marketplace (emulator-only; not rendered)

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data["imageId"] = self.image_id
        return data


@dataclass
class VolumeGroup(Resource):
    availability_domain: str = ""
    volume_ids: list[str] = field(default_factory=list)
    size_in_gbs: int = 0
    is_hydrated: bool = True
    source_details: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data = self.common_json()
        data.update(
            availabilityDomain=self.availability_domain,
            volumeIds=list(self.volume_ids),
            sizeInGBs=self.size_in_gbs,
            sizeInMBs=self.size_in_gbs * 1024,
            isHydrated=self.is_hydrated,
        )
        if self.source_details:
            data["sourceDetails"] = dict(self.source_details)
        return data


@dataclass
class Backup(Resource):
    kind: BackupKind = VOLUME_BACKUP
    source_id: str | None = None  # the volume / boot volume backed up
    type: str = "INCREMENTAL"
    source_type: str = "MANUAL"
    size_in_gbs: int = 50
    unique_size_in_gbs: int = 50
    time_request_received: float = 0.0
    kms_key_id: str | None = None
    copied_from: str | None = None  # source backup id when this is a copy
    source_region: str | None = None  # region the copy was made from
    volume_group_backup_id: str | None = None
    expiration_time: float | None = None
    retention: dict[str, Any] = field(default_factory=dict)  # the lock fields, camelCase (locks.py)
    retention_expires_at: float | None = None  # timeRetentionExpiresAt
    image_id: str | None = None
    image_type: str = "platform"
    restore_fails: bool = False  # emulator-only (never rendered): restores of this backup come up FAULTY

    def to_json(self) -> dict[str, Any]:
        data = self.common_json()
        data.update(
            systemTags={},
            sizeInGBs=self.size_in_gbs,
            sourceType=self.source_type,
            timeRequestReceived=rfc3339(self.time_request_received),
            type=self.type,
            uniqueSizeInGBs=self.unique_size_in_gbs,
        )
        data[self.kind.source_field] = self.source_id
        if self.kind is VOLUME_BACKUP:
            data.update(sizeInMBs=self.size_in_gbs * 1024, uniqueSizeInMbs=self.unique_size_in_gbs * 1024)
        elif self.image_id:
            data["imageId"] = self.image_id
        if self.copied_from:
            data[self.kind.copy_source_field] = self.copied_from
        optional = {
            "kmsKeyId": self.kms_key_id,
            "volumeGroupBackupId": self.volume_group_backup_id,
            "expirationTime": rfc3339(self.expiration_time) if self.expiration_time else None,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        data.update(locks.render(self.retention, self.retention_expires_at))
        return data


@dataclass
class GroupBackup(Resource):
    volume_group_id: str | None = None
    type: str = "INCREMENTAL"
    source_type: str = "MANUAL"
    volume_backup_ids: list[str] = field(default_factory=list)
    size_in_gbs: int = 0
    time_request_received: float = 0.0
    copied_from: str | None = None
    source_region: str | None = None
    expiration_time: float | None = None
    retention: dict[str, Any] = field(default_factory=dict)  # the lock fields, camelCase (locks.py)
    retention_expires_at: float | None = None  # timeRetentionExpiresAt
    restore_fails: bool = False  # emulator-only (never rendered): restores of this backup come up FAULTY

    def to_json(self) -> dict[str, Any]:
        data = self.common_json()
        data.update(
            sizeInGBs=self.size_in_gbs,
            sizeInMBs=self.size_in_gbs * 1024,
            uniqueSizeInGbs=self.size_in_gbs,
            uniqueSizeInMbs=self.size_in_gbs * 1024,
            sourceType=self.source_type,
            timeRequestReceived=rfc3339(self.time_request_received),
            type=self.type,
            volumeBackupIds=list(self.volume_backup_ids),
        )
        if self.volume_group_id:
            data["volumeGroupId"] = self.volume_group_id
        if self.copied_from:
            data["sourceVolumeGroupBackupId"] = self.copied_from
        if self.expiration_time:
            data["expirationTime"] = rfc3339(self.expiration_time)
        data.update(locks.render(self.retention, self.retention_expires_at))
        return data


@dataclass
class WorkRequest:
    """Tracks one copy (CopyVolumeBackup / CopyBootVolumeBackup) from the source region."""

    id: str
    operation_type: str
    compartment_id: str
    target: Backup
    time_accepted: float

    def to_json(self) -> dict[str, Any]:
        state = self.target.lifecycle_state
        status = {REQUEST_RECEIVED: "ACCEPTED", CREATING: "IN_PROGRESS", AVAILABLE: "SUCCEEDED"}.get(state, "FAILED")
        entity = "volumeBackup" if self.target.kind is VOLUME_BACKUP else "bootVolumeBackup"
        return {
            "id": self.id,
            "operationType": self.operation_type,
            "status": status,
            "compartmentId": self.compartment_id,
            "resources": [{"entityType": entity, "actionType": "CREATED", "identifier": self.target.id}],
            "percentComplete": 100.0 if status == "SUCCEEDED" else 0.0,
            "timeAccepted": rfc3339(self.time_accepted),
        }


def select(items: Iterable[Any], **filters: tuple[Callable[[Any], Any], str | None]) -> list[Any]:
    """Keep items whose attribute getter equals each given filter value (``None`` filters are skipped)."""
    active = [(get, wanted) for get, wanted in filters.values() if wanted is not None]
    return [it for it in items if all(get(it) == wanted for get, wanted in active)]
