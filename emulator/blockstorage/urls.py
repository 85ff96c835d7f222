"""Block Volume routes (the API reference's paths): path template -> method -> (operation, handler)."""

from __future__ import annotations

from .responses import BlockstorageResponse

response_class = BlockstorageResponse
V = "/20160918"

url_paths: dict[str, dict[str, tuple[str, str]]] = {
    f"{V}/volumes": {"GET": ("ListVolumes", "list_volumes"), "POST": ("CreateVolume", "create_volume")},
    f"{V}/volumes/{{volumeId}}": {
        "GET": ("GetVolume", "get_volume"),
        "DELETE": ("DeleteVolume", "delete_volume"),
    },
    f"{V}/bootVolumes": {
        "GET": ("ListBootVolumes", "list_boot_volumes"),
        "POST": ("CreateBootVolume", "create_boot_volume"),
    },
    f"{V}/bootVolumes/{{bootVolumeId}}": {
        "GET": ("GetBootVolume", "get_boot_volume"),
        "DELETE": ("DeleteBootVolume", "delete_boot_volume"),
    },
    f"{V}/volumeGroups": {
        "GET": ("ListVolumeGroups", "list_volume_groups"),
        "POST": ("CreateVolumeGroup", "create_volume_group"),
    },
    f"{V}/volumeGroups/{{volumeGroupId}}": {
        "GET": ("GetVolumeGroup", "get_volume_group"),
        "DELETE": ("DeleteVolumeGroup", "delete_volume_group"),
    },
    f"{V}/volumeBackups": {
        "GET": ("ListVolumeBackups", "list_volume_backups"),
        "POST": ("CreateVolumeBackup", "create_volume_backup"),
    },
    f"{V}/volumeBackups/{{backupId}}": {
        "GET": ("GetVolumeBackup", "get_volume_backup"),
        "PUT": ("UpdateVolumeBackup", "update_volume_backup"),
        "DELETE": ("DeleteVolumeBackup", "delete_volume_backup"),
    },
    f"{V}/volumeBackups/{{backupId}}/actions/copy": {"POST": ("CopyVolumeBackup", "copy_volume_backup")},
    f"{V}/bootVolumeBackups": {
        "GET": ("ListBootVolumeBackups", "list_boot_volume_backups"),
        "POST": ("CreateBootVolumeBackup", "create_boot_volume_backup"),
    },
    f"{V}/bootVolumeBackups/{{backupId}}": {
        "GET": ("GetBootVolumeBackup", "get_boot_volume_backup"),
        "PUT": ("UpdateBootVolumeBackup", "update_boot_volume_backup"),
        "DELETE": ("DeleteBootVolumeBackup", "delete_boot_volume_backup"),
    },
    f"{V}/bootVolumeBackups/{{backupId}}/actions/copy": {"POST": ("CopyBootVolumeBackup", "copy_boot_volume_backup")},
    f"{V}/volumeGroupBackups": {
        "GET": ("ListVolumeGroupBackups", "list_volume_group_backups"),
        "POST": ("CreateVolumeGroupBackup", "create_volume_group_backup"),
    },
    f"{V}/volumeGroupBackups/{{volumeGroupBackupId}}": {
        "GET": ("GetVolumeGroupBackup", "get_volume_group_backup"),
        "PUT": ("UpdateVolumeGroupBackup", "update_volume_group_backup"),
        "DELETE": ("DeleteVolumeGroupBackup", "delete_volume_group_backup"),
    },
    f"{V}/volumeGroupBackups/{{volumeGroupBackupId}}/actions/copy": {
        "POST": ("CopyVolumeGroupBackup", "copy_volume_group_backup")
    },
    f"{V}/workRequests/{{workRequestId}}": {"GET": ("GetWorkRequest", "get_work_request")},
}
