"""The body parsed once into its trigger: events, schedules, direct requests; gateway checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from emulator.events import make_event
from shared.errors import BadRequest, HttpError
from shared.gateway import GatewayRequest, authenticate, check_shape
from shared.triggers import (
    EventTrigger,
    OciEvent,
    RequestTrigger,
    ScheduleRequest,
    ScheduleTrigger,
    TriggerKind,
    parse_gateway_request,
    parse_trigger,
    region_ocid,
)

NOW = datetime(2026, 11, 22, 9, 41, tzinfo=UTC)
REGION = "us-ashburn-1"


class VolumeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    volume_id: str = Field(alias="volumeId")
    dry_run: bool = Field(default=False, alias="dryRun")

    @field_validator("volume_id")
    @classmethod
    def _volume(cls, value: str, info: ValidationInfo) -> str:
        return region_ocid(value, info, ("volume",))


def parse(body: bytes | dict[str, object], region: str | None = REGION) -> object:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_trigger(raw, VolumeRequest, region=region, now=NOW, slot_minutes=60, call_id="call-1")


def event(**extra: object) -> dict[str, object]:
    body = make_event(
        "com.oraclecloud.blockvolumes.createvolume.end", "ocid1.volume.oc1.iad.v1", "db01", "ocid1.compartment.oc1..c"
    )
    body.update(extra)
    return body


def test_one_parse_picks_the_trigger() -> None:
    empty = parse(b"")
    assert isinstance(empty, ScheduleTrigger) and empty.kind is TriggerKind.SCHEDULE
    assert empty.schedule.schedule == "default" and empty.schedule.slot == "2026-11-22T09:00Z"  # the run's slot
    assert isinstance(parse({"trigger": "schedule"}), ScheduleTrigger)
    got = parse(event())
    assert isinstance(got, EventTrigger) and got.kind is TriggerKind.EVENT
    assert got.key_parts == (got.event.event_id, "ocid1.volume.oc1.iad.v1") and got.correlation_id == got.event.event_id
    direct = parse({"volumeId": "ocid1.volume.oc1.iad.v1", "dryRun": True})
    assert isinstance(direct, RequestTrigger) and direct.kind is TriggerKind.DIRECT
    assert (
        direct.dry_run and direct.target_ids == ["ocid1.volume.oc1.iad.v1"] and direct.key_parts == ("call", "call-1")
    )


def test_a_gateway_request_keys_on_the_callers_idempotency_key() -> None:
    body = b'{"volumeId": "ocid1.volume.oc1.iad.v1"}'
    got = parse_gateway_request(
        body, VolumeRequest, region=REGION, call_id="c", idempotency_key="k-1", request_id="opc-1"
    )
    assert got.kind is TriggerKind.HTTP and got.key_parts == ("idempotency-key", "k-1")
    assert got.correlation_id == "opc-1"
    assert parse_gateway_request(
        b"", ScheduleRequest, region=REGION, call_id="c", idempotency_key=None, request_id=None
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b"[1, 2]", "body"),
        ({"volumeId": "ocid1.volume.oc1.phx.v1"}, "volumeId"),  # another region
        ({"volumeId": "ocid1.volume.oc2.iad.v1"}, "volumeId"),  # another realm
        ({"volumeId": "ocid1.bootvolume.oc1.iad.v1"}, "volumeId"),  # another kind
        ({"volumeId": "ocid1.volume.oc1.iad.v1", "bogus": 1}, "bogus"),
        ({"trigger": "schedule", "bogus": 1}, "bogus"),
    ],
)
def test_bad_bodies_name_the_field(body: bytes | dict[str, object], field: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(body)
    assert caught.value.field == field and caught.value.status == 400


def test_without_a_region_only_the_shape_is_checked() -> None:
    assert isinstance(parse({"volumeId": "ocid1.volume.oc1.phx.v1"}, region=None), RequestTrigger)


def test_event_tags_in_either_spelling_and_status() -> None:
    body = event()
    body["data"] = {**body["data"], "additionalDetails": {"status": "operationFailed"}}  # type: ignore[dict-item]
    body["data"].pop("freeformTags", None)  # type: ignore[attr-defined]
    body["data"]["freeFormTags"] = {"backup": "daily"}  # type: ignore[index]
    parsed = parse(body)
    assert isinstance(parsed, EventTrigger)
    assert parsed.event.data.freeform_tags == {"backup": "daily"}
    assert parsed.event.status == "operationFailed" and not parsed.event.succeeded
    body["data"]["additionalDetails"] = {}  # type: ignore[index]
    body["data"]["status"] = "operationSucceed"  # type: ignore[index]
    again = parse(body)
    assert isinstance(again, EventTrigger) and again.event.succeeded
    assert isinstance(OciEvent.model_validate(body), OciEvent)


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
        (  # the event is about a volume; its resource is a volume of this region, nothing else
            {
                "cloudEventsVersion": "0.1",
                "eventType": "com.oraclecloud.blockvolumes.createvolume.end",
                "eventID": "e",
                "data": {"resourceId": "ocid1.volume.oc1.phx.v1"},
            },
            "data.resourceId",
        ),
    ],
)
def test_bad_events_name_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(body)
    assert caught.value.field == field and caught.value.status == 400


def test_schedule_body() -> None:
    parsed = parse({"trigger": "schedule", "schedule": "nightly", "slot": "2026-11-22T08:00Z", "resourceIds": ["a"]})
    assert isinstance(parsed, ScheduleTrigger)
    assert parsed.key_parts == ("nightly", "2026-11-22T08:00Z") and parsed.schedule.only == {"a"}


CURSOR = {
    "compartmentId": "ocid1.compartment.oc1..c",
    "kind": "volume",
    "page": "abc",
    "startId": "ocid1.volume.oc1.iad.v1",
}


def test_schedule_body_with_a_cursor() -> None:
    parsed = parse({"trigger": "schedule", "slot": "2026-11-22T08:00Z", "cursor": CURSOR})
    assert isinstance(parsed, ScheduleTrigger) and parsed.schedule.only is None and parsed.schedule.handed_over
    cursor = parsed.schedule.cursor
    assert cursor is not None and (cursor.compartment_id, cursor.kind, cursor.page) == (
        CURSOR["compartmentId"],
        "volume",
        "abc",
    )
    assert not parse({"trigger": "schedule"}).schedule.handed_over  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("cursor", "field"),
    [
        ({**CURSOR, "compartmentId": "ocid1.volume.oc1.iad.v1"}, "cursor.compartmentId"),
        ({**CURSOR, "startId": "ocid1.volume.oc1.phx.v1"}, "cursor.startId"),  # another region
        ({**CURSOR, "startId": "ocid1.volumebackup.oc1.iad.v1"}, "cursor.startId"),  # no sweep starts at one
        ({**CURSOR, "kind": "bucket"}, "cursor.kind"),
        ({**CURSOR, "page": "a b"}, "cursor.page"),
        ({**CURSOR, "extra": 1}, "cursor.extra"),
        ({k: v for k, v in CURSOR.items() if k != "startId"}, "cursor.startId"),
    ],
)
def test_a_bad_cursor_is_refused_naming_its_field(cursor: dict[str, object], field: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse({"trigger": "schedule", "cursor": cursor})
    assert caught.value.field == field and caught.value.status == 400


def test_ids_and_a_cursor_together_are_refused() -> None:
    with pytest.raises(BadRequest) as caught:
        parse({"trigger": "schedule", "cursor": CURSOR, "resourceIds": ["ocid1.volume.oc1.iad.v2"]})
    assert caught.value.status == 400 and "not both" in str(caught.value)


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
        with pytest.raises(HttpError) as caught:
            authenticate(request, configured, allowed)
        assert caught.value.status == status


def test_gateway_shape_checks() -> None:
    with pytest.raises(HttpError) as caught:
        check_shape(GatewayRequest("GET", "/", {}), b"")
    assert caught.value.status == 405
    with pytest.raises(HttpError) as caught:
        check_shape(GatewayRequest("POST", "/", {"content-type": "text/plain"}), b"x")
    assert caught.value.status == 415
    with pytest.raises(HttpError) as caught:
        check_shape(GatewayRequest("POST", "/", {}), b"x" * 70000)
    assert caught.value.status == 413
