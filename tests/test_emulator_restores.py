"""Emulator: restores from backups (CreateVolume / CreateBootVolume / CreateVolumeGroup), their lifecycle
on the emulator clock, hydration, refusals, the restoreFails switch, limits and deletes through TERMINATING."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator import Emulator, EmulatorControl
from emulator.api_client import SignedApi
from emulator.api_keys import ApiKey
from tests.emulator_fixtures import error

REGION = "us-ashburn-1"
COMP = "ocid1.compartment.oc1..aaaaaaaaprod"
SANDBOX = "ocid1.compartment.oc1..aaaaaaaasandbox"
AD = "Uocm:US-ASHBURN-AD-1"
V = "/20160918"
ROOT = Path(__file__).resolve().parent.parent


def ok(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def fast(emu: EmulatorControl) -> None:
    """Restores of 100 GB take 60 + 100 = 160 s, hydrate 50 s later."""
    emu.settings(restore_base_seconds=60, restore_seconds_per_gb=1, hydrate_seconds_per_gb=0.5)


@pytest.fixture
def backup(emu: EmulatorControl) -> dict[str, Any]:
    volume = emu.create_volume(REGION, COMP, "db01", size_in_gbs=100)
    return emu.seed_backup(REGION, volume["id"], display_name="db01-nightly")


def restore(api: SignedApi, backup_id: str, headers: dict[str, str] | None = None, **extra: Any) -> requests.Response:
    body = {
        "availabilityDomain": AD,
        "compartmentId": SANDBOX,
        "sourceDetails": {"type": "volumeBackup", "id": backup_id},
        **extra,
    }
    return api.post(f"{V}/volumes", body, headers=headers)


def state(api: SignedApi, path: str) -> dict[str, Any]:
    return ok(api.get(path))


def test_a_volume_restores_through_restoring_to_available_then_hydrates(
    emu: EmulatorControl, signed_api: SignedApi, backup: dict[str, Any], fast: None
) -> None:
    created = ok(restore(signed_api, backup["id"], freeformTags={"restore-test": "run-1"}, vpusPerGB=0))
    path = f"{V}/volumes/{created['id']}"
    assert created["lifecycleState"] == "PROVISIONING" and created["isHydrated"] is False
    assert created["sourceDetails"] == {"type": "volumeBackup", "id": backup["id"]}
    assert created["sizeInGBs"] == 100 and created["vpusPerGB"] == 0 and created["compartmentId"] == SANDBOX
    assert created["freeformTags"] == {"restore-test": "run-1"}
    emu.advance(10)
    assert state(signed_api, path)["lifecycleState"] == "RESTORING"
    emu.advance(140)
    assert state(signed_api, path)["lifecycleState"] == "RESTORING"
    emu.advance(11)
    available = state(signed_api, path)
    assert available["lifecycleState"] == "AVAILABLE" and available["isHydrated"] is False
    emu.advance(50)
    assert state(signed_api, path)["isHydrated"] is True
    types = [
        e["eventType"].rsplit(".", 2)[-2:] for e in emu.event_envelopes() if e["data"]["resourceId"] == created["id"]
    ]
    assert types == [["createvolume", "begin"], ["createvolume", "end"]]
    end = emu.event_envelopes("com.oraclecloud.blockvolumes.createvolume.end")[-1]
    assert end["data"]["additionalDetails"]["status"] == "operationSucceed"
    assert end["data"]["freeformTags"] == {"restore-test": "run-1"}
    assert end["data"]["availabilityDomain"] == AD


def test_restore_time_grows_with_size(emu: EmulatorControl, signed_api: SignedApi, fast: None) -> None:
    big = emu.create_volume(REGION, COMP, "big", size_in_gbs=1000)
    big_backup = emu.seed_backup(REGION, big["id"])
    created = ok(restore(signed_api, big_backup["id"]))
    emu.advance(1000)
    assert state(signed_api, f"{V}/volumes/{created['id']}")["lifecycleState"] == "RESTORING"
    emu.advance(61)
    assert state(signed_api, f"{V}/volumes/{created['id']}")["lifecycleState"] == "AVAILABLE"


def test_the_deprecated_volume_backup_id_is_accepted(
    emu: EmulatorControl, signed_api: SignedApi, backup: dict[str, Any]
) -> None:
    body = {"availabilityDomain": AD, "compartmentId": SANDBOX, "volumeBackupId": backup["id"]}
    created = ok(signed_api.post(f"{V}/volumes", body))
    assert created["sourceDetails"] == {"type": "volumeBackup", "id": backup["id"]}


def test_a_restore_smaller_than_the_backup_is_refused(signed_api: SignedApi, backup: dict[str, Any]) -> None:
    refused = restore(signed_api, backup["id"], sizeInGBs=60)
    assert error(refused) == (400, "InvalidParameter") and "sizeInGBs" in refused.json()["message"]
    assert ok(restore(signed_api, backup["id"], sizeInGBs=200))["sizeInGBs"] == 200  # larger is allowed


def test_an_unknown_or_unfinished_backup_is_refused(
    emu: EmulatorControl, signed_api: SignedApi, backup: dict[str, Any]
) -> None:
    unknown = "ocid1.volumebackup.oc1.iad.aaaaaaaaunknown"
    assert error(restore(signed_api, unknown)) == (404, "NotAuthorizedOrNotFound")
    volume = emu.create_volume(REGION, COMP, "db02")
    faulty = emu.seed_backup(REGION, volume["id"], lifecycle_state="FAULTY")
    assert error(restore(signed_api, faulty["id"])) == (409, "IncorrectState")


def test_a_missing_or_foreign_availability_domain_is_refused(signed_api: SignedApi, backup: dict[str, Any]) -> None:
    assert error(restore(signed_api, backup["id"], availabilityDomain=None)) == (400, "MissingParameter")
    body = {"compartmentId": SANDBOX, "sourceDetails": {"type": "volumeBackup", "id": backup["id"]}}
    assert error(signed_api.post(f"{V}/volumes", body)) == (400, "MissingParameter")
    assert error(restore(signed_api, backup["id"], availabilityDomain="Uocm:PHX-AD-1")) == (400, "InvalidParameter")


def test_an_unmodelled_source_type_and_bad_vpus_are_refused(signed_api: SignedApi, backup: dict[str, Any]) -> None:
    clone = restore(signed_api, backup["id"], sourceDetails={"type": "volume", "id": backup["volumeId"]})
    assert error(clone) == (400, "InvalidParameter")
    assert error(restore(signed_api, backup["id"], vpusPerGB=15)) == (400, "InvalidParameter")
    assert error(restore(signed_api, backup["id"], unknownField=1)) == (400, "InvalidParameter")


def test_a_backup_seeded_with_restore_fails_comes_up_faulty(
    emu: EmulatorControl, signed_api: SignedApi, fast: None
) -> None:
    volume = emu.create_volume(REGION, COMP, "db02", size_in_gbs=100)
    bad = emu.seed_backup(REGION, volume["id"], restore_fails=True)
    assert "restoreFails" not in bad  # an emulator switch, never rendered
    created = ok(restore(signed_api, bad["id"]))
    emu.advance(500)
    faulty = state(signed_api, f"{V}/volumes/{created['id']}")
    assert (faulty["lifecycleState"], faulty["isHydrated"]) == ("FAULTY", False)
    end = emu.event_envelopes("com.oraclecloud.blockvolumes.createvolume.end")[-1]
    assert end["data"]["resourceId"] == created["id"]
    assert end["data"]["additionalDetails"]["status"] == "operationFailed"


def test_a_boot_volume_restores_with_the_backups_image(emu: EmulatorControl, signed_api: SignedApi, fast: None) -> None:
    boot = emu.create_boot_volume(REGION, COMP, "web01 (Boot Volume)", size_in_gbs=50, image_id="ocid1.image.oc1..img")
    boot_backup = emu.seed_backup(REGION, boot["id"], boot=True)
    body = {
        "availabilityDomain": AD,
        "compartmentId": SANDBOX,
        "sourceDetails": {"type": "bootVolumeBackup", "id": boot_backup["id"]},
    }
    assert error(signed_api.post(f"{V}/bootVolumes", {**body, "vpusPerGB": 0})) == (400, "InvalidParameter")
    created = ok(signed_api.post(f"{V}/bootVolumes", body))
    assert created["imageId"] == "ocid1.image.oc1..img" and created["vpusPerGB"] == 10
    emu.advance(111)
    assert state(signed_api, f"{V}/bootVolumes/{created['id']}")["lifecycleState"] == "AVAILABLE"
    assert (
        emu.event_envelopes("com.oraclecloud.blockvolumes.createbootvolume.end")[-1]["data"]["resourceId"]
        == (created["id"])
    )
    wrong = {**body, "sourceDetails": {"type": "volumeBackup", "id": boot_backup["id"]}}
    assert error(signed_api.post(f"{V}/bootVolumes", wrong)) == (400, "InvalidParameter")


def test_a_volume_group_restores_one_volume_per_member_backup(
    emu: EmulatorControl, signed_api: SignedApi, fast: None
) -> None:
    a = emu.create_volume(REGION, COMP, "a", size_in_gbs=100)
    b = emu.create_volume(REGION, COMP, "b", size_in_gbs=200)
    group = emu.create_volume_group(REGION, COMP, "app-vg", [a["id"], b["id"]])
    group_backup = emu.seed_group_backup(REGION, group["id"], display_name="app-vg-nightly")
    assert len(group_backup["volumeBackupIds"]) == 2
    body = {
        "availabilityDomain": AD,
        "compartmentId": SANDBOX,
        "freeformTags": {"restore-test": "run-1"},
        "sourceDetails": {"type": "volumeGroupBackupId", "volumeGroupBackupId": group_backup["id"]},
    }
    created = ok(signed_api.post(f"{V}/volumeGroups", body))
    assert created["lifecycleState"] == "PROVISIONING" and len(created["volumeIds"]) == 2
    assert created["sourceDetails"] == body["sourceDetails"]
    members = [state(signed_api, f"{V}/volumes/{vid}") for vid in created["volumeIds"]]
    assert sorted(m["sizeInGBs"] for m in members) == [100, 200]
    assert {m["volumeGroupId"] for m in members} == {created["id"]}
    assert all(m["freeformTags"] == {"restore-test": "run-1"} for m in members)
    emu.advance(161)  # the 100 GB member is done, the group waits for the 200 GB one
    assert state(signed_api, f"{V}/volumeGroups/{created['id']}")["lifecycleState"] == "PROVISIONING"
    emu.advance(100)
    group_now = state(signed_api, f"{V}/volumeGroups/{created['id']}")
    assert group_now["lifecycleState"] == "AVAILABLE" and group_now["isHydrated"] is False
    emu.advance(101)
    assert state(signed_api, f"{V}/volumeGroups/{created['id']}")["isHydrated"] is True
    ends = [e["data"]["resourceId"] for e in emu.event_envelopes() if e["eventType"].endswith("createvolume.end")]
    assert not set(ends) & set(created["volumeIds"])  # members emit no events of their own
    assert (
        emu.event_envelopes("com.oraclecloud.blockvolumes.createvolumegroup.end")[-1]["data"]["resourceId"]
        == (created["id"])
    )


def test_a_group_backup_seeded_with_restore_fails_restores_faulty(
    emu: EmulatorControl, signed_api: SignedApi, fast: None
) -> None:
    a = emu.create_volume(REGION, COMP, "a", size_in_gbs=100)
    group = emu.create_volume_group(REGION, COMP, "vg", [a["id"]])
    group_backup = emu.seed_group_backup(REGION, group["id"], restore_fails=True)
    body = {
        "availabilityDomain": AD,
        "compartmentId": SANDBOX,
        "sourceDetails": {"type": "volumeGroupBackupId", "volumeGroupBackupId": group_backup["id"]},
    }
    created = ok(signed_api.post(f"{V}/volumeGroups", body))
    emu.advance(200)
    assert state(signed_api, f"{V}/volumeGroups/{created['id']}")["lifecycleState"] == "FAULTY"
    assert state(signed_api, f"{V}/volumes/{created['volumeIds'][0]}")["lifecycleState"] == "FAULTY"


def test_the_volume_count_limit_per_ad_is_limit_exceeded(
    emu: EmulatorControl, signed_api: SignedApi, backup: dict[str, Any]
) -> None:
    emu.settings(max_volumes_per_ad=2)  # the source volume counts: one more fits
    ok(restore(signed_api, backup["id"]))
    refused = restore(signed_api, backup["id"])
    assert error(refused) == (400, "LimitExceeded")
    other_ad = restore(signed_api, backup["id"], availabilityDomain="Uocm:US-ASHBURN-AD-2")
    assert other_ad.status_code == 200  # the limit is per availability domain
    emu.settings(max_volumes_per_ad=None, max_volume_gb_per_ad=250)
    assert error(restore(signed_api, backup["id"])) == (400, "LimitExceeded")  # 300 GB used, 100 more


def test_a_retry_token_returns_the_same_restore(signed_api: SignedApi, backup: dict[str, Any]) -> None:
    first = ok(restore(signed_api, backup["id"], headers={"opc-retry-token": "t1"}))
    again = ok(restore(signed_api, backup["id"], headers={"opc-retry-token": "t1"}))
    assert again["id"] == first["id"]
    other = ok(restore(signed_api, backup["id"], sizeInGBs=200, headers={"opc-retry-token": "t1"}))
    assert other["id"] == first["id"]  # the token's volume, whatever the body (emulator/core/idempotency.py)


def test_delete_passes_through_terminating_and_checks_if_match(
    emu: EmulatorControl, signed_api: SignedApi, backup: dict[str, Any], fast: None
) -> None:
    created = ok(restore(signed_api, backup["id"]))
    path = f"{V}/volumes/{created['id']}"
    emu.advance(200)
    etag = signed_api.get(path).headers["etag"]
    assert error(signed_api.delete(path, headers={"if-match": "stale"})) == (412, "NoEtagMatch")
    assert signed_api.delete(path, headers={"if-match": etag}).status_code == 204
    assert state(signed_api, path)["lifecycleState"] == "TERMINATING"
    assert signed_api.delete(path).status_code == 204  # again: nothing changes
    emu.advance(6)
    assert state(signed_api, path)["lifecycleState"] == "TERMINATED"
    types = [
        e["eventType"].rsplit(".", 2)[-2:] for e in emu.event_envelopes() if e["data"]["resourceId"] == created["id"]
    ]
    assert types[-2:] == [["deletevolume", "begin"], ["deletevolume", "end"]]


def test_a_restore_in_progress_can_be_deleted(
    emu: EmulatorControl, signed_api: SignedApi, backup: dict[str, Any], fast: None
) -> None:
    created = ok(restore(signed_api, backup["id"]))
    emu.advance(10)
    assert signed_api.delete(f"{V}/volumes/{created['id']}").status_code == 204
    emu.advance(500)
    assert state(signed_api, f"{V}/volumes/{created['id']}")["lifecycleState"] == "TERMINATED"
    ends = emu.event_envelopes("com.oraclecloud.blockvolumes.createvolume.end")
    assert created["id"] not in {e["data"]["resourceId"] for e in ends}


def test_a_volume_in_a_group_is_deleted_only_after_its_group(
    emu: EmulatorControl, signed_api: SignedApi, fast: None
) -> None:
    a = emu.create_volume(REGION, COMP, "a", size_in_gbs=100)
    boot = emu.create_boot_volume(REGION, COMP, "b", size_in_gbs=50)
    group = emu.create_volume_group(REGION, COMP, "vg", [a["id"], boot["id"]])
    group_backup = emu.seed_group_backup(REGION, group["id"])
    body = {
        "availabilityDomain": AD,
        "compartmentId": SANDBOX,
        "sourceDetails": {"type": "volumeGroupBackupId", "volumeGroupBackupId": group_backup["id"]},
    }
    created = ok(signed_api.post(f"{V}/volumeGroups", body))
    emu.advance(300)
    volume_id, boot_id = created["volumeIds"]
    assert boot_id.startswith("ocid1.bootvolume.")
    assert error(signed_api.delete(f"{V}/volumes/{volume_id}")) == (409, "IncorrectState")
    assert signed_api.delete(f"{V}/volumeGroups/{created['id']}").status_code == 204
    assert state(signed_api, f"{V}/volumeGroups/{created['id']}")["lifecycleState"] == "TERMINATING"
    released = state(signed_api, f"{V}/volumes/{volume_id}")
    assert released["lifecycleState"] == "AVAILABLE" and "volumeGroupId" not in released  # released, not deleted
    assert signed_api.delete(f"{V}/volumes/{volume_id}").status_code == 204
    assert signed_api.delete(f"{V}/bootVolumes/{boot_id}").status_code == 204
    emu.advance(6)
    assert state(signed_api, f"{V}/volumeGroups/{created['id']}")["lifecycleState"] == "TERMINATED"
    assert state(signed_api, f"{V}/bootVolumes/{boot_id}")["lifecycleState"] == "TERMINATED"
    ends = {e["eventType"].rsplit(".", 2)[-2] for e in emu.event_envelopes() if e["eventType"].endswith(".end")}
    assert {"deletevolumegroup", "deletevolume", "deletebootvolume"} <= ends


def test_a_dr_copy_restores_in_its_region_and_carries_restore_fails(
    emu: EmulatorControl, signed_api: SignedApi, fast: None
) -> None:
    emu.settings(copy_available_after=0, creating_after=0)
    volume = emu.create_volume(REGION, COMP, "db03", size_in_gbs=100)
    bad = emu.seed_backup(REGION, volume["id"], restore_fails=True)
    copy = ok(signed_api.post(f"{V}/volumeBackups/{bad['id']}/actions/copy", {"destinationRegion": "us-phoenix-1"}))
    emu.advance(1)
    body = {
        "availabilityDomain": "Uocm:PHX-AD-1",
        "compartmentId": SANDBOX,
        "sourceDetails": {"type": "volumeBackup", "id": copy["id"]},
    }
    created = ok(signed_api.post(f"{V}/volumes", body, region="us-phoenix-1"))
    emu.advance(200)
    got = ok(signed_api.get(f"{V}/volumes/{created['id']}", region="us-phoenix-1"))
    assert got["lifecycleState"] == "FAULTY"
    assert error(restore(signed_api, copy["id"])) == (404, "NotAuthorizedOrNotFound")  # not in the home region


def test_availability_domains_are_listed_per_region(signed_api: SignedApi) -> None:
    names = [ad["name"] for ad in ok_list(signed_api.get(f"{V}/availabilityDomains", params={"compartmentId": COMP}))]
    assert names == ["Uocm:US-ASHBURN-AD-1", "Uocm:US-ASHBURN-AD-2", "Uocm:US-ASHBURN-AD-3"]
    phx = signed_api.get(f"{V}/availabilityDomains", region="us-phoenix-1", params={"compartmentId": COMP})
    assert ok_list(phx)[0]["name"] == "Uocm:US-PHOENIX-AD-1"
    assert error(signed_api.get(f"{V}/availabilityDomains")) == (400, "MissingParameter")


def ok_list(response: requests.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


def sdk_python() -> Path | None:
    """The official SDK's interpreter: OCI_SDK_PYTHON, else bench/.venv-sdk (made by `make bench`)."""
    candidates = [os.environ.get("OCI_SDK_PYTHON", ""), str(ROOT / "bench" / ".venv-sdk" / "bin" / "python")]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def test_the_official_sdk_parses_every_restore_answer(
    emu: EmulatorControl, emulator: Emulator, api_key: ApiKey, tmp_path: Path
) -> None:
    python = sdk_python()
    if python is None:
        pytest.skip("no official OCI SDK interpreter (set OCI_SDK_PYTHON or run `make bench` for bench/.venv-sdk)")
    volume = emu.create_volume(REGION, COMP, "db01", size_in_gbs=100)
    boot = emu.create_boot_volume(REGION, COMP, "web01", image_id="ocid1.image.oc1..img")
    group = emu.create_volume_group(REGION, COMP, "vg", [emu.create_volume(REGION, COMP, "m")["id"]])
    backups = [
        emu.seed_backup(REGION, volume["id"])["id"],
        emu.seed_backup(REGION, boot["id"], boot=True)["id"],
        emu.seed_group_backup(REGION, group["id"])["id"],
    ]
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(api_key.private_key_pem)
    tenancy, user, fingerprint = api_key.key_id.split("/")
    done = subprocess.run(  # -I: the script's folder (tests/, with its oci/ package) must not shadow the SDK
        [str(python), "-I", str(ROOT / "tests" / "sdk_restore_client.py"), emulator.base_url, tenancy, user,
         fingerprint, str(key_file), *backups],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["ads"][0] == AD
    assert out["volume"] == {
        "state": "PROVISIONING",
        "hydrated": False,
        "vpus": 0,
        "source": "VolumeSourceFromVolumeBackupDetails",
        "sourceId": backups[0],
    }
    assert out["boot"] == {
        "state": "PROVISIONING",
        "image": "ocid1.image.oc1..img",
        "source": "BootVolumeSourceFromBootVolumeBackupDetails",
    }
    assert out["group"] == {
        "state": "PROVISIONING",
        "members": 1,
        "source": "VolumeGroupSourceFromVolumeGroupBackupDetails",
    }
    assert out["deprecated"] == backups[0] and out["afterDelete"] == "TERMINATING"
