"""Restores: CreateVolume / CreateBootVolume / CreateVolumeGroup from backups, and DeleteVolume /
DeleteBootVolume / DeleteVolumeGroup.

Rules (the Core API's CreateVolumeDetails, CreateBootVolumeDetails, CreateVolumeGroupDetails and the
Volume / BootVolume / VolumeGroup models), with the emulator's assumptions named where OCI is silent:

* Sources: ``sourceDetails {"type": "volumeBackup", "id"}`` (or the deprecated top-level
  ``volumeBackupId``), ``{"type": "bootVolumeBackup", "id"}``, ``{"type": "volumeGroupBackupId",
  "volumeGroupBackupId"}``; CreateVolume without a source makes an empty volume. Other source types
  (clones, replicas, deltas) exist in OCI and are refused here (400 ``InvalidParameter``, "not modelled").
  An unknown backup is 404; one that is not AVAILABLE is 409 ``IncorrectState``.
* ``availabilityDomain`` is required and must be one of the region's ``...-AD-1`` to ``-AD-3``, named
  by the region (``US-ASHBURN-AD-1``) or its key (``PHX-AD-1``) (assumption: three ADs per region, the
  tenancy prefix before ``:`` not checked).
* Size: ``sizeInGBs`` 50 to 32768; smaller than the backup's ``sizeInGBs`` -> 400 ``InvalidParameter``;
  omitted -> the backup's size. ``vpusPerGB`` 0 to 120 in steps of 10, default 10; 0 (Lower Cost) is
  refused for a boot volume (assumption, from the docs' performance page: boot volumes start at Balanced).
* ``kmsKeyId``: the one given, else the backup's (assumption).
* Lifecycle on the emulator clock (assumption: OCI gives no figure, so a duration that grows with size,
  ``core/settings.py``): PROVISIONING, RESTORING after ``restore_provisioning_after``, AVAILABLE
  ``restore_base_seconds + restore_seconds_per_gb x sizeInGBs`` after the call, ``isHydrated`` true
  ``hydrate_seconds_per_gb x sizeInGBs`` later (``isHydrated`` is false until then). A backup seeded with
  ``restoreFails`` restores to FAULTY instead, at the same moment, and never hydrates.
* A volume group from a group backup: one member volume (or boot volume) per member backup, in the
  group's AD and compartment, with the group's tags (assumption), each on its own clock; the group is
  PROVISIONING until the slowest member ends (VolumeGroup has no RESTORING), then AVAILABLE, or FAULTY
  when the group backup or any member backup has ``restoreFails``; hydrated when all members are.
* Events: ``create{volume,bootvolume,volumegroup}.begin`` at the call and ``.end`` when the resource
  ends AVAILABLE (``status: operationSucceed``) or FAULTY (``operationFailed``); member volumes of a
  group emit none of their own (assumption, as with member backups).
* Limits: ``max_volumes_per_ad`` / ``max_volume_gb_per_ad`` (settings, None: none) count the volumes and
  boot volumes of the tenancy in the region's AD that are not TERMINATED; a create past either -> 400
  ``LimitExceeded`` (a group counts all its members). Volumes made through the control API count but are
  never refused.
* Deletes (``if-match`` checked first, 412 ``NoEtagMatch``): TERMINATING now (``delete*.begin``),
  TERMINATED ``terminating_after`` later (``delete*.end``), still listed; a second delete changes
  nothing. A volume still in a volume group that is not being deleted -> 409 ``IncorrectState``
  (assumption, from the docs: a volume must leave its group first); deleting the group releases its
  volumes at once and deletes none of them. Deleting a volume that is still PROVISIONING or RESTORING
  is accepted and ends the restore (assumption: OCI documents no refusal). Attachments of restored
  volumes are not modelled.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable
from typing import Any

from ..core.exceptions import IncorrectState, InvalidParameter, LimitExceeded, MissingParameter, NotAuthorizedOrNotFound
from ..core.ids import new_ocid
from ..core.tag_limits import check_tags
from ..events import FAILED, SUCCEEDED
from .base import BlockstorageBase
from .bodies import CreateBootVolumeDetails, CreateVolumeDetails, CreateVolumeGroupDetails
from .resources import (
    AVAILABLE,
    BOOT_VOLUME_BACKUP,
    FAULTY,
    PROVISIONING,
    RESTORE_IN_PROGRESS,
    RESTORING,
    TERMINATED,
    TERMINATING,
    VOLUME_BACKUP,
    Backup,
    BackupKind,
    BootVolume,
    GroupBackup,
    Resource,
    Volume,
    VolumeGroup,
)

ADS = ("AD-1", "AD-2", "AD-3")


class RestoresMixin(BlockstorageBase):
    # ---- checks --------------------------------------------------------------------------------------

    def _check_ad(self, availability_domain: str | None) -> str:
        if not availability_domain:
            raise MissingParameter("The parameter 'availabilityDomain' is required.")
        name = availability_domain.rsplit(":", 1)[-1].upper()
        prefixes = (self.region.rsplit("-", 1)[0].upper(), self.region_info.key)  # US-ASHBURN-AD-1, PHX-AD-1
        if not any(name == f"{prefix}-{ad}" for prefix in prefixes for ad in ADS):
            raise InvalidParameter(
                f"Invalid value for 'availabilityDomain': {availability_domain!r} is not in {self.region}."
            )
        return availability_domain

    def _check_limits(self, availability_domain: str, count: int, gbs: int) -> None:
        settings = self.world.settings
        suffix = availability_domain.rsplit(":", 1)[-1].upper()
        live = [
            v
            for v in (*self.volumes.values(), *self.boot_volumes.values())
            if v.availability_domain.rsplit(":", 1)[-1].upper() == suffix and v.lifecycle_state != TERMINATED
        ]
        if settings.max_volumes_per_ad is not None and len(live) + count > settings.max_volumes_per_ad:
            raise LimitExceeded(
                f"The volume count limit ({settings.max_volumes_per_ad}) in {availability_domain} would be exceeded."
            )
        used = sum(v.size_in_gbs for v in live)
        if settings.max_volume_gb_per_ad is not None and used + gbs > settings.max_volume_gb_per_ad:
            raise LimitExceeded(
                f"The block storage limit ({settings.max_volume_gb_per_ad} GB) in {availability_domain} "
                "would be exceeded."
            )

    def _restore_source(self, kind: BackupKind, backup_id: str) -> Backup:
        backup = self.backups.get(backup_id)
        if backup is None or backup.kind is not kind:
            raise NotAuthorizedOrNotFound(f"{kind.resource} {backup_id} not found.")
        if backup.lifecycle_state != AVAILABLE:
            raise IncorrectState(f"{backup_id} is {backup.lifecycle_state}; only AVAILABLE backups can be restored.")
        return backup

    @staticmethod
    def _restore_size(requested: int | None, backup_size: int) -> int:
        if requested is not None and requested < backup_size:
            raise InvalidParameter(
                f"Invalid value for 'sizeInGBs': {requested} GB is smaller than the backup's {backup_size} GB."
            )
        return requested if requested is not None else backup_size

    @staticmethod
    def _source(details: CreateVolumeDetails | CreateBootVolumeDetails, expected: str) -> str | None:
        source = details.source_details
        if isinstance(details, CreateVolumeDetails) and details.volume_backup_id is not None:
            if source is not None and (source.type != expected or source.id != details.volume_backup_id):
                raise InvalidParameter("Invalid value for 'volumeBackupId': it contradicts 'sourceDetails'.")
            return details.volume_backup_id
        if source is None:
            return None
        if source.type != expected:
            raise InvalidParameter(
                f"Invalid value for 'sourceDetails.type': {source.type!r} is not modelled by the emulator "
                f"(it restores from '{expected}')."
            )
        return source.id

    # ---- lifecycle -----------------------------------------------------------------------------------

    def _restore_duration(self, size_in_gbs: int) -> tuple[float, float]:
        """(seconds to AVAILABLE, seconds from AVAILABLE to hydrated) for a restore of this size."""
        s = self.world.settings
        return s.restore_base_seconds + s.restore_seconds_per_gb * size_in_gbs, s.hydrate_seconds_per_gb * size_in_gbs

    def _restore_lifecycle(self, volume: Volume, fails: bool, on_end: Callable[[float], None] | None) -> float:
        """Schedule a restored volume's states; returns when it ends (AVAILABLE or FAULTY)."""
        start = self.now
        duration, hydrate = self._restore_duration(volume.size_in_gbs)

        def restoring(at: float) -> None:
            if volume.lifecycle_state == PROVISIONING:
                volume.lifecycle_state = RESTORING
                volume.touch()

        def ended(at: float) -> None:
            if volume.lifecycle_state not in RESTORE_IN_PROGRESS:
                return
            volume.lifecycle_state = FAULTY if fails else AVAILABLE
            volume.touch()
            if on_end is not None:
                on_end(at)

        def hydrated(at: float) -> None:
            if volume.lifecycle_state == AVAILABLE:
                volume.is_hydrated = True
                volume.touch()

        scheduler = self.world.scheduler
        scheduler.at(start + min(self.world.settings.restore_provisioning_after, duration), restoring)
        scheduler.at(start + duration, ended)
        if not fails:
            scheduler.at(start + duration + hydrate, hydrated)
        return start + duration + (0.0 if fails else hydrate)

    def _announce_end(self, res: Resource, noun: str, ad: str) -> Callable[[float], None]:
        def end(at: float) -> None:
            status = SUCCEEDED if res.lifecycle_state == AVAILABLE else FAILED
            self.emit(f"create{noun}.end", res, {"status": status}, at, ad)

        return end

    def _new_volume(
        self,
        cls: type[Volume],
        ocid_type: str,
        common: dict[str, Any],
        backup: Backup | None,
        size: int,
        vpus: int,
        **extra: Any,
    ) -> Volume:
        source_type = "bootVolumeBackup" if cls is BootVolume else "volumeBackup"
        source = {"type": source_type, "id": backup.id} if backup else None
        volume = cls(
            id=new_ocid(ocid_type, self.region_info),
            lifecycle_state=PROVISIONING,
            time_created=self.now,
            seq=self.next_seq(),
            size_in_gbs=size,
            vpus_per_gb=vpus,
            is_hydrated=backup is None,
            source_details=source,
            **common,
            **extra,
        )
        return volume

    @staticmethod
    def _common(
        details: CreateVolumeDetails | CreateBootVolumeDetails | CreateVolumeGroupDetails, ad: str, name: str
    ) -> dict[str, Any]:
        check_tags(details.freeform_tags or {}, details.defined_tags or {})
        return {
            "compartment_id": details.compartment_id,
            "display_name": details.display_name or name,
            "freeform_tags": dict(details.freeform_tags or {}),
            "defined_tags": _copy.deepcopy(details.defined_tags or {}),
            "availability_domain": ad,
        }

    # ---- create --------------------------------------------------------------------------------------

    def restore_volume(self, details: CreateVolumeDetails | CreateBootVolumeDetails) -> Volume:
        boot = isinstance(details, CreateBootVolumeDetails)
        kind = BOOT_VOLUME_BACKUP if boot else VOLUME_BACKUP
        ad = self._check_ad(details.availability_domain)
        backup_id = self._source(details, "bootVolumeBackup" if boot else "volumeBackup")
        backup = self._restore_source(kind, backup_id) if backup_id is not None else None
        requested = details.size_in_gbs
        if isinstance(details, CreateVolumeDetails) and requested is None and details.size_in_mbs is not None:
            requested = details.size_in_mbs // 1024
        size = self._restore_size(requested, backup.size_in_gbs) if backup else (requested or 1024)
        vpus = 10 if details.vpus_per_gb is None else details.vpus_per_gb
        if boot and vpus == 0:
            raise InvalidParameter("Invalid value for 'vpusPerGB': a boot volume needs at least 10 (Balanced).")
        common = self._common(details, ad, backup.display_name if backup else "volume")
        self._check_limits(ad, 1, size)
        kms = details.kms_key_id or (backup.kms_key_id if backup else None)
        noun = "bootvolume" if boot else "volume"
        volume: Volume
        if boot:
            assert backup is not None  # sourceDetails is required for a boot volume
            boot_volume = self._new_volume(
                BootVolume, "bootvolume", common, backup, size, vpus, kms_key_id=kms, image_id=backup.image_id or ""
            )
            assert isinstance(boot_volume, BootVolume)
            self.boot_volumes[boot_volume.id] = boot_volume
            volume = boot_volume
        else:
            volume = self._new_volume(Volume, "volume", common, backup, size, vpus, kms_key_id=kms)
            self.volumes[volume.id] = volume
        self.emit(f"create{noun}.begin", volume, {}, volume.time_created, ad)
        fails = backup.restore_fails if backup else False
        if backup is None:
            self._blank_lifecycle(volume, self._announce_end(volume, noun, ad))
        else:
            self._restore_lifecycle(volume, fails, self._announce_end(volume, noun, ad))
        self.world.tick()
        return volume

    def _blank_lifecycle(self, volume: Volume, on_end: Callable[[float], None]) -> None:
        def ended(at: float) -> None:
            if volume.lifecycle_state == PROVISIONING:
                volume.lifecycle_state = AVAILABLE
                volume.touch()
                on_end(at)

        self.world.scheduler.at(self.now + self.world.settings.restore_provisioning_after, ended)

    def restore_volume_group(self, details: CreateVolumeGroupDetails) -> VolumeGroup:
        ad = self._check_ad(details.availability_domain)
        source = details.source_details
        if source.type != "volumeGroupBackupId" or not source.volume_group_backup_id:
            raise InvalidParameter(
                f"Invalid value for 'sourceDetails.type': {source.type!r} is not modelled by the emulator "
                "(it restores from 'volumeGroupBackupId' with 'volumeGroupBackupId')."
            )
        group_backup = self._group_backup(source.volume_group_backup_id)
        if group_backup.lifecycle_state != AVAILABLE:
            raise IncorrectState(
                f"{group_backup.id} is {group_backup.lifecycle_state}; only AVAILABLE backups can be restored."
            )
        members = [self.backups[m] for m in group_backup.volume_backup_ids if m in self.backups]
        common = self._common(details, ad, group_backup.display_name)
        self._check_limits(ad, len(members), sum(m.size_in_gbs for m in members))
        group = VolumeGroup(
            id=new_ocid("volumegroup", self.region_info),
            lifecycle_state=PROVISIONING,
            time_created=self.now,
            seq=self.next_seq(),
            size_in_gbs=sum(m.size_in_gbs for m in members),
            is_hydrated=False,
            source_details={"type": "volumeGroupBackupId", "volumeGroupBackupId": group_backup.id},
            **common,
        )
        fails = group_backup.restore_fails or any(m.restore_fails for m in members)
        ends = [self.now]
        for member in members:
            boot = member.kind is BOOT_VOLUME_BACKUP
            member_common = {**common, "display_name": f"{group.display_name} ({member.display_name})"}
            member_common["freeform_tags"] = dict(common["freeform_tags"])
            member_common["defined_tags"] = _copy.deepcopy(common["defined_tags"])
            extra: dict[str, Any] = {"kms_key_id": member.kms_key_id, "volume_group_id": group.id}
            if boot:
                extra["image_id"] = member.image_id or ""
            volume = self._new_volume(
                BootVolume if boot else Volume,
                "bootvolume" if boot else "volume",
                member_common,
                member,
                member.size_in_gbs,
                10,
                **extra,
            )
            if isinstance(volume, BootVolume):
                self.boot_volumes[volume.id] = volume
            else:
                self.volumes[volume.id] = volume
            group.volume_ids.append(volume.id)
            ends.append(self._restore_lifecycle(volume, fails, None))
        self.volume_groups[group.id] = group
        self.emit("createvolumegroup.begin", group, {}, group.time_created, ad)
        self._group_lifecycle(group, fails, self._announce_end(group, "volumegroup", ad))
        self.world.tick()
        return group

    def _group_lifecycle(self, group: VolumeGroup, fails: bool, on_end: Callable[[float], None]) -> None:
        start = self.now
        durations = [self._restore_duration(self.any_volume(v).size_in_gbs) for v in group.volume_ids] or [(0.0, 0.0)]
        done_at = start + max(d for d, _ in durations)
        hydrated_at = start + max(d + h for d, h in durations)

        def ended(at: float) -> None:
            if group.lifecycle_state != PROVISIONING:
                return
            group.lifecycle_state = FAULTY if fails else AVAILABLE
            group.touch()
            on_end(at)

        def hydrated(at: float) -> None:
            if group.lifecycle_state == AVAILABLE:
                group.is_hydrated = True
                group.touch()

        self.world.scheduler.at(done_at, ended)  # after the members' own transitions at the same time
        if not fails:
            self.world.scheduler.at(hydrated_at, hydrated)

    def _group_backup(self, group_backup_id: str) -> GroupBackup:
        found = self.group_backups.get(group_backup_id)
        if found is None:
            raise NotAuthorizedOrNotFound(f"VolumeGroupBackup {group_backup_id} not found.")
        result: GroupBackup = found
        return result

    # ---- delete --------------------------------------------------------------------------------------

    def _terminate_volume(self, res: Volume | VolumeGroup, noun: str) -> None:
        res.lifecycle_state = TERMINATING
        res.touch()
        self.emit(f"delete{noun}.begin", res, {}, self.now, res.availability_domain)

        def terminated(at: float) -> None:
            res.lifecycle_state = TERMINATED
            res.time_terminated = at
            res.touch()
            self.emit(f"delete{noun}.end", res, {"status": SUCCEEDED}, at, res.availability_domain)

        self.world.scheduler.at(self.now + self.world.settings.terminating_after, terminated)

    def delete_volume(self, volume: Volume) -> None:
        if volume.lifecycle_state in (TERMINATING, TERMINATED):
            return
        group = self.volume_groups.get(volume.volume_group_id) if volume.volume_group_id else None
        if group is not None and group.lifecycle_state not in (TERMINATING, TERMINATED):
            raise IncorrectState(
                f"{volume.id} is in volume group {group.id}; delete the group (or remove the volume from it) first."
            )
        self._terminate_volume(volume, "bootvolume" if isinstance(volume, BootVolume) else "volume")

    def delete_volume_group(self, group: VolumeGroup) -> None:
        if group.lifecycle_state in (TERMINATING, TERMINATED):
            return
        for volume_id in group.volume_ids:
            member = self.volumes.get(volume_id) or self.boot_volumes.get(volume_id)
            if member is not None and member.volume_group_id == group.id:
                member.volume_group_id = None  # released, not deleted
                member.touch()
        self._terminate_volume(group, "volumegroup")
