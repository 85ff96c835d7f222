"""Emulator: Block Volume resources, backups, lifecycle, retry tokens, etags, lists, body validation."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from tests.emulator_fixtures import error

REGION = "us-ashburn-1"
COMP = "ocid1.compartment.oc1..aaaaaaaaprod"
V = "/20160918"


def create_backup(api: SignedApi, volume_id: str, **extra: Any) -> dict[str, Any]:
    response = api.post(f"{V}/volumeBackups", {"volumeId": volume_id, **extra})
    assert response.status_code == 200, response.text
    assert response.headers["etag"]
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def volume(emu: EmulatorControl) -> dict[str, Any]:
    return emu.create_volume(
        REGION, COMP, "db01-data", freeform_tags={"env": "prod", "dr": "yes"}, defined_tags={"Ops": {"cc": "42"}}
    )


# ---- volumes, boot volumes, volume groups ---------------------------------------------------------------


def test_get_and_list_volumes(emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]) -> None:
    got = signed_api.get(f"{V}/volumes/{volume['id']}")
    assert got.status_code == 200
    body = got.json()
    assert body == volume
    assert body["lifecycleState"] == "AVAILABLE"
    assert body["id"].startswith("ocid1.volume.oc1.iad.")
    assert {"availabilityDomain", "compartmentId", "displayName", "id", "sizeInMBs", "timeCreated"} <= body.keys()
    emu.create_volume(REGION, "ocid1.compartment.oc1..other", "elsewhere")
    listed = signed_api.get(f"{V}/volumes", params={"compartmentId": COMP}).json()
    assert [v["id"] for v in listed] == [volume["id"]]
    by_state = signed_api.get(f"{V}/volumes", params={"compartmentId": COMP, "lifecycleState": "terminated"})
    assert by_state.json() == []


def test_boot_volumes_and_groups(emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]) -> None:
    boot = emu.create_boot_volume(REGION, COMP, "web01 (Boot Volume)")
    assert boot["id"].startswith("ocid1.bootvolume.oc1.iad.") and boot["imageId"]
    assert signed_api.get(f"{V}/bootVolumes/{boot['id']}").json()["id"] == boot["id"]
    group = emu.create_volume_group(REGION, COMP, "app-vg", [volume["id"], boot["id"]], freeform_tags={"g": "1"})
    assert group["volumeIds"] == [volume["id"], boot["id"]]
    got = signed_api.get(f"{V}/volumeGroups/{group['id']}")
    assert got.status_code == 200 and got.headers["etag"]
    assert signed_api.get(f"{V}/volumes/{volume['id']}").json()["volumeGroupId"] == group["id"]
    assert [g["id"] for g in signed_api.get(f"{V}/volumeGroups", params={"compartmentId": COMP}).json()] == [
        group["id"]
    ]
    by_group = signed_api.get(f"{V}/bootVolumes", params={"compartmentId": COMP, "volumeGroupId": group["id"]})
    assert [b["id"] for b in by_group.json()] == [boot["id"]]
    assert error(signed_api.get(f"{V}/volumeGroups")) == (400, "MissingParameter")


def test_unknown_ids_are_not_found(signed_api: SignedApi) -> None:
    for path in [
        "/volumes/ocid1.volume.oc1.iad.nope",
        "/bootVolumes/ocid1.bootvolume.oc1.iad.nope",
        "/volumeGroups/ocid1.volumegroup.oc1.iad.nope",
        "/volumeBackups/ocid1.volumebackup.oc1.iad.nope",
        "/bootVolumeBackups/ocid1.bootvolumebackup.oc1.iad.nope",
        "/volumeGroupBackups/ocid1.volumegroupbackup.oc1.iad.nope",
        "/workRequests/ocid1.workrequest.oc1.iad.nope",
    ]:
        assert error(signed_api.get(V + path)) == (404, "NotAuthorizedOrNotFound"), path
    missing_volume = signed_api.post(f"{V}/volumeBackups", {"volumeId": "ocid1.volume.oc1.iad.nope"})
    assert error(missing_volume) == (404, "NotAuthorizedOrNotFound")


# ---- volume backups: create, lifecycle, events ------------------------------------------------------------


def test_backup_lifecycle_and_events(emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]) -> None:
    backup = create_backup(signed_api, volume["id"], displayName="nightly", freeformTags={"dr": "no", "k": "v"})
    assert backup["lifecycleState"] == "REQUEST_RECEIVED"
    assert backup["id"].startswith("ocid1.volumebackup.oc1.iad.")
    assert backup["volumeId"] == volume["id"]
    assert backup["compartmentId"] == COMP
    assert backup["type"] == "INCREMENTAL" and backup["sourceType"] == "MANUAL"
    assert backup["freeformTags"] == {"env": "prod", "dr": "no", "k": "v"}  # inherited + body wins
    assert backup["definedTags"] == {"Ops": {"cc": "42"}}
    url = f"{V}/volumeBackups/{backup['id']}"
    emu.advance(1)
    assert signed_api.get(url).json()["lifecycleState"] == "CREATING"
    assert not emu.event_envelopes("createvolumebackup.end")
    emu.advance(59)
    assert signed_api.get(url).json()["lifecycleState"] == "AVAILABLE"
    (begin,) = emu.event_envelopes("createvolumebackup.begin")
    (end,) = emu.event_envelopes("createvolumebackup.end")
    assert begin["data"]["resourceId"] == end["data"]["resourceId"] == backup["id"]
    assert end["eventType"] == "com.oraclecloud.blockvolumes.createvolumebackup.end"
    assert end["data"]["resourceName"] == "nightly"
    assert end["data"]["freeformTags"] == backup["freeformTags"]
    assert end["data"]["definedTags"] == {"Ops": {"cc": "42"}}
    assert end["data"]["additionalDetails"] == {
        "volumeId": volume["id"],
        "sourceType": "MANUAL",
        "status": "operationSucceed",
    }
    assert end["extensions"] == {"compartmentId": COMP}


def test_lifecycle_advances_with_real_time_too(
    emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]
) -> None:
    emu.settings(creating_after=0, available_after=0.2)
    backup = create_backup(signed_api, volume["id"])
    assert backup["lifecycleState"] == "CREATING"
    import time

    time.sleep(0.25)
    assert signed_api.get(f"{V}/volumeBackups/{backup['id']}").json()["lifecycleState"] == "AVAILABLE"


def test_one_backup_in_progress_per_volume(emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]) -> None:
    create_backup(signed_api, volume["id"])
    second = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]})
    assert error(second) == (409, "IncorrectState")
    emu.advance(30)  # CREATING is still in progress
    assert error(signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]})) == (409, "IncorrectState")
    other = emu.create_volume(REGION, COMP, "other")
    create_backup(signed_api, other["id"])  # another volume is free
    emu.advance(30)
    create_backup(signed_api, volume["id"])


def test_boot_volume_backup(emu: EmulatorControl, signed_api: SignedApi) -> None:
    boot = emu.create_boot_volume(REGION, COMP, "web01", freeform_tags={"role": "web"})
    response = signed_api.post(f"{V}/bootVolumeBackups", {"bootVolumeId": boot["id"], "type": "FULL"})
    assert response.status_code == 200, response.text
    backup = response.json()
    assert backup["id"].startswith("ocid1.bootvolumebackup.oc1.iad.")
    assert backup["bootVolumeId"] == boot["id"] and backup["imageId"] == boot["imageId"]
    assert backup["type"] == "FULL" and backup["freeformTags"] == {"role": "web"}
    assert error(signed_api.post(f"{V}/bootVolumeBackups", {"bootVolumeId": boot["id"]})) == (409, "IncorrectState")
    # a boot volume backup is not a volume backup
    assert error(signed_api.get(f"{V}/volumeBackups/{backup['id']}")) == (404, "NotAuthorizedOrNotFound")
    emu.advance(60)
    (end,) = emu.event_envelopes("createbootvolumebackup.end")
    assert end["data"]["additionalDetails"]["volumeId"] == boot["id"]
    listed = signed_api.get(f"{V}/bootVolumeBackups", params={"compartmentId": COMP, "bootVolumeId": boot["id"]})
    assert [b["id"] for b in listed.json()] == [backup["id"]]


# ---- body validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "volumeId"),
        ({"volumeId": 42}, "volumeId"),
        ({"volumeId": "x", "colour": "red"}, "colour"),
        ({"volumeId": "x", "type": "DIFFERENTIAL"}, "type"),
        ({"volumeId": "x", "freeformTags": {"a": 1}}, "freeformTags.a"),
        ({"volumeId": "x", "displayName": ""}, "displayName"),
        (
            {"volumeId": "x", "retentionPeriod": {"retentionTimeUnit": "WEEKS", "retentionTimeAmount": 1}},
            "retentionPeriod",
        ),
    ],
)
def test_malformed_bodies_name_the_field(signed_api: SignedApi, body: dict[str, Any], field: str) -> None:
    response = signed_api.post(f"{V}/volumeBackups", body)
    assert error(response) == (400, "InvalidParameter")
    assert field in response.json()["message"]


@pytest.mark.parametrize("raw", [b"not json", b"", b"[1, 2]", b'{"volumeId": '])
def test_non_json_bodies_cannot_be_parsed(signed_api: SignedApi, raw: bytes) -> None:
    response = signed_api.request("POST", f"{V}/volumeBackups", data=raw)
    assert error(response) == (400, "CannotParseRequest")


# ---- retry tokens -------------------------------------------------------------------------------------


def test_retry_token_replays_the_same_resource(signed_api: SignedApi, volume: dict[str, Any]) -> None:
    token = {"opc-retry-token": "tok-1"}
    first = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}, headers=token)
    again = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}, headers=token)
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    listed = signed_api.get(f"{V}/volumeBackups", params={"compartmentId": COMP}).json()
    assert len(listed) == 1


def test_retry_token_with_another_request_replays_the_first(signed_api: SignedApi, volume: dict[str, Any]) -> None:
    token = {"opc-retry-token": "tok-2"}
    first = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}, headers=token)
    assert first.status_code == 200
    changed = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"], "displayName": "x"}, headers=token)
    assert changed.status_code == 200 and changed.json()["id"] == first.json()["id"]
    assert changed.json()["displayName"] != "x"
    too_long = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}, headers={"opc-retry-token": "x" * 65})
    assert error(too_long) == (400, "InvalidParameter")


def test_retry_token_of_a_deleted_and_purged_backup_is_invalidated(
    emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]
) -> None:
    token = {"opc-retry-token": "tok-3"}
    first = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}, headers=token).json()
    emu.advance(120)
    assert signed_api.delete(f"{V}/volumeBackups/{first['id']}").status_code == 204
    deleting = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}, headers=token)
    assert deleting.status_code == 200 and deleting.json()["id"] == first["id"]
    assert deleting.json()["lifecycleState"] == "TERMINATING"  # the replay shows the backup as it is now
    emu.advance(10)
    replayed = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}, headers=token).json()
    assert (replayed["id"], replayed["lifecycleState"]) == (first["id"], "TERMINATED")  # not purged yet
    emu.advance(3600)
    purged = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}, headers=token)
    assert error(purged) == (409, "InvalidatedRetryToken")
    fresh = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}, headers={"opc-retry-token": "tok-4"})
    assert fresh.status_code == 200 and fresh.json()["id"] != first["id"]


def test_retry_tokens_are_per_operation(emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]) -> None:
    boot = emu.create_boot_volume(REGION, COMP, "web")
    token = {"opc-retry-token": "shared"}
    assert signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}, headers=token).status_code == 200
    assert signed_api.post(f"{V}/bootVolumeBackups", {"bootVolumeId": boot["id"]}, headers=token).status_code == 200


# ---- etags, update, delete ----------------------------------------------------------------------------


def test_etags_change_on_write_and_if_match_is_enforced(
    emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]
) -> None:
    backup = create_backup(signed_api, volume["id"])
    emu.advance(60)
    url = f"{V}/volumeBackups/{backup['id']}"
    etag = signed_api.get(url).headers["etag"]
    updated = signed_api.put(
        url, {"displayName": "renamed", "freeformTags": {"only": "this"}}, headers={"if-match": etag}
    )
    assert updated.status_code == 200
    assert updated.json()["displayName"] == "renamed"
    assert updated.json()["freeformTags"] == {"only": "this"}  # replaced, not merged
    assert updated.json()["definedTags"] == {"Ops": {"cc": "42"}}  # untouched
    new_etag = updated.headers["etag"]
    assert new_etag != etag and signed_api.get(url).headers["etag"] == new_etag
    stale = signed_api.put(url, {"displayName": "again"}, headers={"if-match": etag})
    assert error(stale) == (412, "NoEtagMatch")
    assert signed_api.get(url).json()["displayName"] == "renamed"
    assert error(signed_api.delete(url, headers={"if-match": etag})) == (412, "NoEtagMatch")
    assert signed_api.put(url, {"displayName": "no precondition"}).status_code == 200
    first_update, second_update = emu.event_envelopes("updatevolumebackup")
    assert first_update["data"]["freeformTags"] == {"only": "this"}
    assert second_update["data"]["resourceName"] == "no precondition"


def test_update_validates_the_body(emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]) -> None:
    backup = create_backup(signed_api, volume["id"])
    response = signed_api.put(f"{V}/volumeBackups/{backup['id']}", {"volumeId": "x"})
    assert error(response) == (400, "InvalidParameter")
    assert "volumeId" in response.json()["message"]


def test_delete_terminates_and_lists_keep_it(
    emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]
) -> None:
    backup = create_backup(signed_api, volume["id"])
    url = f"{V}/volumeBackups/{backup['id']}"
    assert error(signed_api.delete(url)) == (409, "IncorrectState")  # still in progress
    emu.advance(60)
    etag = signed_api.get(url).headers["etag"]
    deleted = signed_api.delete(url, headers={"if-match": etag})
    assert deleted.status_code == 204 and deleted.content == b""
    assert signed_api.get(url).json()["lifecycleState"] == "TERMINATING"  # as in OCI: not gone at once
    assert error(signed_api.put(url, {"displayName": "zombie"})) == (409, "IncorrectState")
    assert signed_api.delete(url).status_code == 204  # deleting again changes nothing
    assert [e["eventType"].rsplit(".", 1)[-1] for e in emu.event_envelopes() if "delete" in e["eventType"]] == ["begin"]
    emu.advance(5)  # terminating_after
    assert signed_api.get(url).json()["lifecycleState"] == "TERMINATED"
    everything = signed_api.get(f"{V}/volumeBackups", params={"compartmentId": COMP}).json()
    assert [b["lifecycleState"] for b in everything] == ["TERMINATED"]
    available = signed_api.get(f"{V}/volumeBackups", params={"compartmentId": COMP, "lifecycleState": "AVAILABLE"})
    assert available.json() == []
    assert error(signed_api.put(url, {"displayName": "zombie"})) == (409, "IncorrectState")
    assert [e["eventType"].rsplit(".", 2)[-2:] for e in emu.event_envelopes() if "delete" in e["eventType"]] == [
        ["deletevolumebackup", "begin"],
        ["deletevolumebackup", "end"],
    ]


# ---- lists ---------------------------------------------------------------------------------------------


def test_list_filters_sorting_and_pages(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.settings(creating_after=0, available_after=0)
    ids = []
    volumes = [emu.create_volume(REGION, COMP, f"vol-{i}") for i in range(5)]
    for i, vol in enumerate(volumes):
        ids.append(create_backup(signed_api, vol["id"], displayName=f"b{4 - i}")["id"])
        emu.advance(1)
    params: dict[str, Any] = {"compartmentId": COMP, "limit": 2}
    pages = []
    while True:
        response = signed_api.get(f"{V}/volumeBackups", params=params)
        assert response.status_code == 200
        pages.append([b["id"] for b in response.json()])
        if "opc-next-page" not in response.headers:
            break
        params["page"] = response.headers["opc-next-page"]
    assert pages == [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]  # newest first by default
    by_name = signed_api.get(f"{V}/volumeBackups", params={"compartmentId": COMP, "sortBy": "DISPLAYNAME"}).json()
    assert [b["displayName"] for b in by_name] == ["b0", "b1", "b2", "b3", "b4"]
    oldest_first = signed_api.get(f"{V}/volumeBackups", params={"compartmentId": COMP, "sortOrder": "ASC"}).json()
    assert [b["id"] for b in oldest_first] == ids
    one = signed_api.get(f"{V}/volumeBackups", params={"compartmentId": COMP, "volumeId": volumes[2]["id"]}).json()
    assert [b["id"] for b in one] == [ids[2]]
    named = signed_api.get(f"{V}/volumeBackups", params={"compartmentId": COMP, "displayName": "b1"}).json()
    assert [b["id"] for b in named] == [ids[3]]
    lower = signed_api.get(f"{V}/volumeBackups", params={"compartmentId": COMP, "lifecycleState": "available"})
    assert len(lower.json()) == 5


def test_page_is_stable_when_items_are_added(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.settings(creating_after=0, available_after=0)
    volumes = [emu.create_volume(REGION, COMP, f"v{i}") for i in range(4)]
    for vol in volumes[:3]:
        create_backup(signed_api, vol["id"])
        emu.advance(1)
    first = signed_api.get(f"{V}/volumeBackups", params={"compartmentId": COMP, "limit": 2, "sortOrder": "ASC"})
    create_backup(signed_api, volumes[3]["id"])
    rest = signed_api.get(
        f"{V}/volumeBackups",
        params={"compartmentId": COMP, "limit": 2, "sortOrder": "ASC", "page": first.headers["opc-next-page"]},
    )
    seen = [b["id"] for b in first.json() + rest.json()]
    assert len(seen) == len(set(seen)) == 4


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, (400, "MissingParameter")),
        ({"compartmentId": COMP, "limit": 0}, (400, "InvalidParameter")),
        ({"compartmentId": COMP, "limit": 1001}, (400, "InvalidParameter")),
        ({"compartmentId": COMP, "limit": "ten"}, (400, "InvalidParameter")),
        ({"compartmentId": COMP, "page": "garbage!"}, (400, "InvalidParameter")),
        ({"compartmentId": COMP, "sortBy": "SIZE"}, (400, "InvalidParameter")),
        ({"compartmentId": COMP, "sortOrder": "UP"}, (400, "InvalidParameter")),
        ({"compartmentId": COMP, "lifecycleState": "SLEEPING"}, (400, "InvalidParameter")),
    ],
)
def test_bad_list_parameters(signed_api: SignedApi, params: dict[str, Any], expected: tuple[int, str]) -> None:
    assert error(signed_api.get(f"{V}/volumeBackups", params=params)) == expected


def test_lists_require_compartment(signed_api: SignedApi) -> None:
    for path in ["/volumeBackups", "/bootVolumeBackups", "/volumeGroupBackups", "/volumeGroups"]:
        assert error(signed_api.get(V + path)) == (400, "MissingParameter"), path


# ---- volume group backups -----------------------------------------------------------------------------


def test_volume_group_backup_lifecycle(emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]) -> None:
    boot = emu.create_boot_volume(REGION, COMP, "web01")
    group = emu.create_volume_group(REGION, COMP, "app-vg", [volume["id"], boot["id"]], freeform_tags={"vg": "1"})
    response = signed_api.post(f"{V}/volumeGroupBackups", {"volumeGroupId": group["id"], "displayName": "vg-nightly"})
    assert response.status_code == 200, response.text
    group_backup = response.json()
    assert group_backup["lifecycleState"] == "REQUEST_RECEIVED"
    assert group_backup["volumeGroupId"] == group["id"]
    assert group_backup["freeformTags"] == {"vg": "1"}
    member_ids = group_backup["volumeBackupIds"]
    assert len(member_ids) == 2
    member = signed_api.get(f"{V}/volumeBackups/{member_ids[0]}").json()
    assert member["volumeGroupBackupId"] == group_backup["id"] and member["volumeId"] == volume["id"]
    boot_member = signed_api.get(f"{V}/bootVolumeBackups/{member_ids[1]}").json()
    assert boot_member["bootVolumeId"] == boot["id"]
    # members are in progress: no separate backup of a member volume
    assert error(signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]})) == (409, "IncorrectState")
    assert error(signed_api.post(f"{V}/volumeGroupBackups", {"volumeGroupId": group["id"]})) == (409, "IncorrectState")
    url = f"{V}/volumeGroupBackups/{group_backup['id']}"
    states = []
    for step in (1, 29, 30):
        emu.advance(step)
        states.append(signed_api.get(url).json()["lifecycleState"])
    assert states == ["CREATING", "COMMITTED", "AVAILABLE"]
    assert signed_api.get(f"{V}/volumeBackups/{member_ids[0]}").json()["lifecycleState"] == "AVAILABLE"
    (end,) = emu.event_envelopes("createvolumegroupbackup.end")
    assert end["data"]["resourceId"] == group_backup["id"]
    assert end["data"]["additionalDetails"]["volumeGroupId"] == group["id"]
    assert end["data"]["additionalDetails"]["status"] == "operationSucceed"
    assert not emu.event_envelopes("createvolumebackup.end")  # members emit nothing
    listed = signed_api.get(f"{V}/volumeGroupBackups", params={"compartmentId": COMP, "volumeGroupId": group["id"]})
    assert [g["id"] for g in listed.json()] == [group_backup["id"]]
    etag = signed_api.get(url).headers["etag"]
    updated = signed_api.put(url, {"displayName": "vg-renamed"}, headers={"if-match": etag})
    assert updated.status_code == 200 and updated.json()["displayName"] == "vg-renamed"
    assert error(signed_api.delete(url, headers={"if-match": etag})) == (412, "NoEtagMatch")
    assert signed_api.delete(url).status_code == 204
    assert signed_api.get(f"{V}/volumeBackups/{member_ids[0]}").json()["lifecycleState"] == "TERMINATING"
    emu.advance(5)
    assert signed_api.get(f"{V}/volumeBackups/{member_ids[0]}").json()["lifecycleState"] == "TERMINATED"
    assert error(signed_api.put(url, {"displayName": "x"})) == (409, "IncorrectState")


def test_volume_group_backup_validation(emu: EmulatorControl, signed_api: SignedApi) -> None:
    missing = signed_api.post(f"{V}/volumeGroupBackups", {"volumeGroupId": "ocid1.volumegroup.oc1.iad.nope"})
    assert error(missing) == (404, "NotAuthorizedOrNotFound")
    bad = signed_api.post(f"{V}/volumeGroupBackups", {"volumeGroupId": "x", "volumeIds": []})
    assert error(bad) == (400, "InvalidParameter") and "volumeIds" in bad.json()["message"]


def test_group_backup_retry_token(emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]) -> None:
    group = emu.create_volume_group(REGION, COMP, "vg", [volume["id"]])
    token = {"opc-retry-token": "vg-token"}
    first = signed_api.post(f"{V}/volumeGroupBackups", {"volumeGroupId": group["id"]}, headers=token)
    second = signed_api.post(f"{V}/volumeGroupBackups", {"volumeGroupId": group["id"]}, headers=token)
    assert first.json()["id"] == second.json()["id"]


def test_zero_durations_make_everything_available_at_once(
    emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]
) -> None:
    emu.settings(available_after=0, copy_available_after=0)
    group = emu.create_volume_group(REGION, COMP, "vg", [volume["id"]])
    group_backup = signed_api.post(f"{V}/volumeGroupBackups", {"volumeGroupId": group["id"]}).json()
    assert group_backup["lifecycleState"] == "AVAILABLE"
    other = emu.create_volume(REGION, COMP, "other")
    assert create_backup(signed_api, other["id"])["lifecycleState"] == "AVAILABLE"
