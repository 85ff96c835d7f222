"""The restore calls of ``shared/oci/restores.py`` against the emulator: the three creates from backups,
reads, listings, deletes with if-match, the availability domains and the typed refusals."""

from __future__ import annotations

import pytest

from emulator import EmulatorControl
from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.errors import InvalidParameter, LimitExceeded, NoEtagMatch
from shared.oci.restores import (
    CreateRestoreDetails,
    availability_domains,
    create_restore,
    delete_restored,
    get_restored,
    list_restored,
    restore_source,
)
from tests.conftest import HOME_REGION

SANDBOX = "ocid1.compartment.oc1..aaaaaaaasandbox"


def details(kind: BackupKind, backup_id: str, ad: str, **extra: object) -> CreateRestoreDetails:
    return CreateRestoreDetails(
        availability_domain=ad,
        compartment_id=SANDBOX,
        freeform_tags={"restore-test": "run-1"},
        source_details=restore_source(kind, backup_id),
        **extra,
    )


def test_the_three_kinds_restore_read_list_and_delete(
    emu: EmulatorControl, storage: BlockStorage, compartment: str
) -> None:
    emu.settings(restore_base_seconds=10, restore_seconds_per_gb=0, hydrate_seconds_per_gb=0)
    ad = availability_domains(storage, SANDBOX)[0]
    volume = emu.create_volume(HOME_REGION, compartment, "db", size_in_gbs=80)
    boot = emu.create_boot_volume(HOME_REGION, compartment, "web", image_id="ocid1.image.oc1..img")
    group = emu.create_volume_group(
        HOME_REGION, compartment, "vg", [emu.create_volume(HOME_REGION, compartment, "m")["id"]]
    )
    backups = {
        BackupKind.VOLUME: emu.seed_backup(HOME_REGION, volume["id"])["id"],
        BackupKind.BOOT_VOLUME: emu.seed_backup(HOME_REGION, boot["id"], boot=True)["id"],
        BackupKind.VOLUME_GROUP: emu.seed_group_backup(HOME_REGION, group["id"])["id"],
    }
    made = {}
    for kind, backup_id in backups.items():
        vpus = None if kind is BackupKind.VOLUME_GROUP else 10
        created = create_restore(storage, kind, details(kind, backup_id, ad, vpus_per_gb=vpus), f"t-{kind.name}")
        again = create_restore(storage, kind, details(kind, backup_id, ad, vpus_per_gb=vpus), f"t-{kind.name}")
        assert again.value.id == created.value.id and created.etag  # one restore per retry token
        assert created.value.lifecycle_state == "PROVISIONING" and created.value.is_hydrated is False
        made[kind] = created.value
    assert made[BackupKind.VOLUME].size_in_gbs == 80
    assert made[BackupKind.BOOT_VOLUME].image_id == "ocid1.image.oc1..img"
    assert len(made[BackupKind.VOLUME_GROUP].volume_ids) == 1
    emu.advance(11)
    for kind, resource in made.items():
        current = get_restored(storage, kind, resource.id)
        assert current.value.lifecycle_state == "AVAILABLE" and current.value.freeform_tags == {"restore-test": "run-1"}
    listed = {r.id for r in list_restored(storage, BackupKind.VOLUME, SANDBOX)}
    assert made[BackupKind.VOLUME].id in listed and set(made[BackupKind.VOLUME_GROUP].volume_ids) <= listed
    group_now = get_restored(storage, BackupKind.VOLUME_GROUP, made[BackupKind.VOLUME_GROUP].id)
    with pytest.raises(NoEtagMatch):
        delete_restored(storage, BackupKind.VOLUME_GROUP, group_now.value.id, "stale")
    assert delete_restored(storage, BackupKind.VOLUME_GROUP, group_now.value.id, group_now.etag)
    member = group_now.value.volume_ids[0]
    assert delete_restored(storage, BackupKind.VOLUME, member, None)
    assert get_restored(storage, BackupKind.VOLUME, member).value.lifecycle_state == "TERMINATING"


def test_refusals_are_typed(emu: EmulatorControl, storage: BlockStorage, compartment: str) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db", size_in_gbs=100)
    backup_id = emu.seed_backup(HOME_REGION, volume["id"])["id"]
    ad = availability_domains(storage, SANDBOX)[0]
    with pytest.raises(InvalidParameter):
        create_restore(storage, BackupKind.VOLUME, details(BackupKind.VOLUME, backup_id, "Uocm:XYZ-AD-9"), "t-1")
    emu.settings(max_volumes_per_ad=1)
    with pytest.raises(LimitExceeded):
        create_restore(storage, BackupKind.VOLUME, details(BackupKind.VOLUME, backup_id, ad), "t-2")
