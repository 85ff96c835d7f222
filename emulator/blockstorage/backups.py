"""Volume, boot volume and volume group backups: create, update, delete, seed."""

from __future__ import annotations

import copy as _copy
from typing import Any

from ..core.clock import rfc3339
from ..core.exceptions import IncorrectState, NotAuthorizedOrNotFound
from ..core.tag_limits import check_tags
from ..events import FAILED, SUCCEEDED
from . import locks
from .base import BlockstorageBase
from .bodies import (
    CreateBootVolumeBackupDetails,
    CreateVolumeBackupDetails,
    CreateVolumeGroupBackupDetails,
    UpdateBackupDetails,
    UpdateVolumeGroupBackupDetails,
)
from .resources import (
    AVAILABLE,
    BOOT_VOLUME_BACKUP,
    IN_PROGRESS,
    TERMINATED,
    TERMINATING,
    VOLUME_BACKUP,
    Backup,
    BackupKind,
    BootVolume,
    DefinedTags,
    GroupBackup,
    Tags,
    Volume,
    merge_defined,
    merge_tags,
)


class BackupsMixin(BlockstorageBase):
    def create_backup(
        self, kind: BackupKind, details: CreateVolumeBackupDetails | CreateBootVolumeBackupDetails
    ) -> Backup:
        if isinstance(details, CreateVolumeBackupDetails):
            source: Volume = self.get_volume(details.volume_id)
        else:
            source = self.get_boot_volume(details.boot_volume_id)
        if source.lifecycle_state != AVAILABLE:
            raise IncorrectState(f"{source.id} is {source.lifecycle_state}, not AVAILABLE.")
        freeform_tags = merge_tags(source.freeform_tags, details.freeform_tags)
        defined_tags = merge_defined(source.defined_tags, details.defined_tags)
        check_tags(freeform_tags, defined_tags)
        retention, _ = locks.new_lock(details.retention_json(), self.now)  # refused before anything changes
        self._claim_source(source.id)
        backup_type = details.type or "INCREMENTAL"
        backup = self._new_backup(
            kind,
            source,
            compartment_id=source.compartment_id,
            display_name=details.display_name or f"{source.display_name} backup {rfc3339(self.now)}",
            freeform_tags=freeform_tags,
            defined_tags=defined_tags,
            type=backup_type,
            unique_size_in_gbs=source.size_in_gbs if backup_type == "FULL" else 1,
            kms_key_id=details.kms_key_id,
        )
        # the period counts from the backup's own timeCreated
        backup.retention, backup.retention_expires_at = locks.new_lock(retention, backup.time_created)
        self.backups[backup.id] = backup
        self.busy_sources[source.id] = backup.id
        stages = self._backup_stages(self.world.settings.available_after)
        self._begin(backup, f"create{kind.event_noun}", self._backup_details(backup), stages, self._release(source.id))
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
        retention: dict[str, Any] | None = None,
        restore_fails: bool = False,
    ) -> Backup:
        """A finished backup made "earlier" (control API only), e.g. an old policy backup for retention tests."""
        source: Volume = self.get_boot_volume(source_id) if kind is BOOT_VOLUME_BACKUP else self.get_volume(source_id)
        created = self.now - age_seconds
        lock_fields, expires = locks.new_lock(retention or {}, created)  # an old lock may have run out
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
            retention=lock_fields,
            retention_expires_at=expires,
            restore_fails=restore_fails,
            time_created=created,
            time_request_received=created,
            lifecycle_state=lifecycle_state,
        )
        self.backups[backup.id] = backup
        if announce:
            self._announce(kind.event_noun, backup)
        return backup

    def seed_group_backup(
        self,
        group_id: str,
        *,
        display_name: str | None = None,
        source_type: str = "MANUAL",
        backup_type: str = "INCREMENTAL",
        age_seconds: float = 0.0,
        lifecycle_state: str = AVAILABLE,
        freeform_tags: Tags | None = None,
        defined_tags: DefinedTags | None = None,
        announce: bool = False,
        restore_fails: bool = False,
    ) -> GroupBackup:
        """A finished volume group backup made "earlier" (control API only), one member backup per volume."""
        group = self.get_volume_group(group_id)
        created = self.now - age_seconds
        made = {"time_created": created, "time_request_received": created, "lifecycle_state": lifecycle_state}
        group_backup = self._new_group_backup(
            compartment_id=group.compartment_id,
            display_name=display_name or f"{group.display_name} backup {rfc3339(created)}",
            **made,
            freeform_tags=merge_tags(group.freeform_tags, freeform_tags),
            defined_tags=merge_defined(group.defined_tags, defined_tags),
            volume_group_id=group.id,
            type=backup_type,
            source_type=source_type,
            size_in_gbs=group.size_in_gbs,
            restore_fails=restore_fails,
        )
        for member in (self.any_volume(vid) for vid in group.volume_ids):
            self._member_backup(
                group_backup,
                member,
                freeform_tags,
                defined_tags,
                source_type=source_type,
                **made,
            )
        self.group_backups[group_backup.id] = group_backup
        if announce:
            self._announce("volumegroupbackup", group_backup)
        return group_backup

    def _member_backup(
        self,
        group_backup: GroupBackup,
        member: Volume,
        freeform_tags: Tags | None,
        defined_tags: DefinedTags | None,
        **fields: Any,
    ) -> Backup:
        """One member of a volume group backup: named after the group's, the member's tags with the request's."""
        kind = BOOT_VOLUME_BACKUP if isinstance(member, BootVolume) else VOLUME_BACKUP
        backup = self._new_backup(
            kind,
            member,
            compartment_id=group_backup.compartment_id,
            display_name=f"{group_backup.display_name} ({member.display_name})",
            freeform_tags=merge_tags(member.freeform_tags, freeform_tags),
            defined_tags=merge_defined(member.defined_tags, defined_tags),
            type=group_backup.type,
            volume_group_backup_id=group_backup.id,
            **fields,
        )
        self.backups[backup.id] = backup
        group_backup.volume_backup_ids.append(backup.id)
        return backup

    def _announce(self, noun: str, res: Backup | GroupBackup) -> None:
        """A seeded backup's ``create<noun>.begin`` (when it was made) and ``.end`` (now), if it finished."""
        if res.lifecycle_state not in (AVAILABLE, "FAULTY"):
            return
        details = self._backup_details(res)
        status = SUCCEEDED if res.lifecycle_state == AVAILABLE else FAILED
        self.emit(f"create{noun}.begin", res, details, res.time_created)
        self.emit(f"create{noun}.end", res, {**details, "status": status}, self.now)

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
        if res.lifecycle_state in (TERMINATING, TERMINATED):
            raise IncorrectState(f"{res.id} is {res.lifecycle_state} and cannot be updated.")
        lock = locks.updated_lock(  # checked first: a refused lock change changes nothing
            res.id,
            res.retention,
            res.retention_expires_at,
            details.retention_json(only_given=True),
            self.now,
            res.time_created if self.world.settings.lock_period_from == "created" else self.now,
        )
        given = details.model_fields_set
        check_tags(
            (details.freeform_tags or {}) if "freeform_tags" in given else res.freeform_tags,
            (details.defined_tags or {}) if "defined_tags" in given else res.defined_tags,
        )
        if "display_name" in given and details.display_name is not None:
            res.display_name = details.display_name
        if "freeform_tags" in given:
            res.freeform_tags = dict(details.freeform_tags or {})
        if "defined_tags" in given:
            res.defined_tags = _copy.deepcopy(details.defined_tags or {})
        if isinstance(details, UpdateBackupDetails) and isinstance(res, Backup) and "kms_key_id" in given:
            res.kms_key_id = details.kms_key_id
        res.retention, res.retention_expires_at = lock
        res.touch()

    def update_backup(self, backup: Backup, details: UpdateBackupDetails) -> Backup:
        self._apply_update(backup, details)
        self.emit(f"update{backup.kind.event_noun}", backup, self._backup_details(backup), self.now)
        return backup

    def _terminate(self, res: Backup | GroupBackup, noun: str, members: list[Backup] | None = None) -> None:
        """Delete: TERMINATING now (``delete*.begin``), TERMINATED after ``terminating_after`` seconds
        (``delete*.end``). Deleting a TERMINATING or TERMINATED resource again changes nothing."""
        if res.lifecycle_state in (TERMINATING, TERMINATED):
            return
        if res.lifecycle_state in IN_PROGRESS:
            raise IncorrectState(f"{res.id} is {res.lifecycle_state}; wait until it is AVAILABLE.")
        parts = [res, *(m for m in members or [] if m.lifecycle_state not in (TERMINATING, TERMINATED))]
        for part in parts:
            part.lifecycle_state = TERMINATING
            part.touch()
        details = self._backup_details(res)
        self.emit(f"delete{noun}.begin", res, details, self.now)

        def terminated(at: float) -> None:
            for part in parts:
                part.lifecycle_state = TERMINATED
                part.time_terminated = at
                part.touch()
            self.emit(f"delete{noun}.end", res, {**details, "status": SUCCEEDED}, at)

        self.world.scheduler.at(self.now + self.world.settings.terminating_after, terminated)

    def delete_backup(self, backup: Backup) -> None:
        if backup.lifecycle_state not in (TERMINATING, TERMINATED):
            locks.check_deletable(backup.id, backup.retention, backup.retention_expires_at, self.now)
        self._terminate(backup, backup.kind.event_noun)

    # ---- volume group backups ------------------------------------------------------------------------

    def create_group_backup(self, details: CreateVolumeGroupBackupDetails) -> GroupBackup:
        group = self.get_volume_group(details.volume_group_id)
        members = [self.any_volume(vid) for vid in group.volume_ids]
        check_tags(
            merge_tags(group.freeform_tags, details.freeform_tags),
            merge_defined(group.defined_tags, details.defined_tags),
        )
        now = self.now
        retention, expires = locks.new_lock(details.retention_json(), now)
        for member in members:
            self._claim_source(member.id)
        backup_type = details.type or "INCREMENTAL"
        group_backup = self._new_group_backup(
            compartment_id=details.compartment_id or group.compartment_id,
            display_name=details.display_name or f"{group.display_name} backup {rfc3339(now)}",
            freeform_tags=merge_tags(group.freeform_tags, details.freeform_tags),
            defined_tags=merge_defined(group.defined_tags, details.defined_tags),
            volume_group_id=group.id,
            type=backup_type,
            size_in_gbs=group.size_in_gbs,
            retention=retention,
            retention_expires_at=expires,
        )
        available_after = self.world.settings.available_after
        for member in members:
            backup = self._member_backup(
                group_backup,
                member,
                details.freeform_tags,
                details.defined_tags,
                retention=dict(retention),  # assumption: a group backup's lock is its members' lock too
                retention_expires_at=expires,
            )
            self.busy_sources[member.id] = backup.id
            self._lifecycle(backup, now, self._backup_stages(available_after), self._release(member.id))
        self.group_backups[group_backup.id] = group_backup
        details_ = self._backup_details(group_backup)
        self._begin(group_backup, "createvolumegroupbackup", details_, self._group_stages(available_after))
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
        members = [self.backups[m] for m in group_backup.volume_backup_ids if m in self.backups]
        if group_backup.lifecycle_state not in (TERMINATING, TERMINATED):
            locks.check_deletable(group_backup.id, group_backup.retention, group_backup.retention_expires_at, self.now)
            for member in members:  # deleting the group deletes its members
                if member.lifecycle_state not in (TERMINATING, TERMINATED):
                    locks.check_deletable(member.id, member.retention, member.retention_expires_at, self.now)
        self._terminate(group_backup, "volumegroupbackup", members)
