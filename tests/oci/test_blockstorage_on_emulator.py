"""The project's own client and typed operations against the emulator: creates and copies of each kind,
copies living in the destination region, etags and optimistic updates, pagination, typed refusals."""

from __future__ import annotations

from collections import Counter

import pytest

from emulator import EmulatorControl
from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.boot_group_models import BootVolumeBackup, CreateBootVolumeBackupDetails, CreateVolumeGroupBackupDetails
from shared.oci.errors import IncorrectState, KeptChanging, MessageTooLarge, NoEtagMatch, NotAuthorizedOrNotFound
from shared.oci.models import (
    BackupBase,
    CopyBackupDetails,
    CreateVolumeBackupDetails,
    LifecycleState,
    TagsUpdate,
    VolumeBackup,
)
from shared.oci.notifications import get_topic, publish_message
from tests.conftest import DR_REGION, HOME_REGION
from tests.seeding import (
    copy_boot_volume_backup,
    copy_volume_backup,
    create_boot_volume_backup,
    create_volume_backup,
    update_volume_group_backup,
)


def test_creates_and_copies_live_in_the_destination(
    emu: EmulatorControl, storage: BlockStorage, compartment: str
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db", freeform_tags={"env": "prod"})
    boot = emu.create_boot_volume(HOME_REGION, compartment, "web-boot")
    backup = create_volume_backup(storage, CreateVolumeBackupDetails(volume_id=volume["id"], display_name="b1"), "t-1")
    again = create_volume_backup(storage, CreateVolumeBackupDetails(volume_id=volume["id"], display_name="b1"), "t-1")
    assert isinstance(backup.value, VolumeBackup) and again.value.id == backup.value.id  # same retry token
    assert backup.value.freeform_tags["env"] == "prod" and backup.etag
    boot_backup = create_boot_volume_backup(storage, CreateBootVolumeBackupDetails(boot_volume_id=boot["id"]), "t-2")
    assert isinstance(boot_backup.value, BootVolumeBackup)

    with pytest.raises(IncorrectState):  # not AVAILABLE yet
        copy_volume_backup(storage, backup.value.id, CopyBackupDetails(destination_region=DR_REGION), "c-0")
    emu.advance(120)
    copy = copy_volume_backup(storage, backup.value.id, CopyBackupDetails(destination_region=DR_REGION), "c-1")
    boot_copy = copy_boot_volume_backup(
        storage, boot_backup.value.id, CopyBackupDetails(destination_region=DR_REGION, display_name="boot-dr"), "c-2"
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
    updated = update_volume_group_backup(storage, current.value.id, TagsUpdate(display_name="renamed"), current.etag)
    assert updated.value.display_name == "renamed" and updated.etag != current.etag
    assert len(updated.value.volume_backup_ids) == 2
    with pytest.raises(NoEtagMatch):  # the etag we read before our own write is stale now
        update_volume_group_backup(storage, current.value.id, TagsUpdate(display_name="lost"), current.etag)


def test_update_if_match_rereads_and_merges_a_concurrent_change(
    emu: EmulatorControl, storage: BlockStorage, compartment: str
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db")
    backup_id = emu.seed_backup(HOME_REGION, volume["id"], freeform_tags={"env": "prod"})["id"]
    reads: list[dict[str, str]] = []

    def add_team(backup: BackupBase) -> TagsUpdate | None:
        reads.append(dict(backup.freeform_tags))
        if len(reads) == 1:  # another writer between our GET and our PUT
            theirs = storage.get_backup(BackupKind.VOLUME, backup_id)
            tags = {**theirs.value.freeform_tags, "owner": "alice"}
            storage.update_backup(BackupKind.VOLUME, backup_id, TagsUpdate(freeform_tags=tags), theirs.etag)
        if backup.freeform_tags.get("team") == "storage":
            return None
        return TagsUpdate(freeform_tags={**backup.freeform_tags, "team": "storage"})

    before = Counter(emu.calls())
    done = storage.update_if_match(BackupKind.VOLUME, backup_id, add_team)
    assert done.updated and done.conflicts == 1
    assert done.backup.value.freeform_tags == {"env": "prod", "owner": "alice", "team": "storage"}
    assert reads == [{"env": "prod"}, {"env": "prod", "owner": "alice"}]  # the change applied to a fresh read
    calls = Counter(emu.calls()) - before
    assert calls == {f"{HOME_REGION} GetVolumeBackup": 3, f"{HOME_REGION} UpdateVolumeBackup": 3}  # 1 of 3: 412

    again = storage.update_if_match(BackupKind.VOLUME, backup_id, add_team, current=done.backup)
    assert (again.updated, again.conflicts, again.backup) == (False, 0, done.backup)  # nothing asked, nothing sent


def test_update_if_match_gives_up_after_its_attempts(
    emu: EmulatorControl, storage: BlockStorage, compartment: str
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db")
    backup_id = emu.seed_backup(HOME_REGION, volume["id"])["id"]
    rivals = 0

    def rename_racing_a_rival(backup: BackupBase) -> TagsUpdate:
        nonlocal rivals
        rivals += 1  # the rival writes between each of our reads and our PUT
        theirs = storage.get_backup(BackupKind.VOLUME, backup_id)
        storage.update_backup(BackupKind.VOLUME, backup_id, TagsUpdate(display_name=f"rival-{rivals}"), theirs.etag)
        return TagsUpdate(display_name="ours")

    with pytest.raises(KeptChanging, match="on each of 2 attempts") as caught:
        storage.update_if_match(BackupKind.VOLUME, backup_id, rename_racing_a_rival, attempts=2)
    assert caught.value.attempts == 2 and caught.value.resource_id == backup_id
    assert storage.get_backup(BackupKind.VOLUME, backup_id).value.display_name == "rival-2"


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
