"""Emulator: Notifications PublishMessage, Functions invoke, recorded events, Identity compartments."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from emulator import DEFAULT_TENANCY, Emulator, EmulatorControl
from emulator.api_client import SignedApi
from emulator.events import backup_end_event, event_for_resource, make_event
from tests.emulator_fixtures import error

REGION = "us-ashburn-1"
COMP = "ocid1.compartment.oc1..aaaaaaaaons"
FN = "ocid1.fnfunc.oc1.iad.aaaaaaaafunction"


@pytest.fixture
def topic(emu: EmulatorControl) -> dict[str, Any]:
    return emu.create_topic(REGION, COMP, "backup-alerts")


def publish(api: SignedApi, topic: dict[str, Any], body: dict[str, Any], **kw: Any) -> requests.Response:
    """PublishMessage at the topic's own apiEndpoint (or ``endpoint=`` elsewhere)."""
    endpoint = kw.pop("endpoint", topic["apiEndpoint"])
    return api.post(f"/20181201/topics/{topic['topicId']}/messages", body, endpoint=endpoint, **kw)


# ---- notifications ------------------------------------------------------------------------------------


def test_publish_message_is_stored(emu: EmulatorControl, signed_api: SignedApi, topic: dict[str, Any]) -> None:
    assert topic["topicId"].startswith("ocid1.onstopic.oc1.iad.")
    assert topic["apiEndpoint"].startswith(f"{signed_api.base_url}/ons-")
    assert topic["apiEndpoint"].endswith(f"/{REGION}")
    response = publish(signed_api, topic, {"title": "Backup failed", "body": "vol-1: FAULTY"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result) == {"messageId", "timeStamp"}
    assert result["timeStamp"].endswith("Z")
    (message,) = emu.messages(REGION, topic["topicId"])
    assert message["messageId"] == result["messageId"]
    assert (message["title"], message["body"]) == ("Backup failed", "vol-1: FAULTY")
    got = signed_api.get(
        f"/20181201/topics/{topic['topicId']}", endpoint=f"{signed_api.base_url}/notification/{REGION}"
    )
    assert got.status_code == 200 and got.json() == topic


def test_message_size_limit(emu: EmulatorControl, signed_api: SignedApi, topic: dict[str, Any]) -> None:
    assert publish(signed_api, topic, {"body": "x" * 65536}).status_code == 200
    too_big = publish(signed_api, topic, {"body": "x" * 65537})
    assert error(too_big) == (413, "PayloadTooLarge")
    multibyte = publish(signed_api, topic, {"body": "é" * 32769})  # 65538 bytes in UTF-8
    assert error(multibyte) == (413, "PayloadTooLarge")
    assert len(emu.messages(REGION, topic["topicId"])) == 1


def test_sixty_messages_per_minute_per_topic(
    emu: EmulatorControl, signed_api: SignedApi, topic: dict[str, Any]
) -> None:
    for i in range(60):
        assert publish(signed_api, topic, {"body": f"m{i}"}).status_code == 200
    assert error(publish(signed_api, topic, {"body": "one too many"})) == (429, "TooManyRequests")
    other = emu.create_topic(REGION, COMP, "other")
    assert publish(signed_api, other, {"body": "different topic"}).status_code == 200
    emu.advance(30)
    assert error(publish(signed_api, topic, {"body": "still throttled"})) == (429, "TooManyRequests")
    emu.advance(30)
    assert publish(signed_api, topic, {"body": "next minute"}).status_code == 200
    assert len(emu.messages(REGION, topic["topicId"])) == 61


def test_publish_limit_is_a_setting(emu: EmulatorControl, signed_api: SignedApi, topic: dict[str, Any]) -> None:
    emu.settings(publish_per_minute=1)
    assert publish(signed_api, topic, {"body": "a"}).status_code == 200
    assert error(publish(signed_api, topic, {"body": "b"})) == (429, "TooManyRequests")
    emu.reset()
    assert emu.settings()["publishPerMinute"] == 60


def test_publish_refusals(emu: EmulatorControl, signed_api: SignedApi, topic: dict[str, Any]) -> None:
    unknown = publish(signed_api, {**topic, "topicId": "ocid1.onstopic.oc1.iad.nope"}, {"body": "x"})
    assert error(unknown) == (404, "NotAuthorizedOrNotFound")
    wrong_region = publish(
        signed_api, topic, {"body": "x"}, endpoint=topic["apiEndpoint"].replace(REGION, "us-phoenix-1")
    )
    assert error(wrong_region) == (404, "NotAuthorizedOrNotFound")
    no_body = publish(signed_api, topic, {"title": "only a title"})
    assert error(no_body) == (400, "InvalidParameter") and "body" in no_body.json()["message"]
    bad_type = publish(signed_api, topic, {"body": "plain"}, headers={"messageType": "JSON"})
    assert error(bad_type) == (400, "InvalidParameter")
    assert emu.messages(REGION, topic["topicId"]) == []


def test_publish_only_at_the_topics_own_endpoint(
    emu: EmulatorControl, signed_api: SignedApi, topic: dict[str, Any]
) -> None:
    """PublishMessage needs the topic's apiEndpoint: the regional notification host, the old one-prefix
    layout and another topic's endpoint all refuse it."""
    base = signed_api.base_url
    regional = publish(signed_api, topic, {"body": "x"}, endpoint=f"{base}/notification/{REGION}")
    assert error(regional) == (404, "NotFound")
    legacy = publish(signed_api, topic, {"body": "x"}, endpoint=f"{base}/{REGION}")
    assert error(legacy) == (404, "NotFound")
    other = emu.create_topic(REGION, COMP, "other")
    assert other["apiEndpoint"] != topic["apiEndpoint"]
    elsewhere = publish(signed_api, topic, {"body": "x"}, endpoint=other["apiEndpoint"])
    assert error(elsewhere) == (404, "NotAuthorizedOrNotFound")
    assert emu.messages(REGION, topic["topicId"]) == []
    assert publish(signed_api, topic, {"body": "x"}).status_code == 200


def test_each_service_answers_only_on_its_own_host(signed_api: SignedApi, topic: dict[str, Any]) -> None:
    """{base}/{service}/{region}: a call to the wrong service's host is a 404, as in OCI."""
    base = signed_api.base_url
    volumes = "/20160918/volumes"
    assert signed_api.get(volumes, endpoint=f"{base}/iaas/{REGION}", params={"compartmentId": COMP}).status_code == 200
    for host in ("notification", "identity", "functions", "nosuchservice"):
        wrong = signed_api.get(volumes, endpoint=f"{base}/{host}/{REGION}", params={"compartmentId": COMP})
        assert error(wrong) == (404, "NotFound"), host
    get_topic = f"/20181201/topics/{topic['topicId']}"
    assert error(signed_api.get(get_topic, endpoint=f"{base}/iaas/{REGION}")) == (404, "NotFound")
    # the old one-prefix layout still serves every regional service
    assert signed_api.get(get_topic).status_code == 200
    assert signed_api.get(volumes, params={"compartmentId": COMP}).status_code == 200


# ---- functions ----------------------------------------------------------------------------------------


@pytest.fixture
def function(emu: EmulatorControl) -> dict[str, Any]:
    return emu.create_function(REGION, COMP, "create-backup")


def invoke(
    api: SignedApi, function: dict[str, Any], body: Any, version: str = "20181201", **kw: Any
) -> requests.Response:
    endpoint = kw.pop("endpoint", function["invokeEndpoint"])
    return api.post(f"/{version}/functions/{function['id']}/actions/invoke", body, endpoint=endpoint, **kw)


def test_get_function_answers_its_invoke_endpoint(signed_api: SignedApi, function: dict[str, Any]) -> None:
    base = signed_api.base_url
    assert function["invokeEndpoint"].startswith(f"{base}/fn-") and function["invokeEndpoint"].endswith(f"/{REGION}")
    for version in ("20181201", "20260325"):
        got = signed_api.get(f"/{version}/functions/{function['id']}", endpoint=f"{base}/functions/{REGION}")
        assert got.status_code == 200 and got.json()["invokeEndpoint"] == function["invokeEndpoint"]
    unknown = signed_api.get(f"/20181201/functions/{FN}", endpoint=f"{base}/functions/{REGION}")
    assert error(unknown) == (404, "NotAuthorizedOrNotFound")


def test_invocations_are_recorded(emu: EmulatorControl, signed_api: SignedApi, function: dict[str, Any]) -> None:
    event = make_event("createvolumebackup.end", "ocid1.volumebackup.oc1.iad.b", "nightly", COMP)
    sync = invoke(signed_api, function, event)
    assert sync.status_code == 200 and sync.content == b""
    detached = invoke(signed_api, function, {"batch": 2}, "20260325", headers={"fn-invoke-type": "detached"})
    assert detached.status_code == 202 and detached.content == b""
    first, second = emu.invocations()
    assert (first["functionId"], first["region"], first["invokeType"]) == (function["id"], REGION, "sync")
    assert json.loads(first["body"]) == event
    assert second["invokeType"] == "detached" and json.loads(second["body"]) == {"batch": 2}
    assert second["headers"]["fn-invoke-type"] == "detached"
    assert "authorization" not in second["headers"]
    assert emu.invocations(since=1) == [second]


def test_invoke_only_at_the_functions_own_endpoint(
    emu: EmulatorControl, signed_api: SignedApi, function: dict[str, Any]
) -> None:
    """Invocations go to the function's invokeEndpoint, never the Functions management host."""
    base = signed_api.base_url
    management = invoke(signed_api, function, {}, endpoint=f"{base}/functions/{REGION}")
    assert error(management) == (404, "NotFound")
    legacy = invoke(signed_api, function, {}, endpoint=f"{base}/{REGION}")
    assert error(legacy) == (404, "NotFound")
    other = emu.create_function(REGION, COMP, "copy-backup")
    elsewhere = invoke(signed_api, function, {}, endpoint=other["invokeEndpoint"])
    assert error(elsewhere) == (404, "NotAuthorizedOrNotFound")
    unknown = invoke(signed_api, {**function, "id": FN}, {})
    assert error(unknown) == (404, "NotAuthorizedOrNotFound")
    assert emu.invocations() == []


def test_invoke_requires_a_signature(emulator: Emulator, emu: EmulatorControl, function: dict[str, Any]) -> None:
    url = f"{function['invokeEndpoint']}/20181201/functions/{function['id']}/actions/invoke"
    response = requests.post(url, data=b"{}")
    assert error(response) == (401, "NotAuthenticated")
    assert emu.invocations() == []


# ---- events -------------------------------------------------------------------------------------------


def test_control_created_resources_announce_themselves(emu: EmulatorControl) -> None:
    compartment = emu.create_compartment("prod-storage")
    volume = emu.create_volume(REGION, compartment["id"], "db01", freeform_tags={"a": "1"})
    boot = emu.create_boot_volume(REGION, compartment["id"], "web01")
    group = emu.create_volume_group(REGION, compartment["id"], "vg", [volume["id"]])
    items = emu.events()
    assert [i["event"]["eventType"].split(".", 3)[-1] for i in items] == [
        "createvolume.end",
        "createbootvolume.end",
        "createvolumegroup.end",
    ]
    assert all(i["region"] == REGION and i["tenancyId"] == DEFAULT_TENANCY for i in items)
    first = items[0]["event"]
    assert first["data"]["resourceId"] == volume["id"]
    assert first["data"]["compartmentName"] == "prod-storage"
    assert first["data"]["availabilityDomain"] == volume["availabilityDomain"]
    assert first["data"]["freeformTags"] == {"a": "1"}
    assert first["data"]["additionalDetails"] == {"status": "operationSucceed"}
    assert items[1]["event"]["data"]["resourceId"] == boot["id"]
    assert items[2]["event"]["data"]["resourceId"] == group["id"]


def test_event_cursor(emu: EmulatorControl) -> None:
    emu.create_volume(REGION, COMP, "a")
    items, cursor = emu.events_page()
    assert cursor == 1 and len(items) == 1
    emu.create_volume(REGION, COMP, "b")
    newer, cursor2 = emu.events_page(since=cursor)
    assert cursor2 == 2 and [i["event"]["data"]["resourceName"] for i in newer] == ["b"]
    assert emu.events_page(since=cursor2) == ([], 2)


def test_make_event_matches_the_documented_envelope() -> None:
    envelope = make_event(
        "createvolumebackup.end",
        "ocid1.volumebackup.oc1.iad.b",
        "db01-data-2026-11-22",
        COMP,
        freeform_tags={"dr-copy": "us-phoenix-1"},
        defined_tags={"Operations": {"CostCenter": "42"}},
        additional_details={"volumeId": "ocid1.volume.oc1.iad.v", "sourceType": "MANUAL", "status": "operationSucceed"},
        event_id="ed0c2058-84dc-40b5-88bd-2558a00d2730",
        compartment_name="prod-storage",
    )
    assert list(envelope) == [
        "eventType",
        "cloudEventsVersion",
        "eventTypeVersion",
        "source",
        "eventID",
        "eventTime",
        "contentType",
        "extensions",
        "data",
    ]
    assert envelope["eventType"] == "com.oraclecloud.blockvolumes.createvolumebackup.end"
    assert (envelope["cloudEventsVersion"], envelope["eventTypeVersion"], envelope["source"]) == (
        "0.1",
        "2.0",
        "BlockVolumes",
    )
    assert envelope["eventID"] == "ed0c2058-84dc-40b5-88bd-2558a00d2730"
    assert envelope["contentType"] == "application/json"
    assert envelope["extensions"] == {"compartmentId": COMP}
    assert list(envelope["data"]) == [
        "compartmentId",
        "compartmentName",
        "resourceName",
        "resourceId",
        "availabilityDomain",
        "freeformTags",
        "definedTags",
        "additionalDetails",
    ]
    assert envelope["data"]["definedTags"] == {"Operations": {"CostCenter": "42"}}


def test_event_factories_from_resources(emu: EmulatorControl, signed_api: SignedApi) -> None:
    volume = emu.create_volume(REGION, COMP, "db01", freeform_tags={"x": "y"})
    backup = signed_api.post("/20160918/volumeBackups", {"volumeId": volume["id"]}).json()
    built = backup_end_event(backup)
    assert built["eventType"].endswith("createvolumebackup.end")
    assert built["data"]["additionalDetails"] == {
        "volumeId": volume["id"],
        "sourceType": "MANUAL",
        "status": "operationSucceed",
    }
    assert built["data"]["freeformTags"] == {"x": "y"}
    emu.advance(60)
    recorded = emu.event_envelopes("createvolumebackup.end")[0]
    assert recorded["data"]["additionalDetails"] == built["data"]["additionalDetails"]
    assert event_for_resource("createvolume.end", volume)["data"]["availabilityDomain"] == volume["availabilityDomain"]


# ---- identity -----------------------------------------------------------------------------------------


def test_list_compartments(emu: EmulatorControl, signed_api: SignedApi) -> None:
    prod = emu.create_compartment("prod")
    dev = emu.create_compartment("dev")
    child = emu.create_compartment("prod-db", parent_id=prod["id"])
    direct = signed_api.get("/20160918/compartments", params={"compartmentId": DEFAULT_TENANCY}).json()
    assert [c["name"] for c in direct] == ["dev", "prod"]
    assert direct[0] == {
        "id": dev["id"],
        "name": "dev",
        "compartmentId": DEFAULT_TENANCY,
        "description": "",
        "lifecycleState": "ACTIVE",
        "timeCreated": dev["timeCreated"],
        "freeformTags": {},
        "definedTags": {},
    }
    params = {
        "compartmentId": DEFAULT_TENANCY,
        "compartmentIdInSubtree": "true",
        "lifecycleState": "ACTIVE",
        "limit": 2,
    }
    first = signed_api.get("/20160918/compartments", params=params)
    rest = signed_api.get("/20160918/compartments", params={**params, "page": first.headers["opc-next-page"]})
    assert [c["id"] for c in first.json() + rest.json()] == [dev["id"], prod["id"], child["id"]]
    children = signed_api.get("/20160918/compartments", params={"compartmentId": prod["id"]}).json()
    assert [c["id"] for c in children] == [child["id"]]
    assert signed_api.get(f"/20160918/compartments/{child['id']}").json()["compartmentId"] == prod["id"]
    # compartments are tenancy-wide: the same in every region
    elsewhere = signed_api.get("/20160918/compartments", params={"compartmentId": prod["id"]}, region="eu-frankfurt-1")
    assert [c["id"] for c in elsewhere.json()] == [child["id"]]


def test_list_compartments_refusals(emu: EmulatorControl, signed_api: SignedApi) -> None:
    prod = emu.create_compartment("prod")
    subtree = signed_api.get(
        "/20160918/compartments", params={"compartmentId": prod["id"], "compartmentIdInSubtree": "true"}
    )
    assert error(subtree) == (400, "InvalidParameter")
    assert error(signed_api.get("/20160918/compartments")) == (400, "MissingParameter")
    unknown = signed_api.get("/20160918/compartments", params={"compartmentId": "ocid1.compartment.oc1..nope"})
    assert error(unknown) == (404, "NotAuthorizedOrNotFound")
    assert error(signed_api.get("/20160918/compartments/ocid1.compartment.oc1..nope")) == (
        404,
        "NotAuthorizedOrNotFound",
    )


def test_regions_and_subscriptions(emu: EmulatorControl, signed_api: SignedApi) -> None:
    regions = signed_api.get("/20160918/regions").json()
    assert {"key": "PHX", "name": "us-phoenix-1"} in regions
    assert all(r["name"] != "us-gov-ashburn-1" for r in regions)
    emu.settings(subscribed_regions=["us-ashburn-1", "us-phoenix-1"])
    subs = signed_api.get(f"/20160918/tenancies/{DEFAULT_TENANCY}/regionSubscriptions").json()
    assert subs == [
        {"regionKey": "IAD", "regionName": "us-ashburn-1", "status": "READY", "isHomeRegion": True},
        {"regionKey": "PHX", "regionName": "us-phoenix-1", "status": "READY", "isHomeRegion": False},
    ]
    other = signed_api.get("/20160918/tenancies/ocid1.tenancy.oc1..other/regionSubscriptions")
    assert error(other) == (404, "NotAuthorizedOrNotFound")
