"""Cross-region copies: destination checks, in-flight limits, the copy in the destination backend."""

from __future__ import annotations

import copy as _copy
from typing import Any, Self

from ..core.exceptions import IncorrectState, InvalidParameter, LimitExceeded
from ..core.ids import new_ocid
from ..core.regions import find_region
from .base import BlockstorageBase
from .bodies import CopyBackupDetails
from .resources import (
    AVAILABLE,
    BOOT_VOLUME_BACKUP,
    Backup,
    GroupBackup,
    WorkRequest,
)


class CopiesMixin(BlockstorageBase):
    # ---- copies --------------------------------------------------------------------------------------

    def _destination(self, name: str) -> Self:
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

    def _kept(self, src: Backup | GroupBackup, display_name: str | None) -> dict[str, Any]:
        """What a copy (of either kind) keeps of its source: its compartment, name, time, tags, type and
        size, where it came from, its expiration."""
        return {
            "compartment_id": src.compartment_id,
            "display_name": display_name or src.display_name,
            "time_created": src.time_created,
            "freeform_tags": dict(src.freeform_tags),
            "defined_tags": _copy.deepcopy(src.defined_tags),
            "type": src.type,
            "source_type": src.source_type,
            "size_in_gbs": src.size_in_gbs,
            "copied_from": src.id,
            "source_region": self.region,
            "expiration_time": src.expiration_time,
            "restore_fails": src.restore_fails,  # assumption: a backup that restores FAULTY copies so
        }

    def _copy_of(
        self, src: Backup, dest: BlockstorageBase, display_name: str | None, kms_key_id: str | None, **extra: Any
    ) -> Backup:
        return Backup(
            **{
                **dest._fresh(src.kind.ocid_type),
                **self._kept(src, display_name),
                "kind": src.kind,
                "source_id": src.source_id if self.world.settings.copies_keep_source_id else None,
                "unique_size_in_gbs": src.unique_size_in_gbs,
                "kms_key_id": kms_key_id,
                "image_id": src.image_id,
                "image_type": src.image_type,
                **extra,
            }
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

        def settled(at: float) -> None:
            if boot:
                self.boot_copies_in_flight.pop(src.source_id or src.id, None)
            else:
                self.copies_in_flight.discard(copy.id)

        stages = self._backup_stages(self.world.settings.copy_available_after)
        dest._begin(copy, f"copy{src.kind.event_noun}", self._copy_details(copy), stages, settled)
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

    @staticmethod
    def _group_copy_details(copy: GroupBackup) -> dict[str, Any]:
        return {
            "volumeGroupId": copy.volume_group_id,
            "sourceType": copy.source_type,
            "sourceVolumeGroupBackupId": copy.copied_from,
        }

    def copy_group_backup(self, src: GroupBackup, details: CopyBackupDetails) -> GroupBackup:
        dest = self._destination(details.destination_region)
        if src.lifecycle_state != AVAILABLE:
            raise IncorrectState(f"{src.id} is {src.lifecycle_state}; only AVAILABLE backups can be copied.")
        self._check_copy_pool()
        now = self.now
        group_copy = dest._new_group_backup(
            **self._kept(src, details.display_name), volume_group_id=src.volume_group_id
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
        self.copies_in_flight.add(group_copy.id)  # one slot of the pool for the group and its members
        details_ = self._group_copy_details(group_copy)
        # Assumption: copyvolumegroupbackup.begin/.end like the other copies (the Events catalog lists no such type).
        stages = dest._group_stages(settings.copy_available_after)
        dest._begin(
            group_copy,
            "copyvolumegroupbackup",
            details_,
            stages,
            lambda at: self.copies_in_flight.discard(group_copy.id),
        )
        self.world.tick()
        return group_copy

    def find_work_request(self, work_request_id: str) -> WorkRequest:
        result: WorkRequest = self._get(self.work_requests, work_request_id)
        return result
