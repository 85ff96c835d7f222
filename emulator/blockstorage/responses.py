"""Block Volume operations: parse -> backend -> serialise, one method per operation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from operator import attrgetter
from typing import Any

from ..core.listing import lifecycle_filter, paginate
from ..core.responses import ApiResponse, BaseResponse, validate
from .bodies import (
    CopyBackupDetails,
    CreateBootVolumeBackupDetails,
    CreateBootVolumeDetails,
    CreateVolumeBackupDetails,
    CreateVolumeDetails,
    CreateVolumeGroupBackupDetails,
    CreateVolumeGroupDetails,
    UpdateBackupDetails,
    UpdateVolumeGroupBackupDetails,
)
from .models import (
    BACKUP_STATES,
    BOOT_VOLUME_BACKUP,
    GROUP_STATES,
    VOLUME_BACKUP,
    VOLUME_STATES,
    Backup,
    BackupKind,
    BlockstorageBackend,
    GroupBackup,
    Resource,
    select,
)

_seq = attrgetter("seq")
_SORT_KEYS: Mapping[str, Callable[[Any], Any]] = {
    "TIMECREATED": attrgetter("time_created"),
    "DISPLAYNAME": attrgetter("display_name"),
}
_COLLECTION = {VOLUME_BACKUP: "volumeBackups", BOOT_VOLUME_BACKUP: "bootVolumeBackups"}


class BlockstorageResponse(BaseResponse):
    @property
    def backend(self) -> BlockstorageBackend:
        return self.world.backend(BlockstorageBackend, self.tenancy_id, self.region.name)

    def _resource(self, res: Any) -> ApiResponse:
        return self.json(res.to_json(), etag=res.etag)

    def _list(self, items: Iterable[Resource], sortable: bool = True) -> ApiResponse:
        if not self.world.settings.purged_listed:
            items = [it for it in items if not self.backend.purged(it)]
        page, next_page = paginate(list(items), self.request.query, _seq, _SORT_KEYS if sortable else None)
        headers = {"opc-next-page": next_page} if next_page else {}
        return ApiResponse(body=[it.to_json() for it in page], headers=headers)  # type: ignore[attr-defined]

    # ---- volumes, boot volumes, volume groups (read-only in the API) ---------------------------------

    def get_volume(self) -> ApiResponse:
        return self._resource(self.backend.get_volume(self.param("volumeId")))

    def list_volumes(self) -> ApiResponse:
        q = self.request.query
        state = lifecycle_filter(q, VOLUME_STATES)
        items = select(
            self.backend.volumes.values(),
            compartment=(attrgetter("compartment_id"), q.get("compartmentId")),
            ad=(attrgetter("availability_domain"), q.get("availabilityDomain")),
            name=(attrgetter("display_name"), q.get("displayName")),
            group=(attrgetter("volume_group_id"), q.get("volumeGroupId")),
            state=(attrgetter("lifecycle_state"), state),
        )
        return self._list(items)

    def get_boot_volume(self) -> ApiResponse:
        return self._resource(self.backend.get_boot_volume(self.param("bootVolumeId")))

    def list_boot_volumes(self) -> ApiResponse:
        q = self.request.query
        items = select(
            self.backend.boot_volumes.values(),
            compartment=(attrgetter("compartment_id"), q.get("compartmentId")),
            ad=(attrgetter("availability_domain"), q.get("availabilityDomain")),
            group=(attrgetter("volume_group_id"), q.get("volumeGroupId")),
        )
        return self._list(items, sortable=False)

    def get_volume_group(self) -> ApiResponse:
        return self._resource(self.backend.get_volume_group(self.param("volumeGroupId")))

    def list_volume_groups(self) -> ApiResponse:
        q = self.request.query
        compartment_id = self.query("compartmentId", required=True)
        state = lifecycle_filter(q, GROUP_STATES)
        items = select(
            self.backend.volume_groups.values(),
            compartment=(attrgetter("compartment_id"), compartment_id),
            ad=(attrgetter("availability_domain"), q.get("availabilityDomain")),
            name=(attrgetter("display_name"), q.get("displayName")),
            state=(attrgetter("lifecycle_state"), state),
        )
        return self._list(items)

    # ---- restores and deletes (restores.py) ----------------------------------------------------------

    def _create_volume(self, model: type[CreateVolumeDetails] | type[CreateBootVolumeDetails]) -> ApiResponse:
        data = self.body_data()
        details = validate(model, data)
        self.check_tag_writes(details.defined_tags)
        backend = self.backend
        volume = self.idempotent(backend.retry_tokens, lambda: backend.restore_volume(details), backend.purged)
        return self._resource(volume)

    def create_volume(self) -> ApiResponse:
        return self._create_volume(CreateVolumeDetails)

    def create_boot_volume(self) -> ApiResponse:
        return self._create_volume(CreateBootVolumeDetails)

    def create_volume_group(self) -> ApiResponse:
        data = self.body_data()
        details = validate(CreateVolumeGroupDetails, data)
        self.check_tag_writes(details.defined_tags)
        backend = self.backend
        group = self.idempotent(backend.retry_tokens, lambda: backend.restore_volume_group(details), backend.purged)
        return self._resource(group)

    def delete_volume(self) -> ApiResponse:
        volume = self.backend.get_volume(self.param("volumeId"))
        self.check_if_match(volume.etag)
        self.backend.delete_volume(volume)
        return ApiResponse(status=204)

    def delete_boot_volume(self) -> ApiResponse:
        volume = self.backend.get_boot_volume(self.param("bootVolumeId"))
        self.check_if_match(volume.etag)
        self.backend.delete_volume(volume)
        return ApiResponse(status=204)

    def delete_volume_group(self) -> ApiResponse:
        group = self.backend.get_volume_group(self.param("volumeGroupId"))
        self.check_if_match(group.etag)
        self.backend.delete_volume_group(group)
        return ApiResponse(status=204)

    # ---- volume and boot volume backups (shared by kind) ---------------------------------------------

    def _create_backup(
        self, kind: BackupKind, model: type[CreateVolumeBackupDetails] | type[CreateBootVolumeBackupDetails]
    ) -> ApiResponse:
        data = self.body_data()
        details = validate(model, data)
        self.check_tag_writes(details.defined_tags)
        backend = self.backend
        backup = self.idempotent(backend.retry_tokens, lambda: backend.create_backup(kind, details), backend.purged)
        return self._resource(backup)

    def _get_backup(self, kind: BackupKind) -> Backup:
        return self.backend.get_backup(kind, self.param("backupId"))

    def _list_backups(self, kind: BackupKind) -> ApiResponse:
        q = self.request.query
        compartment_id = self.query("compartmentId", required=True)
        assert compartment_id is not None  # required: refused above when absent
        state = lifecycle_filter(q, BACKUP_STATES)
        items = select(
            self.backend.backups_in(kind, compartment_id),
            source=(attrgetter("source_id"), q.get(kind.source_field)),
            name=(attrgetter("display_name"), q.get("displayName")),
            copied_from=(attrgetter("copied_from"), q.get(kind.copy_source_field)),
            state=(attrgetter("lifecycle_state"), state),
        )
        return self._list(items)

    def _update_backup(self, kind: BackupKind) -> ApiResponse:
        backup = self._get_backup(kind)
        details = self.body(UpdateBackupDetails)
        self.check_if_match(backup.etag)
        self.check_tag_writes(details.defined_tags, backup.defined_tags)
        return self._resource(self.backend.update_backup(backup, details))

    def _delete_backup(self, kind: BackupKind) -> ApiResponse:
        backup = self._get_backup(kind)
        self.check_if_match(backup.etag)
        self.backend.delete_backup(backup)
        return ApiResponse(status=204)

    def _copy_backup(self, kind: BackupKind) -> ApiResponse:
        data = self.body_data()
        details = validate(CopyBackupDetails, data)
        backend = self.backend
        source = self._get_backup(kind)
        copy, work = self.idempotent(
            backend.retry_tokens,
            lambda: backend.copy_backup(source, details),
            lambda made: backend.purged(made[0]),
        )
        host = f"/{self.request.host}" if self.request.host else ""
        location = f"{self.request.base_url}{host}/{details.destination_region}/20160918/{_COLLECTION[kind]}/{copy.id}"
        return self.json(
            copy.to_json(), etag=copy.etag, opc_work_request_id=work.id, location=location, content_location=location
        )

    def create_volume_backup(self) -> ApiResponse:
        return self._create_backup(VOLUME_BACKUP, CreateVolumeBackupDetails)

    def get_volume_backup(self) -> ApiResponse:
        return self._resource(self._get_backup(VOLUME_BACKUP))

    def list_volume_backups(self) -> ApiResponse:
        return self._list_backups(VOLUME_BACKUP)

    def update_volume_backup(self) -> ApiResponse:
        return self._update_backup(VOLUME_BACKUP)

    def delete_volume_backup(self) -> ApiResponse:
        return self._delete_backup(VOLUME_BACKUP)

    def copy_volume_backup(self) -> ApiResponse:
        return self._copy_backup(VOLUME_BACKUP)

    def create_boot_volume_backup(self) -> ApiResponse:
        return self._create_backup(BOOT_VOLUME_BACKUP, CreateBootVolumeBackupDetails)

    def get_boot_volume_backup(self) -> ApiResponse:
        return self._resource(self._get_backup(BOOT_VOLUME_BACKUP))

    def list_boot_volume_backups(self) -> ApiResponse:
        return self._list_backups(BOOT_VOLUME_BACKUP)

    def update_boot_volume_backup(self) -> ApiResponse:
        return self._update_backup(BOOT_VOLUME_BACKUP)

    def delete_boot_volume_backup(self) -> ApiResponse:
        return self._delete_backup(BOOT_VOLUME_BACKUP)

    def copy_boot_volume_backup(self) -> ApiResponse:
        return self._copy_backup(BOOT_VOLUME_BACKUP)

    # ---- volume group backups ------------------------------------------------------------------------

    def _get_group_backup(self) -> GroupBackup:
        return self.backend.get_group_backup(self.param("volumeGroupBackupId"))

    def create_volume_group_backup(self) -> ApiResponse:
        data = self.body_data()
        details = validate(CreateVolumeGroupBackupDetails, data)
        self.check_tag_writes(details.defined_tags)
        backend = self.backend
        group_backup = self.idempotent(
            backend.retry_tokens, lambda: backend.create_group_backup(details), backend.purged
        )
        return self._resource(group_backup)

    def get_volume_group_backup(self) -> ApiResponse:
        return self._resource(self._get_group_backup())

    def list_volume_group_backups(self) -> ApiResponse:
        q = self.request.query
        compartment_id = self.query("compartmentId", required=True)
        items = select(
            self.backend.group_backups.values(),
            compartment=(attrgetter("compartment_id"), compartment_id),
            group=(attrgetter("volume_group_id"), q.get("volumeGroupId")),
            name=(attrgetter("display_name"), q.get("displayName")),
        )
        return self._list(items)

    def update_volume_group_backup(self) -> ApiResponse:
        group_backup = self._get_group_backup()
        details = self.body(UpdateVolumeGroupBackupDetails)
        self.check_if_match(group_backup.etag)
        self.check_tag_writes(details.defined_tags, group_backup.defined_tags)
        return self._resource(self.backend.update_group_backup(group_backup, details))

    def delete_volume_group_backup(self) -> ApiResponse:
        group_backup = self._get_group_backup()
        self.check_if_match(group_backup.etag)
        self.backend.delete_group_backup(group_backup)
        return ApiResponse(status=204)

    def copy_volume_group_backup(self) -> ApiResponse:
        data = self.body_data()
        details = validate(CopyBackupDetails, data)
        backend = self.backend
        source = self._get_group_backup()
        group_copy = self.idempotent(
            backend.retry_tokens, lambda: backend.copy_group_backup(source, details), backend.purged
        )
        return self._resource(group_copy)

    # ---- work requests -------------------------------------------------------------------------------

    def get_work_request(self) -> ApiResponse:
        work = self.backend.find_work_request(self.param("workRequestId"))
        return self.json(work.to_json())
