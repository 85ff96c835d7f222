"""create-backup through the real fdk process against the emulator."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from emulator import EmulatorControl
from emulator.events import make_event
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE, RUN_KEY, SOURCE_KEY, TRIGGER_KEY
from tests.conftest import GATEWAY_HEADERS, HOME_REGION, StartFunction

DAY = 86400.0
MANAGED = {MANAGED_BY_KEY: MANAGED_BY_VALUE}


def created_event(emu: EmulatorControl, resource_id: str) -> dict[str, Any]:
    """The creation event the emulator recorded for ``resource_id`` (as the Events service would deliver it)."""
    return next(e for e in emu.event_envelopes() if e["data"]["resourceId"] == resource_id)


def backups_of(emu: EmulatorControl, resource_id: str) -> list[dict[str, Any]]:
    """Backups announced by the emulator (createXbackup.begin) for a source resource."""
    begins = [e for e in emu.event_envelopes() if e["eventType"].endswith("backup.begin")]
    return [
        e
        for e in begins
        if resource_id
        in (e["data"]["additionalDetails"].get("volumeId"), e["data"]["additionalDetails"].get("volumeGroupId"))
    ]


def test_new_volume_gets_a_first_full_backup_named_and_tagged(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    volume = emu.create_volume(
        HOME_REGION, compartment, "db01-data", freeform_tags={"env": "prod"}, defined_tags={"Ops": {"CostCenter": "42"}}
    )
    fn = start_function("create_backup", {"SELECTOR": "env=prod"})
    result = fn.call(created_event(emu, volume["id"])).json()
    assert result["trigger"] == "event" and result["counts"] == {"created": 1}
    (item,) = result["items"]
    assert "FULL backup" in item["reason"]
    (begin,) = backups_of(emu, volume["id"])
    data = begin["data"]
    assert data["resourceName"].startswith("db01-data-full-")  # default template {name}-{type}-{date}-{time}
    tags = data["freeformTags"]
    assert tags["env"] == "prod" and tags[MANAGED_BY_KEY] == MANAGED_BY_VALUE
    assert tags[TRIGGER_KEY] == "event" and tags[SOURCE_KEY] == volume["id"] and tags[RUN_KEY]
    assert data["definedTags"] == {"Ops": {"CostCenter": "42"}}


@pytest.mark.parametrize("kind", ["boot", "group"])
def test_boot_volumes_and_volume_groups_too(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, kind: str
) -> None:
    if kind == "boot":
        resource = emu.create_boot_volume(HOME_REGION, compartment, "web01-boot")
        prefix = "ocid1.bootvolumebackup."
    else:
        member = emu.create_volume(HOME_REGION, compartment, "m1")
        resource = emu.create_volume_group(HOME_REGION, compartment, "app-vg", [member["id"]])
        prefix = "ocid1.volumegroupbackup."
    fn = start_function("create_backup", {"BACKUP_NAME_TEMPLATE": "{kind}:{name}:{trigger}:{region}"})
    result = fn.call(created_event(emu, resource["id"])).json()
    (item,) = result["items"]
    assert item["status"] == "created" and item["resultId"].startswith(prefix)
    word = "bootvolume" if kind == "boot" else "volumegroup"
    assert f"'{word}:{resource['displayName']}:event:{HOME_REGION}'" in item["reason"]


def test_failed_creation_event_is_reported_not_acted_on(emu: EmulatorControl, start_function: StartFunction) -> None:
    event = make_event(
        "com.oraclecloud.blockvolumes.createvolume.end",
        "ocid1.volume.oc1.iad.failed",
        "broken",
        "ocid1.compartment.oc1..c",
        additional_details={"status": "operationFailed"},
    )
    result = start_function("create_backup").call(event).json()
    assert result["counts"] == {"skipped": 1}
    assert "operationFailed" in result["items"][0]["reason"]


def test_selector_freeform_and_defined(emu: EmulatorControl, start_function: StartFunction, compartment: str) -> None:
    plain = emu.create_volume(HOME_REGION, compartment, "plain")
    defined = emu.create_volume(HOME_REGION, compartment, "gold", defined_tags={"Backup": {"Tier": "gold"}})
    fn = start_function("create_backup", {"SELECTOR": "Backup.Tier=gold"})
    skipped = fn.call(created_event(emu, plain["id"])).json()
    assert skipped["counts"] == {"skipped": 1} and "SELECTOR Backup.Tier=gold" in skipped["items"][0]["reason"]
    assert fn.call(created_event(emu, defined["id"])).json()["counts"] == {"created": 1}
    assert backups_of(emu, plain["id"]) == []


def test_duplicate_event_makes_one_backup(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "dup")
    event = created_event(emu, volume["id"])
    fn = start_function("create_backup")
    first = fn.call(event).json()
    second = fn.call(event).json()
    again = start_function("create_backup").call(event).json()  # a retried delivery to a fresh container
    assert first["counts"] == {"created": 1}
    for result in (second, again):
        assert result["counts"] == {"skipped": 1}
        assert result["items"][0]["reason"] == "already backed up by this trigger"
        assert result["items"][0]["resultId"] == first["items"][0]["resultId"]
    assert len(backups_of(emu, volume["id"])) == 1


def test_backup_in_progress_is_skipped(emu: EmulatorControl, start_function: StartFunction, compartment: str) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "busy")
    fn = start_function("create_backup")
    first = fn.call({"volumeId": volume["id"]}).json()
    assert first["counts"] == {"created": 1}  # REQUEST_RECEIVED on the emulator clock
    second = fn.call({"volumeId": volume["id"], "type": "FULL"}).json()  # another request, same volume
    assert second["counts"] == {"skipped": 1}
    assert second["items"][0]["reason"] == "a backup is already in progress"
    assert second["items"][0]["resultId"] == first["items"][0]["resultId"]


def test_schedule_sweeps_the_tagged_fleet_incrementally(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    fleet = [
        emu.create_volume(HOME_REGION, compartment, f"web{n}", freeform_tags={"backup": "nightly"}) for n in range(3)
    ]
    emu.create_volume(HOME_REGION, compartment, "scratch")
    boot = emu.create_boot_volume(HOME_REGION, compartment, "web-boot", freeform_tags={"backup": "nightly"})
    fn = start_function("create_backup", {"SELECTOR": "backup=nightly", "BACKUP_KINDS": "volume,bootvolume"})
    result = fn.call({"trigger": "schedule", "schedule": "nightly"}).json()
    assert result["counts"] == {"created": 4}
    assert {i["resourceId"] for i in result["items"]} == {v["id"] for v in fleet} | {boot["id"]}
    assert all("INCREMENTAL backup" in i["reason"] for i in result["items"])
    calls = emu.calls()  # backups listed once per compartment and kind, not once per volume
    assert calls[f"{HOME_REGION} ListVolumeBackups"] == 1 and calls[f"{HOME_REGION} ListBootVolumeBackups"] == 1
    assert calls[f"{HOME_REGION} CreateVolumeBackup"] == 3
    # the same slot again: every resource already has this run's backup
    emu.advance(120)
    rerun = fn.call({"trigger": "schedule", "schedule": "nightly"}).json()
    assert rerun["counts"] == {"skipped": 4}


def test_full_every_nth(emu: EmulatorControl, start_function: StartFunction, compartment: str) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db")
    emu.seed_backup(HOME_REGION, volume["id"], backup_type="FULL", age_seconds=3 * DAY, freeform_tags=MANAGED)
    emu.seed_backup(HOME_REGION, volume["id"], backup_type="INCREMENTAL", age_seconds=2 * DAY, freeform_tags=MANAGED)
    emu.seed_backup(HOME_REGION, volume["id"], backup_type="INCREMENTAL", age_seconds=1 * DAY, freeform_tags=MANAGED)
    emu.seed_backup(HOME_REGION, volume["id"], backup_type="FULL", age_seconds=1.5 * DAY)  # not ours: not counted
    fn = start_function("create_backup", {"FULL_EVERY": "3"})  # F, I, I, F, I, I, ...
    result = fn.call({"trigger": "schedule", "schedule": "s", "slot": "2026-11-22T01:00Z"}).json()
    assert "FULL backup" in result["items"][0]["reason"]
    emu.advance(120)  # the FULL one finished
    result = fn.call({"trigger": "schedule", "schedule": "s", "slot": "2026-11-23T01:00Z"}).json()
    assert "INCREMENTAL backup" in result["items"][0]["reason"]


def test_retention_by_age_and_count_with_guard_and_ownership(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    kept = emu.create_volume(HOME_REGION, compartment, "kept")
    old = [
        emu.seed_backup(HOME_REGION, kept["id"], age_seconds=age * DAY, freeform_tags=MANAGED, display_name=f"k{age}")
        for age in (1, 10, 40, 50)
    ]
    foreign = emu.seed_backup(HOME_REGION, kept["id"], age_seconds=90 * DAY, display_name="not-ours")
    lonely = emu.create_volume(HOME_REGION, compartment, "lonely")
    last = emu.seed_backup(HOME_REGION, lonely["id"], age_seconds=100 * DAY, freeform_tags=MANAGED)
    fn = start_function("create_backup", {"RETENTION_DAYS": "30", "RETENTION_COUNT": "3", "BACKUP_KINDS": "volume"})
    result = fn.call(b"").json()
    deleted = {i["resourceId"]: i["reason"] for i in result["items"] if i["status"] == "deleted"}
    assert deleted == {old[2]["id"]: "older than 30 days", old[3]["id"]: "beyond the newest 3"}
    assert foreign["id"] not in deleted and last["id"] not in deleted  # not ours / the last good one
    emu.advance(5)  # TERMINATING -> TERMINATED
    deletes = {e["data"]["resourceId"] for e in emu.event_envelopes("deletevolumebackup.end")}
    assert deletes == set(deleted)


def test_dry_run_plans_everything_and_writes_nothing(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "v")
    emu.seed_backup(HOME_REGION, volume["id"], age_seconds=60 * DAY, freeform_tags=MANAGED)
    emu.seed_backup(HOME_REGION, volume["id"], age_seconds=50 * DAY, freeform_tags=MANAGED)
    before = len(emu.events())
    fn = start_function("create_backup", {"RETENTION_DAYS": "30", "BACKUP_KINDS": "volume"})
    result = fn.call({"trigger": "schedule", "dryRun": True}).json()
    assert result["dryRun"] is True and result["counts"] == {"planned": 2}
    assert len(emu.events()) == before
    (message,) = emu.messages(HOME_REGION, topic)
    assert "[dry-run]" in message["title"] and "as a dry run (nothing was changed)" in message["body"]


def test_throttling_and_5xx_are_retried(emu: EmulatorControl, start_function: StartFunction, compartment: str) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "v")
    emu.faults(
        [
            {"operation": "CreateVolumeBackup", "errorRate": 1.0, "status": 429, "count": 1},
            {"operation": "ListVolumeBackups", "errorRate": 1.0, "status": 503, "count": 1},
        ]
    )
    result = start_function("create_backup").call({"volumeId": volume["id"]}).json()
    assert result["counts"] == {"created": 1}
    assert len(backups_of(emu, volume["id"])) == 1


def test_persistent_failures_are_reported_per_item(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    for name in ("a", "b"):
        emu.create_volume(HOME_REGION, compartment, name)
    emu.faults([{"operation": "CreateVolumeBackup", "errorRate": 1.0, "status": 500}])
    fn = start_function("create_backup", {"BACKUP_KINDS": "volume"})
    answer = fn.http({"compartmentId": compartment}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 500  # every item failed
    result = answer.json()
    assert result["counts"] == {"failed": 2}
    assert all("InternalServerError" in i["reason"] for i in result["items"])
    (message,) = emu.messages(HOME_REGION, topic)
    assert message["title"] == "[FAILED] create-backup (http, us-ashburn-1): 2 failed"
    body = message["body"]
    assert "- FAILED   backup a" in body and "Result (JSON):" in body
    attached = json.loads(body.split("Result (JSON):\n", 1)[1])
    assert attached["counts"] == {"failed": 2}


def test_bad_template_is_a_config_error(start_function: StartFunction) -> None:
    answer = start_function("create_backup", {"BACKUP_NAME_TEMPLATE": "{name}-{colour}"}).http(
        {}, headers=GATEWAY_HEADERS
    )
    assert answer.http_status == 500
    error = answer.json()["error"]
    assert error["field"] == "BACKUP_NAME_TEMPLATE" and "{colour}" in error["message"]


def test_sweep_of_2000_volumes_completes_or_hands_over(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    """2,000 volumes with 20 ms of emulator latency per call: either done, or the rest handed over."""
    ids = {emu.create_volume(HOME_REGION, compartment, f"v{n:04d}")["id"] for n in range(2000)}
    emu.set_latency(0.02)
    fn = start_function(
        "create_backup", {"BACKUP_KINDS": "volume", "MAX_CONCURRENCY": "32", "DEADLINE_MARGIN_SECONDS": "20"}
    )
    body = {"trigger": "schedule", "schedule": "fleet", "slot": "2026-11-22T00:00Z"}
    result = fn.call(body, deadline_seconds=300).json()
    counts = result["counts"]
    assert counts.get("failed", 0) == 0
    assert counts.get("created", 0) + counts.get("deferred", 0) == 2000
    done = {i["resourceId"] for i in fn.all_items(result) if i["status"] == "created"}
    handed = [i for i in emu.invocations() if '"resourceIds"' in i["body"]]
    if counts.get("deferred"):
        (handover,) = handed
        rest = json.loads(handover["body"])["resourceIds"]
        assert set(rest) == ids - done
    else:
        assert done == ids and handed == []
    # posture comes from the sweep's own listings: no call per resource apart from the backups it creates
    posture = result["posture"]
    assert (posture["resources"], posture["protected"], len(posture["unprotected"])) == (2000, 0, 50)
    assert posture["unprotectedNotListed"] == 1950
    calls = emu.calls()
    assert calls.pop(f"{HOME_REGION} CreateVolumeBackup") == counts.get("created", 0)
    assert calls == {
        f"{HOME_REGION} ListVolumes": 2,  # 1,000 a page
        f"{HOME_REGION} ListVolumeBackups": 1,  # 1,000 a page, one compartment
        f"{HOME_REGION} PostMetricData": 1,
        f"{HOME_REGION} GetResourceAvailability": 1,  # the backup headroom (refused: not granted)
        f"{HOME_REGION} GetTopic": 1,  # the topic's endpoint, once per container
        f"{HOME_REGION} PublishMessage": 1,
        **({f"{HOME_REGION} GetFunction": 1, f"{HOME_REGION} InvokeFunction": 1} if handed else {}),
    }
    # the same question asked directly: list calls only, one per page of 1,000, and the backup limit's
    before = Counter(emu.calls())
    asked = fn.call({"posture": True}).json()["posture"]
    assert asked["resources"] == 2000
    pages = max(1, -(-counts.get("created", 0) // 1000))  # the volumes' backups: the ones just created
    assert Counter(emu.calls()) - before == {
        f"{HOME_REGION} ListVolumes": 2,
        f"{HOME_REGION} ListVolumeBackups": pages,
        f"{HOME_REGION} GetResourceAvailability": 1,
    }


def test_short_deadline_hands_the_rest_to_a_detached_invocation(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    """Deadline hit mid-sweep: the remainder goes to a detached self-invocation; replaying it finishes
    the sweep and nothing is backed up twice."""
    ids = {emu.create_volume(HOME_REGION, compartment, f"v{n:02d}")["id"] for n in range(80)}
    emu.set_latency(0.2)
    fn = start_function(
        "create_backup", {"BACKUP_KINDS": "volume", "MAX_CONCURRENCY": "4", "DEADLINE_MARGIN_SECONDS": "25"}
    )
    body = {"trigger": "schedule", "schedule": "fleet", "slot": "2026-11-22T00:00Z"}
    first = fn.call(body, deadline_seconds=28).json()
    assert first["counts"]["deferred"] > 0 and first["counts"].get("failed", 0) == 0
    (handover,) = emu.invocations()
    assert handover["invokeType"] == "detached"
    payload = json.loads(handover["body"])
    assert payload["slot"] == body["slot"] and "resourceIds" not in payload
    started = sum(1 for i in first["items"] if i["status"] == "created")
    assert payload["posture"]["resources"] == started  # counted so far, handed on
    deferred = [i["resourceId"] for i in first["items"] if i["status"] == "deferred"]
    assert payload["cursor"] == {"compartmentId": compartment, "kind": "volume", "startId": deferred[0]}
    assert any("handed" in note for note in first["notes"])
    emu.set_latency(0)
    before = Counter(emu.calls())
    second = fn.call(payload).json()  # what the detached invocation does
    assert "posture" not in first and second["posture"]["resources"] == 80  # the run that finishes the listing
    created = [i["resourceId"] for r in (first, second) for i in r["items"] if i["status"] == "created"]
    assert sorted(created) == sorted(ids)  # every volume once
    assert sorted(i["resourceId"] for i in second["items"]) == sorted(deferred)  # nothing before the cursor
    calls = Counter(emu.calls()) - before
    assert (calls[f"{HOME_REGION} ListVolumes"], calls[f"{HOME_REGION} ListVolumeBackups"]) == (1, 1)


def test_an_event_for_something_that_is_gone_is_skipped_with_the_reason_not_failed(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    fn = start_function("create_backup")
    gone = make_event("createvolume.end", "ocid1.volume.oc1.iad.gone", "gone", compartment)
    no_ad = make_event(
        "com.oraclecloud.computeapi.launchinstance.end",
        "ocid1.instance.oc1.iad.noad",
        "web",
        compartment,
        source="ComputeApi",
    )
    no_boot = make_event(
        "com.oraclecloud.computeapi.launchinstance.end",
        "ocid1.instance.oc1.iad.noboot",
        "web",
        compartment,
        availability_domain="Uocm:US-ASHBURN-AD-1",
        source="ComputeApi",
    )
    reasons = []
    for event in (gone, no_ad, no_boot):
        result = fn.call(event).json()
        (item,) = result["items"]
        assert (result["status"], item["status"]) == (200, "skipped"), result
        assert item["reason"].endswith("nothing to back up"), item
        reasons.append(item["reason"])
    assert "not found in this region" in reasons[0] and "IAM policy" in reasons[0]
    assert "names no availability domain" in reasons[1]
    assert "has no boot volume attachment" in reasons[2]
    assert not [m for m in emu.messages(HOME_REGION, topic) if m["title"].startswith("[FAILED]")]
