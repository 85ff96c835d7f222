"""The project's own client and typed operations against the emulator: the five seed operations,
copies living in the destination region, etags, pagination, typed refusals."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator import EmulatorControl
from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.boot_group_models import BootVolumeBackup, CreateBootVolumeBackupDetails, CreateVolumeGroupBackupDetails
from shared.oci.client import OciClient
from shared.oci.credentials import ApiKeyCredentials
from shared.oci.errors import IncorrectState, MessageTooLarge, NoEtagMatch, NotAuthorizedOrNotFound
from shared.oci.models import (
    CopyBackupDetails,
    CreateVolumeBackupDetails,
    LifecycleState,
    TagsUpdate,
    VolumeBackup,
)
from shared.oci.notifications import get_topic, publish_message
from tests.conftest import DR_REGION, HOME_REGION
from tests.emulator_fixtures import ApiKey


@pytest.fixture
def storage(emu: EmulatorControl, api_key: ApiKey) -> BlockStorage:
    key = serialization.load_pem_private_key(api_key.private_key_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    credentials = ApiKeyCredentials(api_key.key_id, key, region=HOME_REGION, tenancy_id=api_key.tenancy_id)
    return BlockStorage(OciClient(credentials, endpoint_template=emu.endpoint_template), HOME_REGION)


def test_seed_operations_and_copies_in_the_destination(
    emu: EmulatorControl, storage: BlockStorage, compartment: str
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db", freeform_tags={"env": "prod"})
    boot = emu.create_boot_volume(HOME_REGION, compartment, "web-boot")
    backup = storage.create_volume_backup(CreateVolumeBackupDetails(volume_id=volume["id"], display_name="b1"), "t-1")
    again = storage.create_volume_backup(CreateVolumeBackupDetails(volume_id=volume["id"], display_name="b1"), "t-1")
    assert isinstance(backup.value, VolumeBackup) and again.value.id == backup.value.id  # same retry token
    assert backup.value.freeform_tags["env"] == "prod" and backup.etag
    boot_backup = storage.create_boot_volume_backup(CreateBootVolumeBackupDetails(boot_volume_id=boot["id"]), "t-2")
    assert isinstance(boot_backup.value, BootVolumeBackup)

    with pytest.raises(IncorrectState):  # not AVAILABLE yet
        storage.copy_volume_backup(backup.value.id, CopyBackupDetails(destination_region=DR_REGION), "c-0")
    emu.advance(120)
    copy = storage.copy_volume_backup(backup.value.id, CopyBackupDetails(destination_region=DR_REGION), "c-1")
    boot_copy = storage.copy_boot_volume_backup(
        boot_backup.value.id, CopyBackupDetails(destination_region=DR_REGION, display_name="boot-dr"), "c-2"
    )
    assert copy.region == DR_REGION and copy.value.source_volume_backup_id == backup.value.id
    assert (
        boot_copy.value.source_boot_volume_backup_id == boot_backup.value.id
        and boot_copy.value.display_name == "boot-dr"
    )
    dr = BlockStorage(storage.client, DR_REGION)
    assert dr.get_backup(BackupKind.VOLUME, copy.value.id).value.copied_from == backup.value.id
    with pytest.raises(NotAuthorizedOrNotFound):  # a copy lives only in its destination region
        storage.get_backup(BackupKind.VOLUME, copy.value.id)
    listed = list(dr.list_backups(BackupKind.VOLUME, compartment, copied_from=backup.value.id))
    assert [b.id for b in listed] == [copy.value.id]


def test_group_backup_update_with_if_match(emu: EmulatorControl, storage: BlockStorage, compartment: str) -> None:
    members = [emu.create_volume(HOME_REGION, compartment, f"m{n}")["id"] for n in range(2)]
    group = emu.create_volume_group(HOME_REGION, compartment, "vg", members)
    created = storage.create_backup(
        BackupKind.VOLUME_GROUP, CreateVolumeGroupBackupDetails(volume_group_id=group["id"]), "g-1"
    )
    emu.advance(120)
    current = storage.get_backup(BackupKind.VOLUME_GROUP, created.value.id)
    assert current.value.lifecycle_state is LifecycleState.AVAILABLE
    updated = storage.update_volume_group_backup(current.value.id, TagsUpdate(display_name="renamed"), current.etag)
    assert updated.value.display_name == "renamed" and updated.etag != current.etag
    assert len(updated.value.volume_backup_ids) == 2
    with pytest.raises(NoEtagMatch):  # the etag we read before our own write is stale now
        storage.update_volume_group_backup(current.value.id, TagsUpdate(display_name="lost"), current.etag)


def test_pagination_over_many_backups(emu: EmulatorControl, storage: BlockStorage, compartment: str) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "v")
    seeded = {emu.seed_backup(HOME_REGION, volume["id"], age_seconds=n * 3600)["id"] for n in range(7)}
    listed = [b.id for b in storage.list_backups(BackupKind.VOLUME, compartment, source_id=volume["id"], limit=3)]
    assert set(listed) == seeded and len(listed) == 7


def test_publish_message(emu: EmulatorControl, storage: BlockStorage, compartment: str, topic: str) -> None:
    endpoint = get_topic(storage.client, HOME_REGION, topic).api_endpoint
    result = publish_message(storage.client, HOME_REGION, topic, "hello", "body text", api_endpoint=endpoint)
    assert result.message_id
    (message,) = emu.messages(HOME_REGION, topic)
    assert message["title"] == "hello" and message["body"] == "body text"


def test_oversized_message_is_refused_before_sending(emu: EmulatorControl, storage: BlockStorage, topic: str) -> None:
    with pytest.raises(MessageTooLarge, match="65536"):
        publish_message(storage.client, HOME_REGION, topic, "big", "x" * 70_000, api_endpoint="http://unused")
    assert emu.messages(HOME_REGION, topic) == []
