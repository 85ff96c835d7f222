"""Calls a real tenancy accepts and calls bounded by the deadline,
through the real fdk process against the strict emulator: a sweep's hand-over at the function's own
invoke endpoint (split at the schedule body's cap), digests at the topic's endpoint, no Oracle-Tags
written, 5xx retried like the SDK, launched instances' boot volumes backed up."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from emulator import EmulatorControl
from emulator.events import event_for_resource
from shared.triggers import MAX_RESOURCE_IDS
from tests.conftest import DR_REGION, HOME_REGION, StartFunction
from tests.test_copy_backup import DR2_REGION, copy_fn, end_event, items, seed, volume

SWEEP = {"trigger": "schedule", "schedule": "fleet", "slot": "2026-11-22T00:00Z"}
# A sweep that starts nothing: the start-work deadline (Fn-Deadline minus 120 s) has passed at once,
# while calls (listing, hand-over, digest) may run until Fn-Deadline minus a second.
DEFER_ALL = {"BACKUP_KINDS": "volume", "DEADLINE_MARGIN_SECONDS": "120"}


def calls(emu: EmulatorControl, operation: str) -> int:
    return emu.calls().get(f"{HOME_REGION} {operation}", 0)


def volumes(emu: EmulatorControl, compartment: str, count: int) -> set[str]:
    return {emu.create_volume(HOME_REGION, compartment, f"v{n:05d}")["id"] for n in range(count)}


# --- the sweep's hand-over -------------------------------------------------------------------------


def test_sweep_hand_over_reaches_the_functions_own_invoke_endpoint(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    ids = volumes(emu, compartment, 5)
    fn = start_function("create_backup", DEFER_ALL)
    for attempt in (1, 2):
        result = fn.call({**SWEEP, "slot": f"2026-11-22T0{attempt}:00Z"}, deadline_seconds=60).json()
        assert result["counts"] == {"deferred": 5} and "error" not in result, result
        assert any(
            "handed 5 resources and the rest of the listing to 1 detached invocation" in note
            for note in result["notes"]
        )
    first, _ = emu.invocations()
    assert first["functionId"] == fn.config["FN_FN_ID"] and first["invokeType"] == "detached"
    cursor = json.loads(first["body"])["cursor"]  # where to go on, not the ids
    assert cursor["compartmentId"] == compartment and cursor["startId"] in ids and "page" not in cursor
    assert calls(emu, "GetFunction") == 1  # the invoke endpoint is looked up once per container
    assert calls(emu, "InvokeFunction") == 2


def test_a_hand_over_that_cannot_be_made_is_a_failure(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    volumes(emu, compartment, 3)
    fn = start_function("create_backup", {**DEFER_ALL, "FN_FN_ID": "ocid1.fnfunc.oc1.iad.aaaaaaaanotregistered"})
    result = fn.call(SWEEP, deadline_seconds=60).json()
    assert result["counts"] == {"deferred": 3}
    assert result["error"].startswith("could not hand over 3 of 3 resources")
    assert emu.invocations() == []
    (message,) = emu.messages(HOME_REGION, topic)
    assert message["title"].startswith("[FAILED]")


def test_a_listing_that_fails_after_progress_hands_over_from_where_it_stopped(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    """The second compartment's backups cannot be listed (503 through every retry): the run backs up the first
    compartment, hands the rest over from the second's first volume with the posture counted so far, and
    the hand-over finishes the sweep and reports the posture of all four; nothing is backed up twice."""
    other = str(emu.create_compartment("second")["id"])
    ids = volumes(emu, compartment, 2) | {emu.create_volume(HOME_REGION, other, f"w{n}")["id"] for n in range(2)}
    emu.faults([{"operation": "ListVolumeBackups", "after": 1, "count": 10, "errorRate": 1.0, "status": 503}])
    fn = start_function("create_backup", {"BACKUP_KINDS": "volume", "COMPARTMENT_IDS": f"{compartment},{other}"})
    first = fn.call(SWEEP, deadline_seconds=60).json()
    assert "error" not in first and "posture" not in first and first["counts"] == {"created": 2}, first
    assert any(note.startswith("the listing stopped on") for note in first["notes"]), first["notes"]
    (handed,) = [json.loads(i["body"]) for i in emu.invocations()]
    assert handed["cursor"]["compartmentId"] == other and handed["cursor"]["startId"] in ids
    assert handed["posture"]["resources"] == 2
    emu.faults([])
    second = fn.call(handed, deadline_seconds=60).json()
    assert second["counts"] == {"created": 2} and second["posture"]["resources"] == 4, second
    backed_up = [e["data"]["additionalDetails"]["volumeId"] for e in emu.event_envelopes("createvolumebackup.begin")]
    assert sorted(backed_up) == sorted(ids)


def test_a_listing_that_fails_before_any_progress_is_the_runs_error(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    """No hand-over when nothing was done: the next would meet the same failure (no endless chain)."""
    volumes(emu, compartment, 2)
    emu.faults([{"operation": "ListVolumeBackups", "errorRate": 1.0, "status": 503}])
    fn = start_function("create_backup", {"BACKUP_KINDS": "volume"})
    result = fn.call(SWEEP, deadline_seconds=60).json()
    assert "503" in result["error"] and emu.invocations() == [], result


@pytest.mark.slow
def test_a_hand_over_of_more_than_the_cap_carries_a_cursor_and_each_resource_is_done_once(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    """10,050 resources, none started: one detached invocation whose body says where to go on (no ids,
    whatever the fleet's size); running it backs up every volume exactly once."""
    total = MAX_RESOURCE_IDS + 50
    with ThreadPoolExecutor(4) as pool:  # four control clients seed in parallel
        parts = list(pool.map(lambda n: _seed(emu.base_url, compartment, n), range(4)))
    ids = set().union(*parts)
    ids |= volumes(emu, compartment, total - len(ids))
    assert len(ids) == total
    config = {**DEFER_ALL, "MAX_CONCURRENCY": "32"}
    fn = start_function("create_backup", config)
    first = fn.call(SWEEP, deadline_seconds=110).json()
    assert first["counts"] == {"deferred": 1000} and "error" not in first  # the page it stopped in; the rest unlisted
    (handed,) = [json.loads(i["body"]) for i in emu.invocations()]
    assert "resourceIds" not in handed and len(json.dumps(handed)) < 1000

    runner = start_function("create_backup", {"BACKUP_KINDS": "volume", "MAX_CONCURRENCY": "32"})
    listed = calls(emu, "ListVolumes")
    result = runner.call(handed, deadline_seconds=300).json()  # what the detached invocation does
    assert result["counts"] == {"created": total}, result["counts"]
    assert calls(emu, "ListVolumes") - listed == -(-total // 1000)  # each page once
    backed_up = [e["data"]["additionalDetails"]["volumeId"] for e in emu.event_envelopes("createvolumebackup.begin")]
    assert sorted(backed_up) == sorted(ids)  # every volume once, none twice
    assert calls(emu, "CreateVolumeBackup") == total


@pytest.mark.slow
def test_a_chained_sweep_lists_each_page_of_sources_once_plus_one_per_hand_over(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    """2,500 volumes, runs cut short by their deadline: each hand-over goes on from its cursor with the posture
    counted so far; the chain backs up every volume exactly once, lists the sources' pages once between its
    runs plus the page each hand-over resumes in, and its last run reports the posture of all 2,500."""
    ids = volumes(emu, compartment, 2500)
    emu.set_latency(0.02)
    config = {"BACKUP_KINDS": "volume", "MAX_CONCURRENCY": "2", "DEADLINE_MARGIN_SECONDS": "25"}
    fn = start_function("create_backup", config)
    runs = [fn.call(SWEEP, deadline_seconds=30).json()]
    assert calls(emu, "ListVolumes") == 1  # no listing ahead of the work
    hand_overs = 0
    while len(emu.invocations()) > hand_overs:
        payload = json.loads(emu.invocations()[hand_overs]["body"])
        assert set(payload) == {"trigger", "schedule", "slot", "cursor", "posture"}
        hand_overs += 1
        runs.append(fn.call(payload, deadline_seconds=30).json())
        assert len(runs) < 30, "the chain does not end"
    assert hand_overs >= 1
    for result in runs:
        assert result["counts"].get("failed", 0) == 0 and "error" not in result, result["counts"]
    assert sum(r["counts"].get("created", 0) for r in runs) == len(ids)
    backed_up = [e["data"]["additionalDetails"]["volumeId"] for e in emu.event_envelopes("createvolumebackup.begin")]
    assert sorted(backed_up) == sorted(ids)  # every volume once
    assert calls(emu, "CreateVolumeBackup") == len(ids)
    assert calls(emu, "ListVolumes") <= 3 + hand_overs
    assert [r["posture"]["resources"] for r in runs if "posture" in r] == [len(ids)]  # the last run, whole scope
    assert "posture" in runs[-1]


def _seed(base_url: str, compartment: str, part: int) -> set[str]:
    control = EmulatorControl(base_url)
    return {control.create_volume(HOME_REGION, compartment, f"p{part}-{n:05d}")["id"] for n in range(2500)}


# --- deadlines on the digest and the hand-over -----------------------------------------------------


def test_a_slow_publish_does_not_outlive_the_deadline(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    """PublishMessage answering after 25 s: the run answers before its 10 s deadline, and says so."""
    volume = emu.create_volume(HOME_REGION, compartment, "db01")
    emu.faults([{"operation": "PublishMessage", "latencySeconds": 25}])
    fn = start_function("create_backup", {"DEADLINE_MARGIN_SECONDS": "2"})
    started = time.monotonic()
    answer = fn.call({"volumeId": volume["id"]}, deadline_seconds=10)
    elapsed = time.monotonic() - started
    assert elapsed < 10, elapsed
    result = answer.json()
    assert result["counts"] == {"created": 1}
    assert any(note.startswith("digest not published") for note in result["notes"]), result["notes"]


def test_a_slow_hand_over_does_not_outlive_the_deadline(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    """InvokeFunction answering after 25 s: the sweep gives up on it before its deadline, as a failure."""
    volumes(emu, compartment, 3)
    emu.faults([{"operation": "InvokeFunction", "latencySeconds": 25}])
    fn = start_function("create_backup", {**DEFER_ALL, "NOTIFY_ON": "never"})
    started = time.monotonic()
    result = fn.call(SWEEP, deadline_seconds=8).json()
    elapsed = time.monotonic() - started
    assert elapsed < 8, elapsed
    assert result["counts"] == {"deferred": 3}
    assert result["error"].startswith("could not hand over 3 of 3 resources")


# --- digests at the topic's endpoint ---------------------------------------------------------------


def test_digests_reach_the_topics_endpoint(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    topic = emu.create_topic(HOME_REGION, compartment, "reports")
    volume = emu.create_volume(HOME_REGION, compartment, "db01")
    discovered = start_function("create_backup", {"NOTIFICATION_TOPIC_ID": topic["topicId"]})
    discovered.call({"volumeId": volume["id"]})
    discovered.call({"volumeId": volume["id"]})
    assert calls(emu, "GetTopic") == 1  # looked up once per container
    configured = start_function(
        "create_backup",
        {"NOTIFICATION_TOPIC_ID": topic["topicId"], "NOTIFICATION_TOPIC_ENDPOINT": topic["apiEndpoint"]},
    )
    configured.call({"volumeId": volume["id"]})
    assert calls(emu, "GetTopic") == 1  # Terraform's api_endpoint: no lookup
    assert calls(emu, "PublishMessage") == 3
    assert len(emu.messages(HOME_REGION, topic["topicId"])) == 3


def test_a_wrong_topic_endpoint_is_noted_not_fatal(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    topic = emu.create_topic(HOME_REGION, compartment, "reports")
    volume = emu.create_volume(HOME_REGION, compartment, "db01")
    regional = f"{emu.base_url}/notification/{HOME_REGION}"  # the control plane host, not the topic's
    config = {"NOTIFICATION_TOPIC_ID": topic["topicId"], "NOTIFICATION_TOPIC_ENDPOINT": regional}
    result = start_function("create_backup", config).call({"volumeId": volume["id"]}).json()
    assert result["counts"] == {"created": 1}
    assert any(note.startswith("digest not published") for note in result["notes"])
    assert emu.messages(HOME_REGION, topic["topicId"]) == []


# --- defined tags ----------------------------------------------------------------------------------

SOURCE_DEFINED = {
    "Oracle-Tags": {"CreatedBy": "ocid1.user.oc1..maker", "CreatedOn": "2026-11-01T00:00:00.000Z"},
    "Foreign": {"owner": "team-b"},
    "Ops": {"CostCenter": "42"},
}


def test_oracle_tags_and_other_namespaces_are_not_written_unless_asked(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    """The emulator refuses a namespace the tenancy did not grant (and Oracle-Tags always), so a create
    that succeeds wrote none of them."""
    emu.grant_tag_namespaces("Ops")
    volume = emu.create_volume(HOME_REGION, compartment, "db01", defined_tags=SOURCE_DEFINED)
    event = event_for_resource("createvolume.end", volume)
    plain = start_function("create_backup").call(event).json()
    assert plain["counts"] == {"created": 1}, plain

    emu.reset()
    emu.grant_tag_namespaces("Ops")
    compartment = emu.create_compartment("prod")["id"]
    volume = emu.create_volume(HOME_REGION, compartment, "db01", defined_tags=SOURCE_DEFINED)
    event = event_for_resource("createvolume.end", volume)
    asked = start_function("create_backup", {"COPY_DEFINED_TAG_NAMESPACES": "ops"}).call(event).json()
    assert asked["counts"] == {"created": 1}, asked  # Ops written, Foreign and Oracle-Tags not


def test_copying_an_ungranted_namespace_is_refused_by_oci(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    emu.grant_tag_namespaces("Ops")
    volume = emu.create_volume(HOME_REGION, compartment, "db01", defined_tags=SOURCE_DEFINED)
    event = event_for_resource("createvolume.end", volume)
    result = start_function("create_backup", {"COPY_DEFINED_TAG_NAMESPACES": "Ops,Foreign"}).call(event).json()
    assert result["counts"] == {"failed": 1}
    assert "RelatedResourceNotAuthorizedOrNotFound" in result["items"][0]["reason"]
    assert "'foreign'" in result["items"][0]["reason"]


def test_oracle_tags_cannot_be_configured_for_copying(start_function: StartFunction) -> None:
    fn = start_function("create_backup", {"COPY_DEFINED_TAG_NAMESPACES": "Ops,Oracle-Tags"})
    answer = fn.http({"volumeId": "ocid1.volume.oc1.iad.aaaa"}, headers={"X-Gateway-Token": "x"})
    assert answer.http_status == 500
    assert answer.json()["error"]["field"] == "COPY_DEFINED_TAG_NAMESPACES"


# --- retries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "attempts", "outcome"), [(505, 2, "created"), (501, 1, "failed")])
def test_5xx_are_retried_like_the_sdk_except_501(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, status: int, attempts: int, outcome: str
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db01")
    emu.faults([{"operation": "CreateVolumeBackup", "status": status, "errorRate": 1, "count": 1}])
    result = start_function("create_backup").call({"volumeId": volume["id"]}).json()
    assert result["counts"] == {outcome: 1}, result
    assert calls(emu, "CreateVolumeBackup") == attempts


# --- boot volumes of launched instances ------------------------------------------------------------


def test_a_launched_instance_gets_its_boot_volume_backed_up_once(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    instance = emu.launch_instance(HOME_REGION, compartment, "web01")
    boot_volume = instance["bootVolume"]
    (launch,) = emu.event_envelopes("com.oraclecloud.computeapi.launchinstance.end")
    assert launch["data"]["resourceId"] == instance["id"]
    assert emu.event_envelopes("createbootvolume.end") == []  # the launch announces the instance only
    fn = start_function("create_backup")
    result = fn.call(launch).json()
    assert result["counts"] == {"created": 1}, result
    (item,) = result["items"]
    assert item["resourceId"] == boot_volume["id"] and "FULL backup" in item["reason"]
    assert calls(emu, "ListBootVolumeAttachments") == 1
    # should the boot volume also be announced on its own, it is not backed up a second time
    again = fn.call(event_for_resource("createbootvolume.end", boot_volume)).json()
    assert again["counts"] == {"skipped": 1} and again["items"][0]["reason"] == "already has its first backup"


def test_a_launch_without_a_boot_volume_attachment_is_reported(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    instance = emu.launch_instance(HOME_REGION, compartment, "web01")
    (launch,) = emu.event_envelopes("com.oraclecloud.computeapi.launchinstance.end")
    other = {**launch, "data": {**launch["data"], "resourceId": instance["id"][:-4] + "zzzz"}}
    result = start_function("create_backup").call(other).json()
    assert result["counts"] == {"skipped": 1} and result["status"] == 200  # nothing to back up, nothing failed
    assert "no boot volume attachment" in result["items"][0]["reason"]


# --- assumptions: copies keeping the source's boot volume id ---------------------------------------


def test_a_boot_copy_in_flight_is_found_even_if_copies_drop_the_boot_volume_id(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    """Should OCI not keep bootVolumeId on a copy, the copy in flight is still recognised (by
    sourceBootVolumeBackupId naming one of the boot volume's backups) and the second region waits."""
    emu.settings(copies_keep_source_id=False)
    boot = volume(emu, compartment, "web01-boot", boot=True)
    backup = seed(emu, boot, "web01-boot-bk", boot=True, announce=True)
    regions = f"{DR_REGION},{DR2_REGION}"
    first = copy_fn(start_function, regions).call(end_event(emu, backup["id"])).json()
    assert first["counts"] == {"copied": 1, "deferred": 1}, first
    again = copy_fn(start_function, regions).call(end_event(emu, backup["id"])).json()  # a fresh container
    assert again["counts"] == {"skipped": 1, "deferred": 1}, again
    assert "boot volume is already in flight" in items(again, "deferred")[0]["reason"]
