"""Block Volume resources and their state, one ``BlockstorageBackend`` per tenancy and region.

Rules (oci-api.md sections 3 and 4, and the emulator's own choices where the reference is silent):

* Backups: REQUEST_RECEIVED -> CREATING (``creating_after``) -> AVAILABLE (``available_after``);
  group backups pass COMMITTED (``committed_after``) and their member backups follow the same clock.
* One backup in progress per volume / boot volume (409 ``IncorrectState``).
* Copies are made in the destination backend; the source backend counts those in flight
  (``max_copies_in_flight`` volume + volume-group copies per source region, one per boot volume).
* Events: ``create*backup.begin`` at creation, ``.end`` at AVAILABLE, ``copy*backup.begin/.end`` in the
  destination region, ``update*`` on updates, ``delete*.begin/.end`` on deletes. Member backups of a
  group backup emit no events of their own, and group copies emit none (the catalog has no such type).
"""

from __future__ import annotations

import copy as _copy
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..core.backends import GLOBAL, BaseBackend
from ..core.clock import rfc3339
from ..core.exceptions import IncorrectState, InvalidParameter, LimitExceeded, NotAuthorizedOrNotFound
from ..core.idempotency import RetryTokenStore
from ..core.ids import new_etag, new_ocid
from ..core.lifecycle import Stage, schedule
from ..core.regions import Region, find_region
from ..core.state import World
from ..events import FAILED, SUCCEEDED, make_event
from ..identity.models import IdentityBackend
from .bodies import (
    CopyBackupDetails,
    CreateBootVolumeBackupDetails,
    CreateVolumeBackupDetails,
    CreateVolumeGroupBackupDetails,
    UpdateBackupDetails,
    UpdateVolumeGroupBackupDetails,
)

REQUEST_RECEIVED, CREATING, COMMITTED, AVAILABLE = "REQUEST_RECEIVED", "CREATING", "COMMITTED", "AVAILABLE"
TERMINATED = "TERMINATED"
IN_PROGRESS = frozenset({REQUEST_RECEIVED, CREATING, COMMITTED})
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

    def to_json(self) -> dict[str, Any]:
        data = self.common_json()
        data.update(
            availabilityDomain=self.availability_domain,
            systemTags={},
            isHydrated=True,
            vpusPerGB=10,
            sizeInGBs=self.size_in_gbs,
            sizeInMBs=self.size_in_gbs * 1024,
            isAutoTuneEnabled=False,
        )
        if self.volume_group_id:
            data["volumeGroupId"] = self.volume_group_id
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

    def to_json(self) -> dict[str, Any]:
        data = self.common_json()
        data.update(
            availabilityDomain=self.availability_domain,
            volumeIds=list(self.volume_ids),
            sizeInGBs=self.size_in_gbs,
            sizeInMBs=self.size_in_gbs * 1024,
            isHydrated=True,
        )
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
    retention: dict[str, Any] = field(default_factory=dict)
    image_id: str | None = None
    image_type: str = "platform"

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
        data.update(_copy.deepcopy(self.retention))
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
    retention: dict[str, Any] = field(default_factory=dict)

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
        data.update(_copy.deepcopy(self.retention))
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


