"""The shared runtime through the real fdk process: dispatch, triggers, gateway statuses, config, logs."""

from __future__ import annotations

import json

import pytest

from emulator import EmulatorControl
from emulator.events import make_event
from tests.conftest import GATEWAY_HEADERS, HOME_REGION, StartFunction
from tests.fdk_harness import FdkProcess


def volume(emu: EmulatorControl, compartment: str, name: str = "db01", **tags: str) -> str:
    return str(emu.create_volume(HOME_REGION, compartment, name, freeform_tags=tags or None)["id"])


def test_missing_handler_fails_loudly(emu: EmulatorControl, start_function: StartFunction) -> None:
    fn = start_function("no_such_handler")
    answer = fn.call(b"")
    assert answer.status == 502  # plain invoke: the fdk's "function failed"
    assert "HANDLER" in answer.body.decode() and "create_backup" in answer.body.decode()
    gateway = fn.http({}, headers=GATEWAY_HEADERS)
    assert gateway.http_status == 500
    assert gateway.json()["error"]["field"] == "HANDLER"


def test_bad_config_key_is_named(start_function: StartFunction) -> None:
    fn = start_function("create_backup", {"MAX_CONCURRENCY": "lots"})
    answer = fn.http({}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 500
    assert answer.json()["error"]["field"] == "MAX_CONCURRENCY"


@pytest.mark.parametrize(
    ("method", "headers", "body", "status", "field"),
    [
        ("GET", GATEWAY_HEADERS, b"", 405, "method"),
        ("POST", {**GATEWAY_HEADERS, "Content-Type": "text/plain"}, b"hi", 415, "content-type"),
        ("POST", GATEWAY_HEADERS, b"{" + b" " * 70000 + b"}", 413, "body"),
        ("POST", {}, b'{"volumeId":"ocid1.volume.oc1.iad.x"}', 401, "authorization"),
        ("POST", {**GATEWAY_HEADERS, "X-Gateway-Token": "forged"}, b"{}", 401, "authorization"),
        ("POST", {"X-Gateway-Token": GATEWAY_HEADERS["X-Gateway-Token"]}, b"{}", 401, "authorization"),
        ("POST", GATEWAY_HEADERS, b"not json", 400, "body"),
        ("POST", GATEWAY_HEADERS, b"[1,2]", 400, "body"),
        ("POST", GATEWAY_HEADERS, b'{"volumeId":"nope"}', 400, "volumeId"),
        ("POST", GATEWAY_HEADERS, b'{"volumeId":"ocid1.volume.oc1.iad.x","colour":"red"}', 400, "colour"),
        ("POST", GATEWAY_HEADERS, b"{}", 400, None),
    ],
)
def test_gateway_refusals(
    emu: EmulatorControl,
    start_function: StartFunction,
    method: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    field: str | None,
) -> None:
    fn = start_function("create_backup")
    answer = fn.http(body, method=method, headers=headers)
    assert answer.http_status == status, answer.body
    error = answer.json()["error"]
    assert error["status"] == status and error["message"]
    if field:
        assert error["field"] == field
    assert emu.events() == []  # nothing was written


def test_forbidden_subject(start_function: StartFunction) -> None:
    fn = start_function("create_backup", {"HTTP_ALLOWED_SUBJECTS": "ocid1.user.oc1..someone-else"})
    answer = fn.http({"volumeId": "ocid1.volume.oc1.iad.x"}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 403


def test_unknown_volume_is_404(start_function: StartFunction) -> None:
    fn = start_function("create_backup")
    answer = fn.http({"volumeId": "ocid1.volume.oc1.iad.doesnotexist"}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 404
    assert answer.json()["error"]["code"] == "NotAuthorizedOrNotFound"


def test_http_success_returns_the_result_document(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    volume_id = volume(emu, compartment)
    fn = start_function("create_backup")
    answer = fn.http({"volumeId": volume_id}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 200
    assert answer.headers["content-type"].startswith("application/json")
    result = answer.json()
    assert result["function"] == "create_backup" and result["trigger"] == "http"
    assert result["counts"] == {"created": 1}
    (item,) = result["items"]
    assert item["resourceId"] == volume_id and item["resultId"].startswith("ocid1.volumebackup.")
    (message,) = emu.messages(HOME_REGION, topic)
    assert message["title"].startswith("[ok] create-backup (http, us-ashburn-1): 1 created")


def test_event_of_another_function_is_refused(emu: EmulatorControl, start_function: StartFunction) -> None:
    fn = start_function("retag_group_backup")
    event = make_event("com.oraclecloud.blockvolumes.createvolume.end", "ocid1.volume.oc1.iad.v", "v", "c")
    answer = fn.call(event)
    assert answer.status == 200  # a plain invoke: the fdk squashes statuses; the body says what happened
    assert answer.json()["error"]["field"] == "eventType"


def test_direct_invoke_and_dry_run(emu: EmulatorControl, start_function: StartFunction, compartment: str) -> None:
    volume_id = volume(emu, compartment)
    fn = start_function("create_backup")
    result = fn.call({"volumeId": volume_id, "dryRun": True}).json()
    assert result["trigger"] == "direct" and result["dryRun"] is True
    assert result["counts"] == {"planned": 1}
    assert [e for e in emu.events() if "volumebackup" in e["event"]["eventType"]] == []


def test_empty_body_is_a_schedule_run(emu: EmulatorControl, start_function: StartFunction, compartment: str) -> None:
    volume(emu, compartment, "a")
    volume(emu, compartment, "b")
    fn = start_function("create_backup")
    result = fn.call(b"").json()
    assert result["trigger"] == "schedule" and result["counts"] == {"created": 2}


def test_deadline_defers_instead_of_dying(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    for n in range(3):
        volume(emu, compartment, f"v{n}")
    fn = start_function("create_backup", {"DEADLINE_MARGIN_SECONDS": "30"})
    answer = fn.call(b"", deadline_seconds=10)  # less time left than the safety margin
    result = answer.json()
    assert result["counts"].get("deferred", 0) + result["counts"].get("created", 0) == 3
    assert result["counts"].get("deferred") == 3


def test_notify_on_failures_only(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    volume_id = volume(emu, compartment)
    fn = start_function("create_backup", {"NOTIFY_ON": "failures"})
    assert fn.call({"volumeId": volume_id}).json()["counts"] == {"created": 1}
    assert emu.messages(HOME_REGION, topic) == []


def test_logs_are_json_with_request_ids_and_no_secrets(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    volume_id = volume(emu, compartment)
    fn: FdkProcess = start_function("create_backup")
    fn.call({"volumeId": volume_id})
    lines = fn.log_lines()
    calls = [line for line in lines if line["message"] == "oci call"]
    assert calls and all(line["opc_request_id"] for line in calls)
    assert all(line["function"] == "create_backup" and line["call_id"] for line in calls)
    text = fn.logs()
    for secret in ("BEGIN", "PRIVATE KEY", "ST$", "Signature ", fn.config["OCI_RESOURCE_PRINCIPAL_RPST"][:40]):
        assert secret not in text
    assert not [line for line in text.splitlines() if "DEBUG" in line]  # fdk's root DEBUG is neutralised
    json.dumps(lines)


@pytest.mark.parametrize("header", ["Fn-Intent", "fn-intent", "FN-INTENT"])
def test_client_fn_intent_cannot_switch_off_gateway_auth(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, header: str
) -> None:
    """A gateway client's ``Fn-Intent`` header must not make the request a direct/schedule call."""
    volume(emu, compartment, backup="yes")
    before = emu.events()
    fn = start_function("create_backup")
    answer = fn.http(b"", headers={header: "x"})  # no X-Gateway-Token
    assert answer.http_status == 401, answer.body
    assert answer.json()["error"]["field"] == "authorization"
    assert emu.events() == before  # no sweep started, nothing written


def test_client_platform_headers_are_ignored(emu: EmulatorControl, start_function: StartFunction) -> None:
    """Client ``Fn-Deadline`` and ``Fn-Call-Id`` neither stretch the deadline nor set the logged call id."""
    fn = start_function("create_backup")
    forged = {**GATEWAY_HEADERS, "Fn-Deadline": "2099-01-01T00:00:00Z", "Fn-Call-Id": "forged-call-id"}
    answer = fn.http({"volumeId": "ocid1.volume.oc1.iad.doesnotexist"}, headers=forged, deadline_seconds=8)
    assert answer.http_status == 404
    started = [line for line in fn.log_lines() if line.get("message") == "invocation"]
    assert started and started[-1]["seconds_to_deadline"] <= 8
    assert all(line.get("call_id") != "forged-call-id" for line in fn.log_lines())
    assert started[-1]["call_id"] != "forged-call-id"


@pytest.mark.parametrize(("invoke_type", "expected"), [("detached", 900 - 20), ("sync", 30 - 20)])
def test_detached_invocation_without_deadline_uses_the_detached_timeout(
    start_function: StartFunction, invoke_type: str, expected: float
) -> None:
    """Detached (the platform's ``fn-invoke-type``) and no usable ``Fn-Deadline``: DETACHED_TIMEOUT_SECONDS
    minus the safety margin applies; a synchronous call without one gets FUNCTION_TIMEOUT_SECONDS (default
    30, OCI's default timeout) minus the margin, never no deadline."""
    fn = start_function("create_backup", {"DETACHED_TIMEOUT_SECONDS": "900", "DEADLINE_MARGIN_SECONDS": "20"})
    headers = {"Fn-Deadline": "not-a-date", "Fn-Invoke-Type": invoke_type}
    answer = fn.call({"volumeId": "ocid1.volume.oc1.iad.doesnotexist"}, headers=headers)
    assert answer.status in (200, 502), answer.body
    started = [line for line in fn.log_lines() if line.get("message") == "invocation"]
    assert started, fn.log_lines()
    seconds = started[-1]["seconds_to_deadline"]
    assert expected - 5 <= seconds <= expected


def test_detached_timeout_config_is_range_checked(start_function: StartFunction) -> None:
    fn = start_function("create_backup", {"DETACHED_TIMEOUT_SECONDS": "7200"})
    answer = fn.http({}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 500
    assert answer.json()["error"]["field"] == "DETACHED_TIMEOUT_SECONDS"


def test_an_unknown_config_key_is_named_once_and_changes_nothing(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    """A misspelled key (and another function's key) is logged at start and named in the first result only;
    the platform's own variables are not reported."""
    fn = start_function("create_backup", {"RETENTON_DAYS": "7", "COPY_LOCK_DAYS": "3", "FN_EXTRA": "x"})
    first = fn.call({"posture": True})
    assert first.status == 200
    notes = [n for n in first.json()["notes"] if "config keys" in n]
    assert notes == ["config keys this function does not know, ignored: COPY_LOCK_DAYS, RETENTON_DAYS (misspelled?)"]
    again = fn.call({"posture": True})
    assert not [n for n in again.json().get("notes", []) if "config keys" in n]
    warnings = [line for line in fn.log_lines() if line.get("message") == "unknown config keys"]
    assert warnings and warnings[0]["keys"] == ["COPY_LOCK_DAYS", "RETENTON_DAYS"] and warnings[0]["level"] == "WARNING"


def test_a_trigger_the_handler_leaves_out_is_a_400_naming_it() -> None:
    """A handler without ``on_schedule`` (or ``on_event``) is answered 400 naming the trigger, before any work."""
    from datetime import UTC, datetime

    from pydantic import BaseModel

    from shared.app import HandlerSpec
    from shared.errors import BadRequest
    from shared.runtime import _method_for
    from shared.settings import CommonSettings
    from shared.triggers import parse_trigger

    spec: HandlerSpec[CommonSettings, BaseModel] = HandlerSpec(
        "create_backup", CommonSettings, BaseModel, {}, on_request=lambda invocation, request: None
    )
    now = datetime.now(UTC)
    schedule = parse_trigger(b"", BaseModel, region=HOME_REGION, now=now, slot_minutes=60)
    with pytest.raises(BadRequest) as caught:
        _method_for(spec, schedule)
    assert caught.value.field == "trigger" and "no schedule" in caught.value.message
    event = make_event("com.oraclecloud.blockvolumes.createvolume.end", "ocid1.volume.oc1.iad.v", "v", "ocid1.c.oc1..c")
    with pytest.raises(BadRequest) as caught:
        _method_for(
            spec, parse_trigger(json.dumps(event).encode(), BaseModel, region=HOME_REGION, now=now, slot_minutes=60)
        )
    assert caught.value.field == "trigger" and "no events" in caught.value.message
