"""Emulator: cross-region copies of volume, boot volume and volume group backups, and their limits."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from tests.emulator_fixtures import error

SRC, DST = "us-ashburn-1", "us-phoenix-1"
COMP = "ocid1.compartment.oc1..aaaaaaaacopies"
V = "/20160918"


def available_backup(emu: EmulatorControl, api: SignedApi, name: str = "data", **body: Any) -> dict[str, Any]:
    volume = emu.create_volume(SRC, COMP, name, freeform_tags={"dr-copy": DST})
    response = api.post(f"{V}/volumeBackups", {"volumeId": volume["id"], "displayName": f"{name}-bk", **body})
    assert response.status_code == 200, response.text
    emu.advance(60)
    result: dict[str, Any] = api.get(f"{V}/volumeBackups/{response.json()['id']}").json()
    assert result["lifecycleState"] == "AVAILABLE"
    return result


def copy(api: SignedApi, backup_id: str, kind: str = "volumeBackups", **body: Any) -> requests.Response:
    return api.post(f"{V}/{kind}/{backup_id}/actions/copy", {"destinationRegion": DST, **body})


def test_copy_appears_in_the_destination(emu: EmulatorControl, signed_api: SignedApi) -> None:
    source = available_backup(emu, signed_api)
    response = copy(signed_api, source["id"], kmsKeyId="ocid1.key.oc1.phx.k")
    assert response.status_code == 200, response.text
    assert response.headers["etag"] and response.headers["opc-work-request-id"]
    the_copy = response.json()
    assert the_copy["id"].startswith("ocid1.volumebackup.oc1.phx.")
    assert the_copy["sourceVolumeBackupId"] == source["id"]
    assert the_copy["sourceType"] == source["sourceType"] == "MANUAL"
    assert the_copy["displayName"] == source["displayName"]
    assert the_copy["freeformTags"] == source["freeformTags"] == {"dr-copy": DST}
    assert the_copy["kmsKeyId"] == "ocid1.key.oc1.phx.k"
    assert the_copy["lifecycleState"] == "REQUEST_RECEIVED"
    assert response.headers["location"].endswith(f"/{DST}/20160918/volumeBackups/{the_copy['id']}")
    # it lives only in the destination region
    assert error(signed_api.get(f"{V}/volumeBackups/{the_copy['id']}", region=SRC)) == (404, "NotAuthorizedOrNotFound")
    in_dst = signed_api.get(f"{V}/volumeBackups/{the_copy['id']}", region=DST)
    assert in_dst.status_code == 200 and in_dst.json()["sourceVolumeBackupId"] == source["id"]
    by_source = signed_api.get(
        f"{V}/volumeBackups", region=DST, params={"compartmentId": COMP, "sourceVolumeBackupId": source["id"]}
    )
    assert [b["id"] for b in by_source.json()] == [the_copy["id"]]
    src_list = signed_api.get(f"{V}/volumeBackups", region=SRC, params={"compartmentId": COMP}).json()
    assert [b["id"] for b in src_list] == [source["id"]]
    work = signed_api.get(f"{V}/workRequests/{response.headers['opc-work-request-id']}").json()
    assert work["status"] == "ACCEPTED" and work["resources"][0]["identifier"] == the_copy["id"]
    emu.advance(60)
    assert signed_api.get(f"{V}/volumeBackups/{the_copy['id']}", region=DST).json()["lifecycleState"] == "AVAILABLE"
    assert signed_api.get(f"{V}/workRequests/{response.headers['opc-work-request-id']}").json()["status"] == "SUCCEEDED"


def test_copy_events_are_emitted_in_the_destination(emu: EmulatorControl, signed_api: SignedApi) -> None:
    source = available_backup(emu, signed_api)
    the_copy = copy(signed_api, source["id"], displayName="dr-copy").json()
    assert the_copy["displayName"] == "dr-copy"
    cursor = len(emu.events())
    emu.advance(60)
    (item,) = [e for e in emu.events(since=cursor) if e["event"]["eventType"].endswith("copyvolumebackup.end")]
    assert item["region"] == DST
    envelope = item["event"]
    assert set(envelope) == {
        "eventType",
        "cloudEventsVersion",
        "eventTypeVersion",
        "source",
        "eventID",
        "eventTime",
        "contentType",
        "extensions",
        "data",
    }
    assert envelope["data"]["resourceId"] == the_copy["id"]
    assert envelope["data"]["resourceName"] == "dr-copy"
    assert envelope["data"]["freeformTags"] == {"dr-copy": DST}
    assert envelope["data"]["additionalDetails"]["status"] == "operationSucceed"
    assert envelope["data"]["additionalDetails"]["sourceVolumeBackupId"] == source["id"]


def test_copy_of_a_backup_not_yet_available_is_refused(emu: EmulatorControl, signed_api: SignedApi) -> None:
    volume = emu.create_volume(SRC, COMP, "data")
    backup = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}).json()
    assert error(copy(signed_api, backup["id"])) == (409, "IncorrectState")
    emu.advance(1)
    assert error(copy(signed_api, backup["id"])) == (409, "IncorrectState")
    emu.advance(59)
    assert copy(signed_api, backup["id"]).status_code == 200


@pytest.mark.parametrize(
    ("destination", "fragment"),
    [(SRC, "differ"), ("mars-north-1", "not a known region"), ("us-gov-ashburn-1", "realm"), ("IAD", "not a known")],
)
def test_bad_destination_regions(emu: EmulatorControl, signed_api: SignedApi, destination: str, fragment: str) -> None:
    source = available_backup(emu, signed_api)
    response = signed_api.post(f"{V}/volumeBackups/{source['id']}/actions/copy", {"destinationRegion": destination})
    assert error(response) == (400, "InvalidParameter")
    assert fragment in response.json()["message"]


def test_copy_body_is_validated(emu: EmulatorControl, signed_api: SignedApi) -> None:
    source = available_backup(emu, signed_api)
    missing = signed_api.post(f"{V}/volumeBackups/{source['id']}/actions/copy", {"displayName": "x"})
    assert error(missing) == (400, "InvalidParameter") and "destinationRegion" in missing.json()["message"]
    unknown = signed_api.post(
        f"{V}/volumeBackups/ocid1.volumebackup.oc1.iad.nope/actions/copy", {"destinationRegion": DST}
    )
    assert error(unknown) == (404, "NotAuthorizedOrNotFound")


def test_at_most_ten_volume_copies_in_flight_per_source_region(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.settings(creating_after=0, available_after=0)
    sources = []
    for i in range(12):
        volume = emu.create_volume(SRC, COMP, f"v{i}")
        sources.append(signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}).json())
    assert all(s["lifecycleState"] == "AVAILABLE" for s in sources)
    emu.settings(copy_available_after=60)
    for i, source in enumerate(sources[:10]):
        destination = DST if i % 2 else "eu-frankfurt-1"  # the limit counts all destinations
        response = signed_api.post(f"{V}/volumeBackups/{source['id']}/actions/copy", {"destinationRegion": destination})
        assert response.status_code == 200, (i, response.text)
    refused = copy(signed_api, sources[10]["id"])
    assert error(refused) == (400, "LimitExceeded")
    # another source region has its own budget: copy back from phoenix is fine
    phoenix_volume = emu.create_volume(DST, COMP, "p")
    phoenix_backup = signed_api.post(f"{V}/volumeBackups", {"volumeId": phoenix_volume["id"]}, region=DST).json()
    back = signed_api.post(
        f"{V}/volumeBackups/{phoenix_backup['id']}/actions/copy", {"destinationRegion": SRC}, region=DST
    )
    assert back.status_code == 200
    emu.advance(60)
    assert copy(signed_api, sources[10]["id"]).status_code == 200


def test_group_backup_copies_share_the_ten_copy_budget(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.settings(creating_after=0, committed_after=0, available_after=0, max_copies_in_flight=2)
    volume = emu.create_volume(SRC, COMP, "a")
    group = emu.create_volume_group(SRC, COMP, "vg", [volume["id"]])
    group_backup = signed_api.post(f"{V}/volumeGroupBackups", {"volumeGroupId": group["id"]}).json()
    single = signed_api.post(f"{V}/volumeBackups", {"volumeId": emu.create_volume(SRC, COMP, "b")["id"]}).json()
    emu.settings(copy_available_after=60)
    assert copy(signed_api, group_backup["id"], kind="volumeGroupBackups").status_code == 200
    assert copy(signed_api, single["id"]).status_code == 200
    assert error(copy(signed_api, group_backup["id"], kind="volumeGroupBackups")) == (400, "LimitExceeded")


def test_one_boot_copy_in_flight_per_boot_volume(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.settings(creating_after=0, available_after=0)
    boot = emu.create_boot_volume(SRC, COMP, "web01")
    first = signed_api.post(f"{V}/bootVolumeBackups", {"bootVolumeId": boot["id"]}).json()
    second = signed_api.post(f"{V}/bootVolumeBackups", {"bootVolumeId": boot["id"]}).json()
    other_boot = emu.create_boot_volume(SRC, COMP, "web02")
    other = signed_api.post(f"{V}/bootVolumeBackups", {"bootVolumeId": other_boot["id"]}).json()
    emu.settings(copy_available_after=60)
    response = copy(signed_api, first["id"], kind="bootVolumeBackups")
    assert response.status_code == 200, response.text
    the_copy = response.json()
    assert the_copy["id"].startswith("ocid1.bootvolumebackup.oc1.phx.")
    assert the_copy["sourceBootVolumeBackupId"] == first["id"] and the_copy["bootVolumeId"] == boot["id"]
    assert error(copy(signed_api, second["id"], kind="bootVolumeBackups")) == (400, "LimitExceeded")
    assert copy(signed_api, other["id"], kind="bootVolumeBackups").status_code == 200
    emu.advance(60)
    assert copy(signed_api, second["id"], kind="bootVolumeBackups").status_code == 200
    ends = emu.event_envelopes("copybootvolumebackup.end")
    assert {e["data"]["resourceId"] for e in ends} >= {the_copy["id"]}


def test_marketplace_boot_backups_cannot_be_copied(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.settings(creating_after=0, available_after=0)
    boot = emu.create_boot_volume(SRC, COMP, "appliance", image_type="marketplace")
    backup = signed_api.post(f"{V}/bootVolumeBackups", {"bootVolumeId": boot["id"]}).json()
    response = copy(signed_api, backup["id"], kind="bootVolumeBackups")
    assert error(response) == (400, "InvalidParameter")
    assert "Marketplace" in response.json()["message"]


def test_copy_retry_token(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.settings(max_copies_in_flight=1)
    source = available_backup(emu, signed_api)
    token = {"opc-retry-token": "copy-1"}
    first = signed_api.post(f"{V}/volumeBackups/{source['id']}/actions/copy", {"destinationRegion": DST}, headers=token)
    again = signed_api.post(f"{V}/volumeBackups/{source['id']}/actions/copy", {"destinationRegion": DST}, headers=token)
    assert first.status_code == again.status_code == 200  # not LimitExceeded: it is the same copy
    assert first.json()["id"] == again.json()["id"]
    assert first.headers["opc-work-request-id"] == again.headers["opc-work-request-id"]
    other = signed_api.post(
        f"{V}/volumeBackups/{source['id']}/actions/copy", {"destinationRegion": "eu-frankfurt-1"}, headers=token
    )
    assert other.status_code == 200 and other.json()["id"] == first.json()["id"]  # the token's copy, replayed


def test_volume_group_backup_copy(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.settings(creating_after=0, committed_after=0, available_after=0)
    volumes = [emu.create_volume(SRC, COMP, f"m{i}") for i in range(2)]
    group = emu.create_volume_group(SRC, COMP, "vg", [v["id"] for v in volumes], freeform_tags={"dr": "y"})
    group_backup = signed_api.post(f"{V}/volumeGroupBackups", {"volumeGroupId": group["id"]}).json()
    assert group_backup["lifecycleState"] == "AVAILABLE"
    emu.settings(copy_available_after=60)
    response = copy(signed_api, group_backup["id"], kind="volumeGroupBackups", displayName="vg-dr")
    assert response.status_code == 200, response.text
    assert "opc-work-request-id" not in response.headers
    group_copy = response.json()
    assert group_copy["id"].startswith("ocid1.volumegroupbackup.oc1.phx.")
    assert group_copy["sourceVolumeGroupBackupId"] == group_backup["id"]
    assert group_copy["displayName"] == "vg-dr" and group_copy["freeformTags"] == {"dr": "y"}
    assert len(group_copy["volumeBackupIds"]) == 2
    member = signed_api.get(f"{V}/volumeBackups/{group_copy['volumeBackupIds'][0]}", region=DST).json()
    assert member["volumeGroupBackupId"] == group_copy["id"]
    assert member["sourceVolumeBackupId"] in group_backup["volumeBackupIds"]
    emu.advance(60)
    got = signed_api.get(f"{V}/volumeGroupBackups/{group_copy['id']}", region=DST).json()
    assert got["lifecycleState"] == "AVAILABLE"
    not_ready_group = emu.create_volume_group(SRC, COMP, "vg2", [emu.create_volume(SRC, COMP, "z")["id"]])
    emu.settings(available_after=60)
    pending = signed_api.post(f"{V}/volumeGroupBackups", {"volumeGroupId": not_ready_group["id"]}).json()
    assert error(copy(signed_api, pending["id"], kind="volumeGroupBackups")) == (409, "IncorrectState")


def test_copy_to_an_unsubscribed_region_is_refused(emu: EmulatorControl, signed_api: SignedApi) -> None:
    source = available_backup(emu, signed_api)
    emu.settings(subscribed_regions=[SRC, DST])
    assert error(copy(signed_api, source["id"], destinationRegion="eu-frankfurt-1")) == (400, "InvalidParameter")
    assert copy(signed_api, source["id"]).status_code == 200