class BlockstorageBackend(BaseBackend):
    def __init__(self, world: World, tenancy_id: str, region: str) -> None:
        super().__init__(world, tenancy_id, region)
        found = find_region(region)
        assert found is not None, region
        self.region_info: Region = found
        self.volumes: dict[str, Volume] = {}
        self.boot_volumes: dict[str, BootVolume] = {}
        self.volume_groups: dict[str, VolumeGroup] = {}
        self.backups: dict[str, Backup] = {}  # volume and boot volume backups
        self.group_backups: dict[str, GroupBackup] = {}
        self.work_requests: dict[str, WorkRequest] = {}
        self.busy_sources: dict[str, str] = {}  # volume / boot volume id -> backup in progress
        self.copies_in_flight: set[str] = set()  # volume + group copies made from this region
        self.boot_copies_in_flight: dict[str, str] = {}  # boot volume id -> copy in flight
        self.retry_tokens = RetryTokenStore()
        self._seq = itertools.count(1)

    # ---- helpers -------------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.world.clock.now()

    def next_seq(self) -> int:
        return next(self._seq)

    def default_ad(self) -> str:
        """``Uocm:US-ASHBURN-AD-1`` for us-ashburn-1."""
        return f"Uocm:{self.region.rsplit('-', 1)[0].upper()}-AD-1"

    def other(self, region: str) -> BlockstorageBackend:
        return self.world.backend(BlockstorageBackend, self.tenancy_id, region)

    def emit(self, event_type: str, res: Resource, details: dict[str, Any], at: float, ad: str = "") -> None:
        identity = self.world.backend(IdentityBackend, self.tenancy_id, GLOBAL)
        envelope = make_event(
            event_type,
            resource_id=res.id,
            resource_name=res.display_name,
            compartment_id=res.compartment_id,
            freeform_tags=res.freeform_tags,
            defined_tags=res.defined_tags,
            additional_details=details,
            compartment_name=identity.compartment_name(res.compartment_id),
            event_time_ts=at,
            availability_domain=ad,
        )
        self.world.events.record({"region": self.region, "tenancyId": self.tenancy_id, "event": envelope})

    @staticmethod
    def _get(table: dict[str, Any], resource_id: str) -> Any:
        found = table.get(resource_id)
        if found is None:
            raise NotAuthorizedOrNotFound()
        return found

    # ---- volumes (created through the control API) ---------------------------------------------------

    def create_volume(
        self,
        compartment_id: str,
        display_name: str,
        *,
        boot: bool = False,
        freeform_tags: Tags | None = None,
        defined_tags: DefinedTags | None = None,
        size_in_gbs: int = 50,
        availability_domain: str | None = None,
        volume_group_id: str | None = None,
        image_id: str | None = None,
        image_type: str = "platform",
    ) -> Volume:
        group = self._get(self.volume_groups, volume_group_id) if volume_group_id else None
        common: dict[str, Any] = {
            "compartment_id": compartment_id,
            "display_name": display_name,
            "lifecycle_state": AVAILABLE,
            "time_created": self.now,
            "seq": self.next_seq(),
            "freeform_tags": dict(freeform_tags or {}),
            "defined_tags": _copy.deepcopy(defined_tags or {}),
            "availability_domain": availability_domain or self.default_ad(),
            "size_in_gbs": size_in_gbs,
            "volume_group_id": volume_group_id,
        }
        volume: Volume
        if boot:
            image = image_id or new_ocid("image", self.region_info)
            boot_volume = BootVolume(
                id=new_ocid("bootvolume", self.region_info), image_id=image, image_type=image_type, **common
            )
            self.boot_volumes[boot_volume.id] = boot_volume
            volume = boot_volume
        else:
            volume = Volume(id=new_ocid("volume", self.region_info), **common)
            self.volumes[volume.id] = volume
        if group is not None:
            group.volume_ids.append(volume.id)
            group.size_in_gbs += size_in_gbs
            group.touch()
        noun = "bootvolume" if boot else "volume"
        self.emit(f"create{noun}.end", volume, {"status": SUCCEEDED}, volume.time_created, volume.availability_domain)
        return volume

    def create_volume_group(
        self,
        compartment_id: str,
        display_name: str,
        volume_ids: list[str],
        freeform_tags: Tags | None = None,
        defined_tags: DefinedTags | None = None,
        availability_domain: str | None = None,
    ) -> VolumeGroup:
        members = [self.any_volume(vid) for vid in volume_ids]
        group = VolumeGroup(
            id=new_ocid("volumegroup", self.region_info),
            compartment_id=compartment_id,
            display_name=display_name,
            lifecycle_state=AVAILABLE,
            time_created=self.now,
            seq=self.next_seq(),
            freeform_tags=dict(freeform_tags or {}),
            defined_tags=_copy.deepcopy(defined_tags or {}),
            availability_domain=availability_domain or self.default_ad(),
            volume_ids=list(volume_ids),
            size_in_gbs=sum(v.size_in_gbs for v in members),
        )
        for member in members:
            member.volume_group_id = group.id
            member.touch()
        self.volume_groups[group.id] = group
        self.emit("createvolumegroup.end", group, {"status": SUCCEEDED}, group.time_created, group.availability_domain)
        return group

    def any_volume(self, volume_id: str) -> Volume:
        found = self.volumes.get(volume_id) or self.boot_volumes.get(volume_id)
        if found is None:
            raise NotAuthorizedOrNotFound(f"Volume {volume_id} not found.")
        return found

    def get_volume(self, volume_id: str) -> Volume:
        result: Volume = self._get(self.volumes, volume_id)
        return result

    def get_boot_volume(self, boot_volume_id: str) -> BootVolume:
        result: BootVolume = self._get(self.boot_volumes, boot_volume_id)
        return result

    def get_volume_group(self, group_id: str) -> VolumeGroup:
        result: VolumeGroup = self._get(self.volume_groups, group_id)
        return result

    # ---- backups -------------------------------------------------------------------------------------

    def _backup_details(self, res: Resource) -> dict[str, Any]:
        if isinstance(res, Backup):
            return {"volumeId": res.source_id, "sourceType": res.source_type}
        assert isinstance(res, GroupBackup)
        return {"volumeGroupId": res.volume_group_id, "sourceType": res.source_type}

    def _claim_source(self, source_id: str) -> None:
        busy = self.busy_sources.get(source_id)
        if busy is not None:
            raise IncorrectState(f"A backup of {source_id} is already in progress ({busy}).")

    def _release(self, source_id: str) -> Callable[[float], None]:
        def release(at: float) -> None:
            self.busy_sources.pop(source_id, None)

        return release

    def _lifecycle(
        self, res: Backup | GroupBackup, start: float, stages: list[Stage], on_available: Callable[[float], None]
    ) -> None:
        def enter(state: str, at: float) -> None:
            if res.lifecycle_state not in IN_PROGRESS:
                return
            res.lifecycle_state = state
            if state == AVAILABLE:
                on_available(at)

        schedule(self.world.scheduler, start, stages, enter)

    def _backup_stages(self, available_after: float) -> list[Stage]:
        return [Stage(CREATING, self.world.settings.creating_after), Stage(AVAILABLE, available_after)]

    def _new_backup(self, kind: BackupKind, source: Volume, **fields: Any) -> Backup:
        now = self.now
        return Backup(
            id=new_ocid(kind.ocid_type, self.region_info),
            lifecycle_state=REQUEST_RECEIVED,
            time_created=now,
            time_request_received=now,
            seq=self.next_seq(),
            kind=kind,
            source_id=source.id,
            size_in_gbs=source.size_in_gbs,
            image_id=source.image_id if isinstance(source, BootVolume) else None,
            image_type=source.image_type if isinstance(source, BootVolume) else "platform",
            **fields,
        )

    def create_backup(
        self, kind: BackupKind, details: CreateVolumeBackupDetails | CreateBootVolumeBackupDetails
    ) -> Backup:
        if isinstance(details, CreateVolumeBackupDetails):
            source: Volume = self.get_volume(details.volume_id)
        else:
            source = self.get_boot_volume(details.boot_volume_id)
        if source.lifecycle_state != AVAILABLE:
            raise IncorrectState(f"{source.id} is {source.lifecycle_state}, not AVAILABLE.")
        self._claim_source(source.id)
        backup_type = details.type or "INCREMENTAL"
        backup = self._new_backup(
            kind,
            source,
            compartment_id=source.compartment_id,
            display_name=details.display_name or f"{source.display_name} backup {rfc3339(self.now)}",
            freeform_tags=merge_tags(source.freeform_tags, details.freeform_tags),
            defined_tags=merge_defined(source.defined_tags, details.defined_tags),
            type=backup_type,
            unique_size_in_gbs=source.size_in_gbs if backup_type == "FULL" else 1,
            kms_key_id=details.kms_key_id,
            retention=details.retention_json(),
        )
        self.backups[backup.id] = backup
        self.busy_sources[source.id] = backup.id
        self.emit(f"create{kind.event_noun}.begin", backup, self._backup_details(backup), backup.time_created)

        def available(at: float) -> None:
            self.busy_sources.pop(source.id, None)
            details_ = {**self._backup_details(backup), "status": SUCCEEDED}
            self.emit(f"create{kind.event_noun}.end", backup, details_, at)

        self._lifecycle(
            backup, backup.time_created, self._backup_stages(self.world.settings.available_after), available
        )
        self.world.tick()
        return backup

    def seed_backup(
        self,
        kind: BackupKind,
        source_id: str,
        *,
        display_name: str | None = None,
        source_type: str = "MANUAL",
        backup_type: str = "INCREMENTAL",
        age_seconds: float = 0.0,
        expires_in_seconds: float | None = None,
        lifecycle_state: str = AVAILABLE,
        freeform_tags: Tags | None = None,
        defined_tags: DefinedTags | None = None,
        announce: bool = False,
    ) -> Backup:
        """A finished backup made "earlier" (control API only), e.g. an old policy backup for retention tests."""
        source: Volume = self.get_boot_volume(source_id) if kind is BOOT_VOLUME_BACKUP else self.get_volume(source_id)
        created = self.now - age_seconds
        backup = self._new_backup(
            kind,
            source,
            compartment_id=source.compartment_id,
            display_name=display_name or f"{source.display_name} backup {rfc3339(created)}",
            freeform_tags=merge_tags(source.freeform_tags, freeform_tags),
            defined_tags=merge_defined(source.defined_tags, defined_tags),
            type=backup_type,
            source_type=source_type,
            expiration_time=self.now + expires_in_seconds if expires_in_seconds is not None else None,
        )
        backup.time_created = backup.time_request_received = created
        backup.lifecycle_state = lifecycle_state
        self.backups[backup.id] = backup
        if announce and lifecycle_state in (AVAILABLE, "FAULTY"):
            status = SUCCEEDED if lifecycle_state == AVAILABLE else FAILED
            details = {**self._backup_details(backup), "status": status}
            self.emit(f"create{kind.event_noun}.begin", backup, self._backup_details(backup), created)
            self.emit(f"create{kind.event_noun}.end", backup, details, self.now)
        return backup

    def get_backup(self, kind: BackupKind, backup_id: str) -> Backup:
        backup: Backup = self._get(self.backups, backup_id)
        if backup.kind is not kind:
            raise NotAuthorizedOrNotFound()
        return backup

    def list_backups(self, kind: BackupKind) -> list[Backup]:
        return [b for b in self.backups.values() if b.kind is kind]

    def _apply_update(
        self, res: Backup | GroupBackup, details: UpdateBackupDetails | UpdateVolumeGroupBackupDetails
    ) -> None:
        if res.lifecycle_state == TERMINATED:
            raise IncorrectState(f"{res.id} is TERMINATED and cannot be updated.")
        given = details.model_fields_set
        if "display_name" in given and details.display_name is not None:
            res.display_name = details.display_name
        if "freeform_tags" in given:
            res.freeform_tags = dict(details.freeform_tags or {})
        if "defined_tags" in given:
            res.defined_tags = _copy.deepcopy(details.defined_tags or {})
        if isinstance(details, UpdateBackupDetails) and isinstance(res, Backup) and "kms_key_id" in given:
            res.kms_key_id = details.kms_key_id
        res.retention.update(details.retention_json(only_given=True))
        res.touch()

    def update_backup(self, backup: Backup, details: UpdateBackupDetails) -> Backup:
        self._apply_update(backup, details)
        self.emit(f"update{backup.kind.event_noun}", backup, self._backup_details(backup), self.now)
        return backup

    def _terminate(self, res: Backup | GroupBackup, noun: str) -> None:
        if res.lifecycle_state == TERMINATED:
            return
        if res.lifecycle_state in IN_PROGRESS:
            raise IncorrectState(f"{res.id} is {res.lifecycle_state}; wait until it is AVAILABLE.")
        res.lifecycle_state = TERMINATED
        res.touch()
        details = self._backup_details(res)
        self.emit(f"delete{noun}.begin", res, details, self.now)
        self.emit(f"delete{noun}.end", res, {**details, "status": SUCCEEDED}, self.now)

    def delete_backup(self, backup: Backup) -> None:
        self._terminate(backup, backup.kind.event_noun)

    # ---- volume group backups ------------------------------------------------------------------------

    def create_group_backup(self, details: CreateVolumeGroupBackupDetails) -> GroupBackup:
        group = self.get_volume_group(details.volume_group_id)
        members = [self.any_volume(vid) for vid in group.volume_ids]
        for member in members:
            self._claim_source(member.id)
        now = self.now
        backup_type = details.type or "INCREMENTAL"
        group_backup = GroupBackup(
            id=new_ocid("volumegroupbackup", self.region_info),
            compartment_id=details.compartment_id or group.compartment_id,
            display_name=details.display_name or f"{group.display_name} backup {rfc3339(now)}",
            lifecycle_state=REQUEST_RECEIVED,
            time_created=now,
            time_request_received=now,
            seq=self.next_seq(),
            freeform_tags=merge_tags(group.freeform_tags, details.freeform_tags),
            defined_tags=merge_defined(group.defined_tags, details.defined_tags),
            volume_group_id=group.id,
            type=backup_type,
            size_in_gbs=group.size_in_gbs,
            retention=details.retention_json(),
        )
        settings = self.world.settings
        for member in members:
            kind = BOOT_VOLUME_BACKUP if isinstance(member, BootVolume) else VOLUME_BACKUP
            backup = self._new_backup(
                kind,
                member,
                compartment_id=group_backup.compartment_id,
                display_name=f"{group_backup.display_name} ({member.display_name})",
                freeform_tags=merge_tags(member.freeform_tags, details.freeform_tags),
                defined_tags=merge_defined(member.defined_tags, details.defined_tags),
                type=backup_type,
                volume_group_backup_id=group_backup.id,
            )
            self.backups[backup.id] = backup
            self.busy_sources[member.id] = backup.id
            group_backup.volume_backup_ids.append(backup.id)
            self._lifecycle(
                backup,
                now,
                self._backup_stages(settings.available_after),
                self._release(member.id),
            )
        self.group_backups[group_backup.id] = group_backup
        self.emit("createvolumegroupbackup.begin", group_backup, self._backup_details(group_backup), now)

        def available(at: float) -> None:
            details_ = {**self._backup_details(group_backup), "status": SUCCEEDED}
            self.emit("createvolumegroupbackup.end", group_backup, details_, at)

        stages = [
            Stage(CREATING, settings.creating_after),
            Stage(COMMITTED, settings.committed_after),
            Stage(AVAILABLE, settings.available_after),
        ]
        self._lifecycle(group_backup, now, stages, available)
        self.world.tick()
        return group_backup

    def get_group_backup(self, group_backup_id: str) -> GroupBackup:
        result: GroupBackup = self._get(self.group_backups, group_backup_id)
        return result

    def update_group_backup(self, group_backup: GroupBackup, details: UpdateVolumeGroupBackupDetails) -> GroupBackup:
        self._apply_update(group_backup, details)
        self.emit("updatevolumegroupbackup", group_backup, self._backup_details(group_backup), self.now)
        return group_backup

    def delete_group_backup(self, group_backup: GroupBackup) -> None:
        if group_backup.lifecycle_state == TERMINATED:
            return
        self._terminate(group_backup, "volumegroupbackup")
        for member_id in group_backup.volume_backup_ids:
            member = self.backups.get(member_id)
            if member is not None and member.lifecycle_state != TERMINATED:
                member.lifecycle_state = TERMINATED
                member.touch()

    # ---- copies --------------------------------------------------------------------------------------

    def _destination(self, name: str) -> BlockstorageBackend:
        dest = find_region(name)
        if dest is None:
            raise InvalidParameter(f"Invalid value for 'destinationRegion': {name!r} is not a known region.")
        if dest.name == self.region:
            raise InvalidParameter("Invalid value for 'destinationRegion': it must differ from the source region.")
        if dest.realm != self.region_info.realm:
            raise InvalidParameter(
                f"Invalid value for 'destinationRegion': {name} is in realm {dest.realm}, "
                f"the source is in {self.region_info.realm}; copies stay within a realm."
            )
        subscribed = self.world.settings.subscribed_regions
        if subscribed is not None and dest.name not in subscribed:
            raise InvalidParameter(f"Invalid value for 'destinationRegion': the tenancy is not subscribed to {name}.")
        return self.other(dest.name)

    def _check_copy_pool(self) -> None:
        limit = self.world.settings.max_copies_in_flight
        if len(self.copies_in_flight) >= limit:
            raise LimitExceeded(
                f"At most {limit} volume backup copies may be in progress from {self.region} at a time."
            )

    def _copy_of(
        self, src: Backup, dest: BlockstorageBackend, display_name: str | None, kms_key_id: str | None, **extra: Any
    ) -> Backup:
        now = self.now
        return Backup(
            id=new_ocid(src.kind.ocid_type, dest.region_info),
            compartment_id=src.compartment_id,
            display_name=display_name or src.display_name,
            lifecycle_state=REQUEST_RECEIVED,
            time_created=src.time_created,
            time_request_received=now,
            seq=dest.next_seq(),
            freeform_tags=dict(src.freeform_tags),
            defined_tags=_copy.deepcopy(src.defined_tags),
            kind=src.kind,
            source_id=src.source_id,
            type=src.type,
            source_type=src.source_type,
            size_in_gbs=src.size_in_gbs,
            unique_size_in_gbs=src.unique_size_in_gbs,
            kms_key_id=kms_key_id,
            copied_from=src.id,
            source_region=self.region,
            expiration_time=src.expiration_time,
            retention=_copy.deepcopy(src.retention),
            image_id=src.image_id,
            image_type=src.image_type,
            **extra,
        )

    def copy_backup(self, src: Backup, details: CopyBackupDetails) -> tuple[Backup, WorkRequest]:
        dest = self._destination(details.destination_region)
        if src.lifecycle_state != AVAILABLE:
            raise IncorrectState(f"{src.id} is {src.lifecycle_state}; only AVAILABLE backups can be copied.")
        boot = src.kind is BOOT_VOLUME_BACKUP
        if boot:
            if src.image_type == "marketplace":
                raise InvalidParameter(
                    "Boot volume backups of instances launched from Marketplace images cannot be copied "
                    "to another region."
                )
            key = src.source_id or src.id
            if key in self.boot_copies_in_flight:
                raise LimitExceeded(
                    f"A copy of a backup of boot volume {key} is already in progress from {self.region}."
                )
        else:
            self._check_copy_pool()
        copy = self._copy_of(src, dest, details.display_name, details.kms_key_id)
        dest.backups[copy.id] = copy
        if boot:
            self.boot_copies_in_flight[src.source_id or src.id] = copy.id
        else:
            self.copies_in_flight.add(copy.id)
        noun = src.kind.event_noun
        dest.emit(f"copy{noun}.begin", copy, self._copy_details(copy), self.now)

        def available(at: float) -> None:
            if boot:
                self.boot_copies_in_flight.pop(src.source_id or src.id, None)
            else:
                self.copies_in_flight.discard(copy.id)
            dest.emit(f"copy{noun}.end", copy, {**self._copy_details(copy), "status": SUCCEEDED}, at)

        settings = self.world.settings
        dest._lifecycle(copy, copy.time_request_received, self._backup_stages(settings.copy_available_after), available)
        work = WorkRequest(
            id=new_ocid("workrequest", self.region_info),
            operation_type="CopyBootVolumeBackup" if boot else "CopyVolumeBackup",
            compartment_id=src.compartment_id,
            target=copy,
            time_accepted=self.now,
        )
        self.work_requests[work.id] = work
        self.world.tick()
        return copy, work

    @staticmethod
    def _copy_details(copy: Backup) -> dict[str, Any]:
        return {
            "volumeId": copy.source_id,
            "sourceType": copy.source_type,
            copy.kind.copy_source_field: copy.copied_from,
        }

    def copy_group_backup(self, src: GroupBackup, details: CopyBackupDetails) -> GroupBackup:
        dest = self._destination(details.destination_region)
        if src.lifecycle_state != AVAILABLE:
            raise IncorrectState(f"{src.id} is {src.lifecycle_state}; only AVAILABLE backups can be copied.")
        self._check_copy_pool()
        now = self.now
        group_copy = GroupBackup(
            id=new_ocid("volumegroupbackup", dest.region_info),
            compartment_id=src.compartment_id,
            display_name=details.display_name or src.display_name,
            lifecycle_state=REQUEST_RECEIVED,
            time_created=src.time_created,
            time_request_received=now,
            seq=dest.next_seq(),
            freeform_tags=dict(src.freeform_tags),
            defined_tags=_copy.deepcopy(src.defined_tags),
            volume_group_id=src.volume_group_id,
            type=src.type,
            source_type=src.source_type,
            size_in_gbs=src.size_in_gbs,
            copied_from=src.id,
            source_region=self.region,
            expiration_time=src.expiration_time,
            retention=_copy.deepcopy(src.retention),
        )
        settings = self.world.settings
        for member_id in src.volume_backup_ids:
            member = self.backups.get(member_id)
            if member is None:
                continue
            member_copy = self._copy_of(member, dest, None, details.kms_key_id, volume_group_backup_id=group_copy.id)
            dest.backups[member_copy.id] = member_copy
            group_copy.volume_backup_ids.append(member_copy.id)
            dest._lifecycle(member_copy, now, self._backup_stages(settings.copy_available_after), lambda at: None)
        dest.group_backups[group_copy.id] = group_copy
        self.copies_in_flight.add(group_copy.id)
        stages = [
            Stage(CREATING, settings.creating_after),
            Stage(COMMITTED, settings.committed_after),
            Stage(AVAILABLE, settings.copy_available_after),
        ]
        dest._lifecycle(group_copy, now, stages, lambda at: self.copies_in_flight.discard(group_copy.id))
        self.world.tick()
        return group_copy

    def find_work_request(self, work_request_id: str) -> WorkRequest:
        result: WorkRequest = self._get(self.work_requests, work_request_id)
        return result


def matches(value: str | None, wanted: str | None) -> bool:
    return wanted is None or value == wanted


def select(items: Iterable[Any], **filters: tuple[Callable[[Any], Any], str | None]) -> list[Any]:
    """Keep items whose attribute getter equals each given filter value (``None`` filters are skipped)."""
    active = [(get, wanted) for get, wanted in filters.values() if wanted is not None]
    return [it for it in items if all(get(it) == wanted for get, wanted in active)]
