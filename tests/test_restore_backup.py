"""restore-backup through the real fdk process against the emulator: each kind restored, checked, recorded
and deleted; FAULTY, timed out, leftovers; the two delete guards; caps and LimitExceeded; DR regions;
duplicate and concurrent events; the restore posture and its window; create-backup skipping test restores."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from shared.rules import restore as rules
from shared.rules.times import parse_time
from tests.conftest import DR_REGION, GATEWAY_HEADERS, HOME_REGION, StartFunction
from tests.fdk_harness import FdkProcess

V = "/20160918"
DAY = 86400.0
COLLECTIONS = {"volume": "volumes", "bootvolume": "bootVolumes", "volumegroup": "volumeGroups"}
IN_FLIGHT = ("PROVISIONING", "RESTORING")
ENDS = ("createvolume.end", "createbootvolume.end", "createvolumegroup.end")


@pytest.fixture
def sandbox(emu: EmulatorControl) -> str:
    return str(emu.create_compartment("restore-sandbox")["id"])


@pytest.fixture(autouse=True)
def restore_clock(emu: EmulatorControl) -> None:
    """A 100 GB restore: AVAILABLE after 60 + 100 s, hydrated 100 s later."""
    emu.settings(restore_base_seconds=60, restore_seconds_per_gb=1, hydrate_seconds_per_gb=1, terminating_after=5)


def restore_fn(start_function: StartFunction, sandbox: str, **config: str) -> FdkProcess:
    return start_function("restore_backup", {"RESTORE_COMPARTMENT_ID": sandbox, **config})


def fleet(emu: EmulatorControl, compartment: str, *, fails: bool = False) -> dict[str, dict[str, Any]]:
    """A volume, a boot volume and a volume group (two members), each with one AVAILABLE backup."""
    volume = emu.create_volume(HOME_REGION, compartment, "db-01", size_in_gbs=100)
    boot = emu.create_boot_volume(HOME_REGION, compartment, "web-01", size_in_gbs=50, image_id="ocid1.image.oc1..img")
    members = [emu.create_volume(HOME_REGION, compartment, f"app-{n}", size_in_gbs=50)["id"] for n in (1, 2)]
    group = emu.create_volume_group(HOME_REGION, compartment, "app-vg", members)
    return {
        "volume": emu.seed_backup(HOME_REGION, volume["id"], display_name="db-01-nightly", restore_fails=fails),
        "bootvolume": emu.seed_backup(HOME_REGION, boot["id"], boot=True, display_name="web-01-nightly"),
        "volumegroup": emu.seed_group_backup(HOME_REGION, group["id"], display_name="app-vg-nightly"),
    }


def schedule(fn: FdkProcess) -> dict[str, Any]:
    answer = fn.call({"trigger": "schedule", "schedule": "restore-daily"}, deadline_seconds=60, timeout=90)
    result: dict[str, Any] = answer.json()
    return result


def items(result: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [i for i in result["items"] if i["status"] == status]


def sandbox_ends(emu: EmulatorControl, sandbox: str, since: int = 0) -> list[dict[str, Any]]:
    """The create*.end events of the sandbox, as the Events rule for it delivers them."""
    return [
        e
        for e in emu.event_envelopes(since=since)
        if e["eventType"].endswith(ENDS) and e["data"]["compartmentId"] == sandbox
    ]


def backup_tags(api: SignedApi, backup: dict[str, Any], region: str = HOME_REGION) -> dict[str, str]:
    collection = {"volumebackup": "volumeBackups", "bootvolumebackup": "bootVolumeBackups"}.get(
        backup["id"].split(".")[1], "volumeGroupBackups"
    )
    tags: dict[str, str] = api.get(f"{V}/{collection}/{backup['id']}", region=region).json()["freeformTags"]
    return tags


def state(api: SignedApi, resource_id: str, region: str = HOME_REGION) -> str:
    collection = COLLECTIONS[resource_id.split(".")[1]]
    return str(api.get(f"{V}/{collection}/{resource_id}", region=region).json()["lifecycleState"])


def calls(emu: EmulatorControl, operation: str, region: str = HOME_REGION) -> int:
    return emu.calls().get(f"{region} {operation}", 0)


# ---- each kind, end to end ----------------------------------------------------------------------------


def test_each_kind_is_restored_checked_recorded_and_deleted(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str, signed_api: SignedApi
) -> None:
    backups = fleet(emu, compartment)
    fn = restore_fn(start_function, sandbox)
    first = schedule(fn)
    assert first["status"] == 200 and first["counts"] == {"started": 3}, first
    assert first["restorePosture"]["resources"] == 3 and first["restorePosture"]["verified"] == 0
    started = {i["resourceId"]: i for i in items(first, "started")}
    assert set(started) == {b["id"] for b in backups.values()}
    for item in started.values():
        resource = signed_api.get(f"{V}/{COLLECTIONS[item['resultId'].split('.')[1]]}/{item['resultId']}").json()
        assert resource["compartmentId"] == sandbox
        tags = resource["freeformTags"]
        assert tags[rules.RESTORE_SOURCE_BACKUP] == item["resourceId"] and tags[rules.RESTORE_TEST]
        started_at, expires = (
            parse_time(tags[rules.RESTORE_STARTED]),
            parse_time(tags[rules.RESTORE_EXPIRES]),
        )
        assert started_at and expires and expires - started_at == timedelta(minutes=120)
    volume_restore = signed_api.get(f"{V}/volumes/{started[backups['volume']['id']]['resultId']}").json()
    assert volume_restore["vpusPerGB"] == 0  # the lower-cost default for a test volume
    emu.advance(200)  # all three AVAILABLE (the 100 GB volume at 160 s)
    ends = sandbox_ends(emu, sandbox)
    assert len(ends) == 3
    results = [fn.call(event).json() for event in ends]
    verified = [i for r in results for i in items(r, "verified")]
    deleted = [i for r in results for i in items(r, "deleted")]
    assert len(verified) == 3 and len(deleted) == 3, results
    by_backup = {i["resourceId"]: i for i in verified}
    volume_item = by_backup[backups["volume"]["id"]]
    assert 159 <= volume_item["restoreSeconds"] <= 162 and not volume_item["upperBound"]  # measured to the event
    for kind, backup in backups.items():
        tags = backup_tags(signed_api, backup)
        assert tags[rules.RESTORE_RESULT] == "verified", (kind, tags)
        assert parse_time(tags[rules.RESTORE_VERIFIED_AT]) is not None and int(tags[rules.RESTORE_SECONDS]) > 0
    for item in started.values():
        assert state(signed_api, item["resultId"]) == "TERMINATING"
    group_id = started[backups["volumegroup"]["id"]]["resultId"]
    members = signed_api.get(f"{V}/volumeGroups/{group_id}").json()["volumeIds"]
    assert [state(signed_api, m) for m in members] == ["TERMINATING", "TERMINATING"]

    again = schedule(fn)  # everything verified within 30 days: nothing to start
    assert "started" not in again["counts"], again
    posture = again["restorePosture"]
    assert (posture["resources"], posture["verified"], posture["unverified"]) == (3, 3, [])
    assert set(posture["restoreSeconds"]) == {"volume", "bootvolume", "volumegroup"}
    assert posture["restoreSeconds"]["volume"]["max"] == pytest.approx(160, abs=2)
    digest = emu.messages(HOME_REGION, fn.config["NOTIFICATION_TOPIC_ID"])[-1]["body"]
    assert "Restore tests: 3 of 3 restore-verified within 30 days" in digest and "median restore" in digest
    metrics = {(m["name"], m["dimensions"].get("kind")): m for m in emu.metrics()}
    assert metrics[("restores_verified", "volume")]["datapoints"][0]["value"] >= 0
    assert metrics[("resources_restore_unverified", None)]["datapoints"][0]["value"] == 0


# ---- failures --------------------------------------------------------------------------------------


def test_a_faulty_restore_is_failed_with_its_reason(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str, signed_api: SignedApi
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db-02", size_in_gbs=100)
    bad = emu.seed_backup(HOME_REGION, volume["id"], display_name="db-02-nightly", restore_fails=True)
    fn = restore_fn(start_function, sandbox)
    assert schedule(fn)["counts"] == {"started": 1}
    emu.advance(200)
    (end,) = sandbox_ends(emu, sandbox)
    assert end["data"]["additionalDetails"]["status"] == "operationFailed"
    result = fn.call(end).json()
    (failed,) = items(result, "failed")
    assert failed["resourceId"] == bad["id"] and failed["reason"] == "FAULTY"
    assert len(items(result, "deleted")) == 1 and state(signed_api, failed["resultId"]) == "TERMINATING"
    assert backup_tags(signed_api, bad)[rules.RESTORE_RESULT] == "failed:FAULTY"
    failed_metric = [m for m in emu.metrics() if m["name"] == "restores_failed" and m["dimensions"]["kind"] == "volume"]
    assert failed_metric[-1]["datapoints"][0]["value"] == 1
    posture = schedule(fn)
    assert posture["restorePosture"]["unverified"][0]["lastResult"] == "failed:FAULTY"
    digest = emu.messages(HOME_REGION, fn.config["NOTIFICATION_TOPIC_ID"])[-1]["body"]
    assert f"failed: db-02 (backup ocid1.volumebackup...{bad['id'][-6:]} came up FAULTY)" in digest  # ids shortened


def restore_by_hand(
    api: SignedApi, sandbox: str, backup_id: str, started: datetime, run: str = "an-earlier-run"
) -> dict[str, Any]:
    """A test restore as an earlier run started it (``started`` may lie in the past: the function's clock
    is real time, only the emulator's moves forward)."""
    body = {
        "availabilityDomain": "Uocm:US-ASHBURN-AD-1",
        "compartmentId": sandbox,
        "displayName": "restore-test by hand",
        "freeformTags": rules.markers(run, backup_id, started, 120),
        "sourceDetails": {"type": "volumeBackup", "id": backup_id},
    }
    response = api.post(f"{V}/volumes", body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def test_a_restore_that_never_finishes_times_out_and_is_deleted(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str, signed_api: SignedApi
) -> None:
    emu.settings(restore_base_seconds=10 * DAY)  # never AVAILABLE
    volume = emu.create_volume(HOME_REGION, compartment, "db-03", size_in_gbs=100)
    backup = emu.seed_backup(HOME_REGION, volume["id"])
    now = datetime.now(UTC)
    slow = restore_by_hand(signed_api, sandbox, backup["id"], now - timedelta(minutes=30))
    fn = restore_fn(start_function, sandbox)
    first = schedule(fn)
    assert not items(first, "deleted") and "started" not in first["counts"], first  # within the timeout, in flight
    assert state(signed_api, slow["id"]) in IN_FLIGHT
    stuck = restore_by_hand(signed_api, sandbox, backup["id"], now - timedelta(minutes=61), run="a-stuck-run")
    result = schedule(fn)
    (failed,) = items(result, "failed")
    assert failed["reason"].startswith("timed out") and failed["resultId"] == stuck["id"], result
    assert [i["resourceId"] for i in items(result, "deleted")] == [stuck["id"]]
    assert state(signed_api, stuck["id"]) == "TERMINATING" and state(signed_api, slow["id"]) in IN_FLIGHT
    assert backup_tags(signed_api, backup)[rules.RESTORE_RESULT].startswith("failed:timed out")


def test_leftovers_past_their_ttl_are_deleted_whatever_their_state(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str, signed_api: SignedApi
) -> None:
    emu.settings(restore_base_seconds=10 * DAY)
    volume = emu.create_volume(HOME_REGION, compartment, "db-09", size_in_gbs=100)
    backup = emu.seed_backup(HOME_REGION, volume["id"])
    now = datetime.now(UTC)
    leftover = restore_by_hand(signed_api, sandbox, backup["id"], now - timedelta(hours=5), run="an-old-run")
    fresh = restore_by_hand(signed_api, sandbox, backup["id"], now - timedelta(minutes=5), run="a-new-run")
    fn = restore_fn(start_function, sandbox)
    result = schedule(fn)
    (gone,) = items(result, "leftover-deleted")
    assert gone["resourceId"] == leftover["id"] and state(signed_api, leftover["id"]) == "TERMINATING"
    assert result["restoreTests"]["leftovers"] == 1
    assert [m for m in emu.metrics() if m["name"] == "restore_leftovers"][-1]["datapoints"][0]["value"] == 1
    assert state(signed_api, fresh["id"]) in IN_FLIGHT  # in flight, not expired: left alone
    assert fresh["id"] not in {i["resourceId"] for i in result["items"]}


# ---- the two delete guards -------------------------------------------------------------------------


def test_the_two_delete_guards_keep_what_is_outside_the_sandbox_or_unmarked(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str, signed_api: SignedApi
) -> None:
    marked = rules.markers("run", "ocid1.volumebackup.oc1.iad.x", datetime.now(UTC) - timedelta(hours=5), 120)
    outside = emu.create_volume(HOME_REGION, compartment, "prod-db (marked)", freeform_tags=marked)
    unmarked = emu.create_volume(HOME_REGION, sandbox, "someones-scratch", freeform_tags={"owner": "ann"})
    fn = restore_fn(start_function, sandbox)
    told = [
        e for e in emu.event_envelopes("createvolume.end") if e["data"]["resourceId"] in (outside["id"], unmarked["id"])
    ]
    assert len(told) == 2
    for event in told:  # events naming them: both skipped, each by its own guard
        (skipped,) = fn.call(event).json()["items"]
        assert skipped["status"] == "skipped"
        guard = "not in the sandbox" if skipped["resourceId"] == outside["id"] else "carries no restore-test tag"
        assert guard in skipped["reason"]
    schedule(fn)  # and a sweep of the sandbox
    assert state(signed_api, outside["id"]) == "AVAILABLE" and state(signed_api, unmarked["id"]) == "AVAILABLE"
    assert calls(emu, "DeleteVolume") == 0


# ---- caps, limits, regions -------------------------------------------------------------------------


def test_caps_and_limit_exceeded_defer_what_does_not_fit(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str
) -> None:
    for n in range(4):
        volume = emu.create_volume(HOME_REGION, compartment, f"vol-{n}", size_in_gbs=100)
        emu.seed_backup(HOME_REGION, volume["id"])
    capped = restore_fn(start_function, sandbox, RESTORES_PER_RUN="2", DRY_RUN="true")
    result = schedule(capped)
    assert result["counts"] == {"planned": 2, "deferred": 2}, result
    assert all("RESTORES_PER_RUN" in i["reason"] for i in items(result, "deferred"))
    by_size = restore_fn(start_function, sandbox, RESTORE_MAX_GB_PER_RUN="250", DRY_RUN="true")
    result = schedule(by_size)
    assert result["counts"] == {"planned": 2, "deferred": 2}
    assert all("RESTORE_MAX_GB_PER_RUN" in i["reason"] for i in items(result, "deferred"))
    emu.settings(max_volumes_per_ad=6)  # the 4 sources count: 2 more fit
    fn = restore_fn(start_function, sandbox)
    result = schedule(fn)
    assert result["counts"] == {"started": 2, "deferred": 2}, result
    reasons = [i["reason"] for i in items(result, "deferred")]
    assert reasons[0].startswith("LimitExceeded") and "earlier in this run" in reasons[1]
    assert result["status"] == 202 and "failed" not in result["counts"]  # deferred, not failed


def test_dr_regions_restore_the_newest_copy_there(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str, signed_api: SignedApi
) -> None:
    emu.settings(creating_after=0, copy_available_after=0)
    volume = emu.create_volume(HOME_REGION, compartment, "db-04", size_in_gbs=100)
    backup = emu.seed_backup(HOME_REGION, volume["id"])
    response = signed_api.post(f"{V}/volumeBackups/{backup['id']}/actions/copy", {"destinationRegion": DR_REGION})
    assert response.status_code == 200, response.text
    copy = response.json()
    emu.advance(1)
    fn = restore_fn(start_function, sandbox, RESTORE_REGIONS=f"{HOME_REGION},{DR_REGION}")
    first = schedule(fn)
    started = {i["region"]: i for i in items(first, "started")}
    assert set(started) == {HOME_REGION, DR_REGION}, first
    assert started[DR_REGION]["resourceId"] == copy["id"] and ".phx." in started[DR_REGION]["resultId"]
    dr_volume = signed_api.get(f"{V}/volumes/{started[DR_REGION]['resultId']}", region=DR_REGION).json()
    assert dr_volume["availabilityDomain"] == "Uocm:US-PHOENIX-AD-1" and dr_volume["compartmentId"] == sandbox
    emu.advance(200)
    second = schedule(fn)  # no event reaches the home region's function from another region: the sweep checks
    verified = {i["region"]: i for i in items(second, "verified")}
    assert set(verified) == {HOME_REGION, DR_REGION}, second
    assert verified[DR_REGION]["upperBound"] is True
    assert backup_tags(signed_api, copy, DR_REGION)[rules.RESTORE_RESULT] == "verified"
    assert state(signed_api, started[DR_REGION]["resultId"], DR_REGION) == "TERMINATING"
    third = schedule(fn)
    assert third["restorePosture"]["verified"] == 1 and "started" not in third["counts"]


# ---- duplicate and concurrent delivery -----------------------------------------------------------------


def test_duplicate_and_concurrent_events_make_one_check_and_one_delete(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str, signed_api: SignedApi
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db-05", size_in_gbs=100)
    backup = emu.seed_backup(HOME_REGION, volume["id"])
    fn = restore_fn(start_function, sandbox)
    schedule(fn)
    emu.advance(200)
    (end,) = sandbox_ends(emu, sandbox)
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(fn.call, end) for _ in range(3)]
        results = [future.result().json() for future in futures]
    results.append(fn.call(end).json())  # and once more, later
    verified = [i for r in results for i in items(r, "verified")]
    deleted = [i for r in results for i in items(r, "deleted")]
    assert len(verified) == 1 and len(deleted) == 1, results
    assert calls(emu, "UpdateVolumeBackup") == 1
    assert backup_tags(signed_api, backup)[rules.RESTORE_RESULT] == "verified"


# ---- the posture -----------------------------------------------------------------------------------


def test_the_posture_counts_a_resource_verified_only_within_verify_every_days(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str
) -> None:
    now = datetime.now(UTC)
    recent = emu.create_volume(HOME_REGION, compartment, "recent")
    stale = emu.create_volume(HOME_REGION, compartment, "stale")
    never = emu.create_volume(HOME_REGION, compartment, "never")
    emu.seed_backup(HOME_REGION, recent["id"], freeform_tags=rules.result_tags(now - timedelta(days=29), None, 240))
    emu.seed_backup(HOME_REGION, stale["id"], freeform_tags=rules.result_tags(now - timedelta(days=31), None, 300))
    emu.seed_backup(HOME_REGION, never["id"])
    fn = restore_fn(start_function, sandbox)
    answer = fn.call({"restorePosture": True}).json()
    assert answer["status"] == 200 and answer["items"] == []
    posture = answer["restorePosture"]
    assert (posture["resources"], posture["verified"], posture["verifyEveryDays"]) == (3, 1, 30)
    assert [u["name"] for u in posture["unverified"]] == ["never", "stale"]  # never first, then the oldest
    assert posture["unverified"][0]["lastVerifiedAt"] is None and posture["unverified"][1]["lastResult"] == "verified"
    assert calls(emu, "CreateVolume") == 0  # a question starts nothing
    wider = restore_fn(start_function, sandbox, VERIFY_EVERY_DAYS="45").call({"restorePosture": True}).json()
    assert wider["restorePosture"]["verified"] == 2


def test_verify_starts_one_backup_now_and_refuses_bad_input(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db-06")
    backup = emu.seed_backup(HOME_REGION, volume["id"])
    fn = restore_fn(start_function, sandbox)
    answer = fn.http({"verify": backup["id"]}, headers=GATEWAY_HEADERS).json()
    assert answer["counts"] == {"started": 1}, answer
    refused = fn.http({"verify": volume["id"]}, headers=GATEWAY_HEADERS)
    assert refused.http_status == 400 and "verify" in refused.body.decode()
    elsewhere = "ocid1.volumebackup.oc1.phx.aaaaaaaanotthere"
    not_here = fn.http({"verify": elsewhere}, headers=GATEWAY_HEADERS)
    assert not_here.http_status == 400 and "RESTORE_REGIONS" in not_here.body.decode()
    both = fn.http({"verify": backup["id"], "restorePosture": True}, headers=GATEWAY_HEADERS)
    assert both.http_status == 400


def test_a_missing_sandbox_is_a_config_error_naming_the_key(start_function: StartFunction) -> None:
    fn = start_function("restore_backup")
    answer = fn.call({"trigger": "schedule"})
    assert "RESTORE_COMPARTMENT_ID" in answer.body.decode()


# ---- create-backup and copy-backup leave test restores alone ----------------------------------------------


def test_create_backup_skips_a_restored_volume(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db-07", size_in_gbs=100)
    emu.seed_backup(HOME_REGION, volume["id"])
    schedule(restore_fn(start_function, sandbox))
    emu.advance(200)
    (end,) = sandbox_ends(emu, sandbox)
    create = start_function(
        "create_backup", {"RESTORE_COMPARTMENT_ID": sandbox, "COMPARTMENT_IDS": f"{compartment},{sandbox}"}
    )
    (skipped,) = create.call(end).json()["items"]
    assert skipped["status"] == "skipped" and "test restore" in skipped["reason"]
    swept = create.call({"trigger": "schedule"}).json()
    assert end["data"]["resourceId"] not in {i["resourceId"] for i in swept["items"] if i["status"] == "created"}
    assert calls(emu, "CreateVolumeBackup") == 1  # only the production volume


def test_restore_pick_oldest_and_verify_a_dr_copy_now(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, sandbox: str, signed_api: SignedApi
) -> None:
    emu.settings(creating_after=0, copy_available_after=0)
    volume = emu.create_volume(HOME_REGION, compartment, "db-08", size_in_gbs=100)
    by_age = {days: emu.seed_backup(HOME_REGION, volume["id"], age_seconds=days * DAY)["id"] for days in (1, 10, 20)}
    oldest = restore_fn(start_function, sandbox, RESTORE_PICK="oldest")
    (started,) = items(schedule(oldest), "started")
    assert started["resourceId"] == by_age[20]  # the oldest still kept
    response = signed_api.post(f"{V}/volumeBackups/{by_age[1]}/actions/copy", {"destinationRegion": DR_REGION})
    assert response.status_code == 200, response.text
    copy_id = response.json()["id"]
    emu.advance(1)
    fn = restore_fn(start_function, sandbox, RESTORE_REGIONS=f"{HOME_REGION},{DR_REGION}")
    answer = fn.call({"verify": copy_id}).json()
    (now,) = items(answer, "started")
    assert (now["resourceId"], now["region"]) == (copy_id, DR_REGION) and ".phx." in now["resultId"]
    assert state(signed_api, now["resultId"], DR_REGION) in IN_FLIGHT
    home_only = restore_fn(start_function, sandbox).call({"verify": copy_id})
    assert home_only.json()["status"] == 400 and "RESTORE_REGIONS" in home_only.body.decode()
