"""What an outside probe broke, through the real fdk process against the emulator.

Each test reproduced its problem before the fix: manual requests answered once ever (3), deep JSON
escaped as 502 with the exception text (4), ids went into URLs unchecked (5), a single-target run out
of time was a 500 (6), no deadline without ``Fn-Deadline`` (7), the status only on the wire (11),
``FDK_DEBUG`` printed the gateway token (13).
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from emulator.events import make_event
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE, RUN_KEY, SOURCE_KEY, TRIGGER_KEY
from tests.conftest import DR_REGION, GATEWAY_HEADERS, GATEWAY_TOKEN, HOME_REGION, StartFunction
from tests.fdk_harness import FdkProcess

MANAGED = {MANAGED_BY_KEY: MANAGED_BY_VALUE}


def volume(emu: EmulatorControl, compartment: str, name: str = "db01", **tags: str) -> str:
    return str(emu.create_volume(HOME_REGION, compartment, name, freeform_tags=tags or None)["id"])


def gateway_call(fn: FdkProcess, body: dict[str, Any], call_id: str, **client: str) -> dict[str, Any]:
    """An API Gateway request with a chosen platform ``Fn-Call-Id`` (a retry of the same call)."""
    headers = {
        "Fn-Intent": "httprequest",
        "Fn-Http-Method": "POST",
        "Fn-Http-Request-Url": "/backup/create-backup",
        "Fn-Call-Id": call_id,
        **{f"Fn-Http-H-{k}": v for k, v in {**GATEWAY_HEADERS, **client}.items()},
    }
    answer = fn.call(body, headers)
    assert answer.http_status == 200, answer.body
    result: dict[str, Any] = answer.json()
    return result


# --- 3. a manual request is a new request unless it says otherwise -------------------------------


def test_manual_request_without_idempotency_key_runs_again(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    volume_id = volume(emu, compartment)
    fn = start_function("create_backup")
    first = fn.http({"volumeId": volume_id}, headers=GATEWAY_HEADERS).json()
    assert first["counts"] == {"created": 1}
    emu.advance(3 * 86400)  # three days later, the first backup long AVAILABLE
    again = fn.http({"volumeId": volume_id}, headers=GATEWAY_HEADERS).json()
    assert again["counts"] == {"created": 1}, again
    assert again["items"][0]["resultId"] != first["items"][0]["resultId"]
    emu.advance(3600)
    assert fn.call({"volumeId": volume_id}).json()["counts"] == {"created": 1}  # direct invokes too
    emu.advance(3600)
    assert fn.call({"volumeId": volume_id}).json()["counts"] == {"created": 1}


def test_retry_of_the_same_call_and_the_same_key_are_recognised(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    volume_id = volume(emu, compartment)
    fn = start_function("create_backup")
    call_id = uuid.uuid4().hex
    first = gateway_call(fn, {"volumeId": volume_id}, call_id)
    emu.advance(120)
    retried = gateway_call(fn, {"volumeId": volume_id}, call_id)
    assert first["counts"] == {"created": 1}
    assert retried["counts"] == {"skipped": 1} and "already backed up" in retried["items"][0]["reason"]
    keyed = gateway_call(fn, {"volumeId": volume_id}, uuid.uuid4().hex, **{"Idempotency-Key": "nightly-42"})
    emu.advance(120)
    keyed_again = gateway_call(fn, {"volumeId": volume_id}, uuid.uuid4().hex, **{"Idempotency-Key": "nightly-42"})
    assert keyed["counts"] == {"created": 1}
    assert keyed_again["counts"] == {"skipped": 1}, keyed_again


# --- 4. every input error is a 4xx JSON document, with no exception text ----------------------------

DEEP_ARRAY = b"[" * 20_000 + b"]" * 20_000  # under the gateway's 64 KB body limit
DEEP_OBJECT = b'{"a":' * 9_000 + b"1" + b"}" * 9_000
DEEP_VALUE = b'{"volumeId": "ocid1.volume.oc1.iad.x", "type": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT, DEEP_VALUE], ids=["array", "object", "value"])
def test_deeply_nested_json_is_a_400(emu: EmulatorControl, start_function: StartFunction, body: bytes) -> None:
    fn = start_function("create_backup")
    for answer in (fn.call(body), fn.http(body, headers=GATEWAY_HEADERS)):
        assert answer.status == 200, answer.body[:300]  # not the fdk's 502
        doc = answer.json()
        assert doc["status"] == 400 and doc["error"]["status"] == 400 and doc["error"]["field"] == "body"
        assert answer.http_status in (200, 400)
        assert "Recursion" not in answer.body.decode() and "Traceback" not in answer.body.decode()
    assert fn.http(body, headers=GATEWAY_HEADERS).http_status == 400
    assert emu.events() == []


# --- 5. ids are checked before they reach a URL --------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_id", "why"),
    [
        ("../volumeBackups?compartmentId=ocid1.compartment.oc1..x", "must be an OCID"),
        ("ocid1.volume.oc1.iad.a/../../volumeBackups", "must be an OCID"),
        ("ocid1.volumebackup.oc1.iad.aaaa", "must be the OCID of a volume"),
        ("ocid1.volume.oc2.iad.aaaa", "realm"),
        ("ocid1.volume.oc1.phx.aaaa", "region"),
    ],
)
def test_event_resource_id_is_checked_before_any_call(
    emu: EmulatorControl, start_function: StartFunction, resource_id: str, why: str
) -> None:
    fn = start_function("create_backup")
    before = emu.calls()
    event = make_event("com.oraclecloud.blockvolumes.createvolume.end", resource_id, "v", "ocid1.compartment.oc1..c")
    doc = fn.call(event).json()
    assert doc["status"] == 400 and doc["error"]["field"] == "data.resourceId", doc
    assert why in doc["error"]["message"]
    assert emu.calls() == before  # not one signed request went out


@pytest.mark.parametrize(
    ("handler", "body", "field"),
    [
        ("create_backup", {"volumeId": "ocid1.bootvolume.oc1.iad.aaaa"}, "volumeId"),
        ("create_backup", {"volumeId": "ocid1.volume.oc1.fra.aaaa"}, "volumeId"),
        ("create_backup", {"compartmentId": "ocid1.compartment.oc9..aaaa"}, "compartmentId"),
        ("copy_backup", {"backupId": "ocid1.volumebackup.oc1.phx.aaaa"}, "backupId"),
        ("retag_group_backup", {"volumeGroupBackupId": "ocid1.volumegroupbackup.oc2.iad.a"}, "volumeGroupBackupId"),
    ],
)
def test_request_ids_are_checked(
    emu: EmulatorControl, start_function: StartFunction, handler: str, body: dict[str, str], field: str
) -> None:
    config = {"COPY_DESTINATION_REGIONS": "us-phoenix-1"} if handler == "copy_backup" else {}
    fn = start_function(handler, config)
    before = emu.calls()
    answer = fn.http(body, headers=GATEWAY_HEADERS)
    assert answer.http_status == 400, answer.body
    assert answer.json()["error"]["field"] == field
    assert emu.calls() == before


# --- 6. out of time on a single target defers ------------------------------------------------------


def test_single_target_out_of_time_is_deferred(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    volume_id = volume(emu, compartment)
    fn = start_function("create_backup")
    answer = fn.http({"volumeId": volume_id}, headers=GATEWAY_HEADERS, deadline_seconds=0.5)
    assert answer.http_status == 202, answer.body
    doc = answer.json()
    assert doc["status"] == 202 and doc["counts"] == {"deferred": 1} and "error" not in doc
    assert doc["items"][0]["resourceId"] == volume_id
    copier = start_function("copy_backup", {"COPY_DESTINATION_REGIONS": "us-phoenix-1"})
    backup = emu.seed_backup(HOME_REGION, volume_id)
    copied = copier.call({"backupId": backup["id"]}, deadline_seconds=0.5).json()
    assert copied["status"] == 202 and copied["counts"] == {"deferred": 1}, copied


# --- 7. no usable Fn-Deadline: the configured timeout -------------------------------------------------


@pytest.mark.parametrize("sent", ["", "not-a-date"])
def test_missing_deadline_falls_back_to_the_configured_timeout(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sent: str
) -> None:
    for n in range(3):
        volume(emu, compartment, f"v{n}")
    fn = start_function("create_backup", {"FUNCTION_TIMEOUT_SECONDS": "10", "DEADLINE_MARGIN_SECONDS": "30"})
    doc = fn.call(b"", headers={"Fn-Deadline": sent}).json()
    assert doc["counts"] == {"deferred": 3}, doc  # 10 s timeout < 30 s margin: nothing may start
    (started,) = [line for line in fn.log_lines() if line.get("message") == "invocation"]
    assert started["seconds_to_deadline"] is not None and started["seconds_to_deadline"] <= -19


def test_function_timeout_is_configured_by_terraform() -> None:
    from pathlib import Path

    locals_tf = (Path(__file__).resolve().parents[1] / "terraform" / "locals.tf").read_text()
    assert "FUNCTION_TIMEOUT_SECONDS = tostring(var.function_timeout_seconds)" in " ".join(locals_tf.split())


# --- 11. the status is in every result document --------------------------------------------------------


def test_status_is_in_the_document_for_every_trigger(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    volume_id = volume(emu, compartment)
    fn = start_function("create_backup")
    assert fn.call({"volumeId": volume_id}).json()["status"] == 200
    assert fn.call({"volumeId": "ocid1.volume.oc1.iad.doesnotexist"}).json()["status"] == 404
    assert fn.call({"volumeId": "nope"}).json()["status"] == 400
    assert fn.call(b"").json()["status"] == 200  # schedule: the volume is backed up (or busy)
    event = make_event("com.oraclecloud.blockvolumes.createvolume.end", volume_id, "db01", compartment)
    assert fn.call(event).json()["status"] == 200
    emu.faults([{"operation": "CreateVolumeBackup", "errorRate": 1.0, "status": 500}])
    emu.advance(120)
    failed = fn.call({"volumeId": volume_id}).json()
    assert failed["status"] == 500 and failed["counts"] == {"failed": 1}, failed


# --- 13. FDK_DEBUG never prints the gateway token ------------------------------------------------------


def test_fdk_debug_does_not_log_the_gateway_token(emu: EmulatorControl, start_function: StartFunction) -> None:
    fn = start_function("create_backup", {"FDK_DEBUG": "1"})
    answer = fn.http({"volumeId": "ocid1.volume.oc1.iad.doesnotexist"}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 404
    fn.http({"volumeId": "ocid1.volume.oc1.iad.doesnotexist"}, headers=GATEWAY_HEADERS)
    logs = fn.logs()
    assert logs and GATEWAY_TOKEN not in logs
    assert "x-gateway-token" not in logs.lower()
    json.dumps(fn.log_lines())


# --- 9. the answer stays under the response limit; counts stay exact ----------------------------------


def test_large_sweep_answer_is_capped_with_exact_counts(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    total = 2000
    for n in range(total):
        volume(emu, compartment, f"volume-with-a-rather-long-display-name-{n:05d}")
    fn = start_function("create_backup", {"DRY_RUN": "true", "BACKUP_KINDS": "volume"})
    answer = fn.call(b"")
    assert len(answer.body) <= 512 * 1024
    doc = answer.json()
    assert doc["status"] == 200 and doc["counts"] == {"planned": total}  # every item counted
    assert doc["itemsCut"] == total - len(doc["items"]) and doc["itemsCut"] > 0
    assert any(f"{doc['itemsCut']} of {total} items left out" in note for note in doc["notes"])
    every = fn.all_items(doc)
    assert len(every) == total and len({i["resourceId"] for i in every}) == total
    # 12: 2,000 volumes are listed in two pages of 1,000, not twenty of 100
    assert emu.calls()[f"{HOME_REGION} ListVolumes"] == 2
    (message,) = emu.messages(HOME_REGION, topic)
    assert "more items" in message["body"]


# --- 12. name templates fail validation, naming the key ---------------------------------------------


@pytest.mark.parametrize(
    ("handler", "key", "template"),
    [
        ("create_backup", "BACKUP_NAME_TEMPLATE", "{name:d}"),
        ("create_backup", "BACKUP_NAME_TEMPLATE", "{date!z}"),
        ("copy_backup", "COPY_NAME_TEMPLATE", "{name:>>>}"),
        ("retag_group_backup", "RETAG_NAME_TEMPLATE", "{group:.2f}"),
    ],
)
def test_name_template_format_specs_are_validated(
    start_function: StartFunction, handler: str, key: str, template: str
) -> None:
    config = {key: template}
    if handler == "copy_backup":
        config["COPY_DESTINATION_REGIONS"] = "us-phoenix-1"
    fn = start_function(handler, config)
    answer = fn.http({}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 500, answer.body
    error = answer.json()["error"]
    assert error["field"] == key and error["code"] == "InvalidConfiguration"


# --- 8. OCI's tag limits and clean names ----------------------------------------------------------

V = "/20160918"


def get_backup(api: SignedApi, backup_id: str, collection: str = "volumeBackups") -> dict[str, Any]:
    response = api.get(f"{V}/{collection}/{backup_id}")
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def test_copied_tags_are_trimmed_so_the_markers_fit(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    tags = {f"team-{n:02d}": f"value-{n}" for n in range(62)}
    volume_id = str(
        emu.create_volume(
            HOME_REGION, compartment, "full\nof\ttags\x1b[31m", freeform_tags=tags, defined_tags={"Ops": {"Cost": "42"}}
        )["id"]
    )
    fn = start_function("create_backup", {"BACKUP_NAME_TEMPLATE": "{name}-{type}"})
    doc = fn.call({"volumeId": volume_id}).json()
    assert doc["counts"] == {"created": 1}, doc
    (item,) = doc["items"]
    assert "source tag(s) not copied (OCI allows 64 tags per resource)" in item["reason"]
    backup = get_backup(signed_api, item["resultId"])
    freeform, defined = backup["freeformTags"], backup["definedTags"]
    assert len(freeform) + sum(len(v) for v in defined.values()) <= 64
    assert {MANAGED_BY_KEY, RUN_KEY, SOURCE_KEY, TRIGGER_KEY, "backup-call"} <= set(freeform)
    assert defined == {"Ops": {"Cost": "42"}}  # defined tags are kept before free-form copies
    assert backup["displayName"] == "full of tags [31m-incremental"  # control characters cleaned
    (message,) = [m for m in emu.messages(HOME_REGION, doc_topic(emu, fn))]
    assert "\x1b" not in message["title"] + message["body"].split("Result (JSON)")[0]


def doc_topic(emu: EmulatorControl, fn: FdkProcess) -> str:
    return fn.config["NOTIFICATION_TOPIC_ID"]


def test_emulator_refuses_what_oci_refuses(emu: EmulatorControl, compartment: str, signed_api: SignedApi) -> None:
    volume_id = volume(emu, compartment, **{f"k{n}": "v" for n in range(60)})
    emu.grant_tag_namespaces("Ops")
    too_many = {f"x{n}": "v" for n in range(5)}
    cases = [
        {"volumeId": volume_id, "freeformTags": too_many},  # 60 inherited + 5 > 64
        {"volumeId": volume_id, "freeformTags": {"k" * 101: "v"}},
        {"volumeId": volume_id, "freeformTags": {"key": "v" * 257}},
        {"volumeId": volume_id, "definedTags": {"Ops": {"Cost Center": "1"}}},
    ]
    for body in cases:
        response = signed_api.post(f"{V}/volumeBackups", body)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "InvalidParameter"
    fits = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume_id, "freeformTags": {"x": "y"}})
    assert fits.status_code == 200, fits.text


def test_copy_keeps_its_markers_within_the_limit(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    member = emu.create_volume(HOME_REGION, compartment, "m1")
    # copy-backup: a backup with 63 tags still gets the copy's three markers
    source = emu.seed_backup(HOME_REGION, member["id"], freeform_tags={f"t{n:02d}": "v" for n in range(63)})
    copier = start_function("copy_backup", {"COPY_DESTINATION_REGIONS": DR_REGION})
    copied = copier.call({"backupId": source["id"]}).json()
    assert copied["counts"] == {"copied": 1}, copied
    copy = get_backup_in(signed_api, copied["items"][0]["resultId"], DR_REGION)
    assert len(copy["freeformTags"]) <= 64 and copy["freeformTags"]["backup-source-id"] == source["id"]
    assert any("tag(s) not copied" in note for note in copied["notes"])


def get_backup_in(api: SignedApi, backup_id: str, region: str) -> dict[str, Any]:
    response = api.get(f"{V}/volumeBackups/{backup_id}", region=region)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


# --- 10. racing runs: every backup and every deletion counted once ---------------------------------


def test_racing_schedule_runs_count_each_backup_and_deletion_once(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    volumes = [volume(emu, compartment, f"v{n:02d}") for n in range(20)]
    for volume_id in volumes:
        for age in (3, 2):
            emu.seed_backup(HOME_REGION, volume_id, age_seconds=age * 86400, freeform_tags=MANAGED)
    emu.set_latency(0.03)
    config = {"BACKUP_KINDS": "volume", "RETENTION_COUNT": "1", "MAX_CONCURRENCY": "4"}
    first, second = start_function("create_backup", config), start_function("create_backup", config)
    body = {"trigger": "schedule", "schedule": "nightly", "slot": "2026-11-22T00:00Z"}
    with ThreadPoolExecutor(2) as pool:
        docs = list(pool.map(lambda fn: fn.call(body).json(), [first, second]))
    emu.set_latency(0)
    created = sum(d["counts"].get("created", 0) for d in docs)
    deleted = sum(d["counts"].get("deleted", 0) for d in docs)
    made = [e for e in emu.events() if e["event"]["eventType"].endswith("createvolumebackup.begin")]
    gone = [e for e in emu.events() if e["event"]["eventType"].endswith("deletevolumebackup.begin")]
    assert created == len(made) == 20, docs
    assert deleted == len(gone) == 20, docs
    for doc in docs:
        assert doc["counts"].get("failed", 0) == 0, doc
        backups = [i for i in doc["items"] if i["action"] == "backup"]
        assert len(backups) == 20
    skipped = [i["reason"] for d in docs for i in d["items"] if i["status"] == "skipped"]
    known = ("already deleted", "already backed up by this trigger", "in progress", "concurrent run", "busy")
    assert all(any(k in reason for k in known) for reason in skipped), skipped
