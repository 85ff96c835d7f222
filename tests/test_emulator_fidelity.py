"""Emulator: the forms OCI refuses are refused here too, each in a test of its own.

Hosts, invoke and publish endpoints are in ``test_emulator_ons_functions_events.py``; deletes passing
through TERMINATING in ``test_emulator_blockstorage.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from emulator import EmulatorControl, EmulatorControlError
from emulator.api_client import SignedApi
from tests.emulator_fixtures import error

REGION = "us-ashburn-1"
COMP = "ocid1.compartment.oc1..aaaaaaaaprod"
V = "/20160918"
REFUSED = (400, "RelatedResourceNotAuthorizedOrNotFound")


@pytest.fixture
def volume(emu: EmulatorControl) -> dict[str, Any]:
    return emu.create_volume(REGION, COMP, "db01", defined_tags={"Oracle-Tags": {"CreatedBy": "someone"}})


def create(api: SignedApi, volume_id: str, defined: dict[str, Any]) -> requests.Response:
    return api.post(f"{V}/volumeBackups", {"volumeId": volume_id, "definedTags": defined})


def test_writing_oracle_tags_is_refused(emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]) -> None:
    refused = create(signed_api, volume["id"], {"Oracle-Tags": {"CreatedBy": "me"}})
    assert error(refused) == REFUSED
    assert refused.json()["message"] == (
        "The following tag namespaces / keys are not authorized or not found: 'oracle-tags'"
    )
    with pytest.raises(EmulatorControlError, match="Oracle-Tags"):
        emu.grant_tag_namespaces("oracle-tags")  # OCI's own namespace cannot be granted


def test_writing_an_ungranted_namespace_is_refused(
    emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]
) -> None:
    assert error(create(signed_api, volume["id"], {"Ops": {"cc": "42"}})) == REFUSED  # nothing granted by default
    assert emu.grant_tag_namespaces("ops") == ["ops"]
    granted = create(signed_api, volume["id"], {"Ops": {"cc": "42"}})  # names are case-insensitive
    assert granted.status_code == 200, granted.text
    mixed = create(signed_api, volume["id"], {"Ops": {"cc": "42"}, "Finance": {"p": "1"}})
    assert error(mixed) == REFUSED and "'finance'" in mixed.json()["message"]
    other_tenancy = "ocid1.tenancy.oc1..aaaaaaaaother"
    assert emu.grant_tag_namespaces("Finance", tenancy_id=other_tenancy) == ["finance"]  # per tenancy
    assert error(create(signed_api, volume["id"], {"Finance": {"p": "1"}})) == REFUSED


def test_an_update_is_refused_only_for_the_namespaces_it_changes(
    emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]
) -> None:
    emu.settings(creating_after=0, available_after=0)
    backup = create(signed_api, volume["id"], {}).json()
    url = f"{V}/volumeBackups/{backup['id']}"
    current = signed_api.get(url).json()["definedTags"]  # inherited from the volume: Oracle-Tags
    assert current == {"Oracle-Tags": {"CreatedBy": "someone"}}
    unchanged = signed_api.put(url, {"definedTags": current, "displayName": "renamed"})
    assert unchanged.status_code == 200, unchanged.text
    changed = signed_api.put(url, {"definedTags": {"Oracle-Tags": {"CreatedBy": "me"}}})
    assert error(changed) == REFUSED


def test_a_volume_group_backup_with_an_ungranted_namespace_is_refused(
    emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]
) -> None:
    group = emu.create_volume_group(REGION, COMP, "vg", [volume["id"]])
    refused = signed_api.post(
        f"{V}/volumeGroupBackups", {"volumeGroupId": group["id"], "definedTags": {"X": {"k": "v"}}}
    )
    assert error(refused) == REFUSED


def test_boot_volume_attachments_need_the_availability_domain_and_compartment(
    emu: EmulatorControl, signed_api: SignedApi
) -> None:
    instance = emu.launch_instance(REGION, COMP, "web01")
    path = f"{V}/bootVolumeAttachments"
    assert error(signed_api.get(path, params={"compartmentId": COMP})) == (400, "MissingParameter")
    ad = instance["availabilityDomain"]
    assert error(signed_api.get(path, params={"availabilityDomain": ad})) == (400, "MissingParameter")
    listed = signed_api.get(
        path, params={"availabilityDomain": ad, "compartmentId": COMP, "instanceId": instance["id"]}
    )
    (attachment,) = listed.json()
    assert attachment["bootVolumeId"] == instance["bootVolume"]["id"] and attachment["lifecycleState"] == "ATTACHED"
    other = signed_api.get(path, params={"availabilityDomain": ad, "compartmentId": COMP, "instanceId": "x"})
    assert other.json() == []
    # Compute lives on the Core host; the boot volume exists, announced by the launch only
    assert signed_api.get(f"{V}/bootVolumes/{attachment['bootVolumeId']}").status_code == 200
    assert [e["eventType"] for e in emu.event_envelopes()] == ["com.oraclecloud.computeapi.launchinstance.end"]


def test_injected_5xx_of_any_kind(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.faults([{"operation": "ListVolumes", "status": 505, "errorRate": 1, "count": 1}])
    assert signed_api.get(f"{V}/volumes", params={"compartmentId": COMP}).status_code == 505
    assert signed_api.get(f"{V}/volumes", params={"compartmentId": COMP}).status_code == 200
    emu.faults([{"operation": "ListVolumes", "status": 501, "errorRate": 1, "count": 1}])
    assert error(signed_api.get(f"{V}/volumes", params={"compartmentId": COMP})) == (501, "MethodNotImplemented")


def test_copies_can_drop_the_source_volume_id(emu: EmulatorControl, signed_api: SignedApi) -> None:
    """``copies_keep_source_id`` off models OCI not keeping bootVolumeId / volumeId on a copy."""
    emu.settings(copies_keep_source_id=False, creating_after=0, available_after=0)
    volume = emu.create_volume(REGION, COMP, "db01")
    backup = create(signed_api, volume["id"], {}).json()
    copied = signed_api.post(f"{V}/volumeBackups/{backup['id']}/actions/copy", {"destinationRegion": "us-phoenix-1"})
    assert copied.status_code == 200, copied.text
    assert copied.json()["sourceVolumeBackupId"] == backup["id"] and copied.json().get("volumeId") is None
