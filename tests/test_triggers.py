"""Trigger classification and parsing: events, schedules, gateway requests, direct calls."""

from __future__ import annotations

import json

import pytest

from emulator.events import make_event
from shared.gateway import GatewayRequest, authenticate, check_shape
from shared.triggers import InputError, TriggerKind, classify, parse_event, parse_schedule


def test_classify() -> None:
    assert classify(b"", {}) is TriggerKind.SCHEDULE
    assert classify(b'{"trigger":"schedule"}', {}) is TriggerKind.SCHEDULE
    assert classify(b'{"cloudEventsVersion":"0.1"}', {}) is TriggerKind.EVENT
    assert classify(b'{"volumeId":"x"}', {}) is TriggerKind.DIRECT
    assert classify(b"not json", {}) is TriggerKind.DIRECT
    assert classify(b"", {"fn-intent": "httprequest"}) is TriggerKind.HTTP


def test_event_tags_in_either_spelling_and_status() -> None:
    event = make_event(
        "com.oraclecloud.blockvolumes.createvolume.end",
        "ocid1.volume.oc1.iad.v1",
        "db01",
        "ocid1.compartment.oc1..c",
        additional_details={"status": "operationFailed"},
    )
    event["data"].pop("freeformTags", None)
    event["data"]["freeFormTags"] = {"backup": "daily"}
    parsed = parse_event(json.dumps(event).encode())
    assert parsed.data.freeform_tags == {"backup": "daily"}
    assert parsed.status == "operationFailed" and not parsed.succeeded
    event["data"]["additionalDetails"] = {}
    event["data"]["status"] = "operationSucceed"
    assert parse_event(json.dumps(event).encode()).succeeded


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cloudEventsVersion": "0.1", "eventType": "com.oraclecloud.x", "eventID": "e"}, "data"),
        (
            {"cloudEventsVersion": "1.0", "eventType": "com.oraclecloud.x", "eventID": "e", "data": {}},
            "cloudEventsVersion",
        ),
        ({"cloudEventsVersion": "0.1", "eventType": "x", "eventID": "e", "data": {"resourceId": "r"}}, "eventType"),
        (
            {"cloudEventsVersion": "0.1", "eventType": "com.oraclecloud.x", "eventID": "e", "data": {}},
            "data.resourceId",
        ),
    ],
)
def test_bad_events_name_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_event(json.dumps(body).encode())
    assert caught.value.field == field and caught.value.status == 400


def test_schedule_body() -> None:
    assert parse_schedule(b"").schedule == "default"
    parsed = parse_schedule(b'{"trigger":"schedule","schedule":"nightly","slot":"2026-11-22T09:00Z"}')
    assert parsed.schedule == "nightly" and parsed.slot == "2026-11-22T09:00Z"
    with pytest.raises(InputError) as caught:
        parse_schedule(b'{"trigger":"schedule","bogus":1}')
    assert caught.value.field == "bogus"


def test_gateway_auth_fails_closed() -> None:
    import hashlib

    token = "t" * 40
    digest = hashlib.sha256(token.encode()).hexdigest()
    ok = GatewayRequest("POST", "/backup/x", {"x-gateway-token": token, "x-auth-subject": "alice"})
    assert authenticate(ok, digest, []) == "alice"
    for request, configured, allowed, status in [
        (ok, None, [], 401),
        (GatewayRequest("POST", "/", {"x-auth-subject": "alice"}), digest, [], 401),
        (GatewayRequest("POST", "/", {"x-gateway-token": "wrong", "x-auth-subject": "a"}), digest, [], 401),
        (GatewayRequest("POST", "/", {"x-gateway-token": token}), digest, [], 401),
        (ok, digest, ["bob"], 403),
    ]:
        with pytest.raises(InputError) as caught:
            authenticate(request, configured, allowed)
        assert caught.value.status == status


def test_gateway_shape_checks() -> None:
    with pytest.raises(InputError) as caught:
        check_shape(GatewayRequest("GET", "/", {}), b"")
    assert caught.value.status == 405
    with pytest.raises(InputError) as caught:
        check_shape(GatewayRequest("POST", "/", {"content-type": "text/plain"}), b"x")
    assert caught.value.status == 415
    with pytest.raises(InputError) as caught:
        check_shape(GatewayRequest("POST", "/", {}), b"x" * 70000)
    assert caught.value.status == 413
