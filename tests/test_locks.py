"""Locked backups: create-backup sets the lock, retention never deletes a locked backup, the emulator refuses.

Through the real fdk process against the emulator; the emulator's own lock rules over signed calls.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE
from tests.conftest import DR_REGION, GATEWAY_HEADERS, HOME_REGION, StartFunction

DAY = 86400.0
MANAGED = {MANAGED_BY_KEY: MANAGED_BY_VALUE}
V = "/20160918"


def lock(days: int, *, prevent: bool = False) -> dict[str, Any]:
    flag = "isPreventDeletionEnabled" if prevent else "isRetentionLockEnabled"
    return {flag: True, "retentionPeriod": {"retentionTimeUnit": "DAYS", "retentionTimeAmount": days}}


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def read(api: SignedApi, path: str, region: str = HOME_REGION) -> dict[str, Any]:
    response = api.get(path, region=region)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    doc["etag"] = response.headers["etag"]
    return doc


# --- create-backup ---------------------------------------------------------------------------------


def test_created_backups_carry_the_lock_and_a_request_may_only_lengthen_it(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "ledger")["id"]
    fn = start_function("create_backup", {"BACKUP_LOCK_DAYS": "14"})
    result = fn.http({"volumeId": volume}, headers=GATEWAY_HEADERS).json()
    (item,) = result["items"]
    assert item["status"] == "created" and "locked 14 days (retention-lock)" in item["reason"], item
    backup = read(signed_api, f"{V}/volumeBackups/{item['resultId']}")
    assert backup["isRetentionLockEnabled"] is True and "isPreventDeletionEnabled" not in backup
    assert backup["retentionPeriod"] == {"retentionTimeUnit": "DAYS", "retentionTimeAmount": 14}
    assert when(backup["timeRetentionExpiresAt"]) - when(backup["timeCreated"]) == timedelta(days=14)
    # the lock was in the create call itself: no update followed
    assert not [e for e in emu.event_envelopes() if e["eventType"].endswith("updatevolumebackup")]

    shorter = fn.http({"volumeId": volume, "lockDays": 7}, headers=GATEWAY_HEADERS)
    assert shorter.http_status == 400
    error = shorter.json()["error"]
    assert error["field"] == "lockDays" and "never shorten" in error["message"], error
    emu.advance(120)  # the first backup is AVAILABLE: the next may start
    longer = fn.http({"volumeId": volume, "lockDays": 400}, headers=GATEWAY_HEADERS).json()
    (item,) = longer["items"]
    assert item["status"] == "created" and "locked 400 days" in item["reason"], item
    assert read(signed_api, f"{V}/volumeBackups/{item['resultId']}")["retentionPeriod"]["retentionTimeAmount"] == 400
    assert len([e for e in emu.event_envelopes("createvolumebackup.begin")]) == 2  # the refused one made nothing


def test_prevent_deletion_mode_on_a_group_backup(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "erp-data")["id"]
    group = emu.create_volume_group(HOME_REGION, compartment, "erp", [volume])["id"]
    fn = start_function("create_backup", {"BACKUP_LOCK_DAYS": "30", "BACKUP_LOCK_MODE": "prevent-deletion"})
    (item,) = fn.http({"volumeGroupId": group}, headers=GATEWAY_HEADERS).json()["items"]
    assert "locked 30 days (prevent-deletion)" in item["reason"], item
    backup = read(signed_api, f"{V}/volumeGroupBackups/{item['resultId']}")
    assert backup["isPreventDeletionEnabled"] is True and "isRetentionLockEnabled" not in backup
    assert backup["retentionPeriod"]["retentionTimeAmount"] == 30 and backup["timeRetentionExpiresAt"]

    bad = start_function("create_backup", {"BACKUP_LOCK_MODE": "forever"}).http({}, headers=GATEWAY_HEADERS)
    assert bad.http_status == 500 and bad.json()["error"]["field"] == "BACKUP_LOCK_MODE"


def test_retention_skips_locked_backups_reports_them_and_counts_them_kept(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "ledger")["id"]

    def old(name: str, age: float, **lock_fields: Any) -> str:
        seeded = emu.seed_backup(
            HOME_REGION, volume, display_name=name, age_seconds=age * DAY, freeform_tags=MANAGED, lock=lock_fields
        )
        return str(seeded["id"])

    newest = old("newest", 1)
    locked = old("locked-365d", 40, **lock(365))
    hold = old("legal-hold", 50, isIndefiniteRetentionEnabled=True)
    prevent = old("prevent-90d", 60, **lock(90, prevent=True))
    expired = old("lock-ran-out", 70, **lock(10))
    plain = old("plain", 80)
    fn = start_function("create_backup", {"RETENTION_DAYS": "30", "BACKUP_KINDS": "volume", "BACKUP_LOCK_DAYS": "7"})
    result = fn.call({"trigger": "schedule", "schedule": "nightly"}).json()
    by_id = {i["resourceId"]: i for i in result["items"] if i["action"] == "prune"}
    assert {k: v["status"] for k, v in by_id.items()} == {
        locked: "skipped",
        hold: "skipped",
        prevent: "skipped",
        expired: "deleted",
        plain: "deleted",
    }, result
    assert newest not in by_id
    assert "failed" not in result["counts"]
    assert by_id[hold]["reason"] == "older than 30 days, but locked until further notice (legal hold); kept"
    assert "but locked until 20" in by_id[locked]["reason"] and "(retention lock); kept" in by_id[locked]["reason"]
    assert "(prevent deletion); kept" in by_id[prevent]["reason"]
    assert result["lockedKept"] == 3  # the three locked ones; the newest (no lock) is kept too, not locked
    assert "lockedKept" not in result["posture"]  # said once, in the result
    message = emu.messages(HOME_REGION, topic)[-1]
    assert "Locked: 3 of the kept backups carry a lock" in message["body"]
    deletes = {e["data"]["resourceId"] for e in emu.event_envelopes("deletevolumebackup.begin")}
    assert deletes == {expired, plain}

    # the next run deletes nothing more and still reports the locked ones, never as failures
    emu.advance(120)
    again = fn.call({"trigger": "schedule", "schedule": "nightly", "slot": "2"}).json()
    assert {i["status"] for i in again["items"] if i["action"] == "prune"} == {"skipped"}
    assert again["lockedKept"] == 4  # the backup this run's predecessor made carries BACKUP_LOCK_DAYS


def test_a_delete_refused_for_a_lock_the_tool_did_not_see_is_skipped(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    """Deleting a group backup deletes its members; a member locked by someone else makes OCI refuse."""
    volume = emu.create_volume(HOME_REGION, compartment, "erp-data")["id"]
    group = emu.create_volume_group(HOME_REGION, compartment, "erp", [volume])["id"]
    made = []
    for _ in range(2):
        created = signed_api.post(f"{V}/volumeGroupBackups", {"volumeGroupId": group, "freeformTags": MANAGED})
        assert created.status_code == 200, created.text
        made.append(created.json())
        emu.advance(120)
    older = made[0]
    member = older["volumeBackupIds"][0]
    current = read(signed_api, f"{V}/volumeBackups/{member}")
    locked = signed_api.put(f"{V}/volumeBackups/{member}", lock(30), headers={"if-match": current["etag"]})
    assert locked.status_code == 200, locked.text

    fn = start_function("create_backup", {"RETENTION_COUNT": "1", "BACKUP_KINDS": "volumegroup"})
    result = fn.call({"trigger": "schedule", "schedule": "nightly"}).json()
    (pruned,) = [i for i in result["items"] if i["action"] == "prune"]
    assert pruned["resourceId"] == older["id"] and pruned["status"] == "skipped", result
    assert "OCI refused the delete (409 Conflict" in pruned["reason"] and pruned["reason"].endswith("; kept")
    assert pruned["opcRequestId"] and "failed" not in result["counts"]
    assert result["lockedKept"] == 1
    assert read(signed_api, f"{V}/volumeGroupBackups/{older['id']}")["lifecycleState"] == "AVAILABLE"


def test_any_refused_delete_of_a_backup_that_then_shows_a_lock_is_skipped(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    """Someone locks the backup while retention's delete is on its way: OCI answers 412 (the etag moved),
    not a lock refusal; the re-read shows the lock, so the backup is kept and reported locked."""
    volume = emu.create_volume(HOME_REGION, compartment, "ledger")["id"]
    emu.seed_backup(HOME_REGION, volume, display_name="newest", age_seconds=DAY, freeform_tags=MANAGED)
    old = emu.seed_backup(HOME_REGION, volume, display_name="old", age_seconds=40 * DAY, freeform_tags=MANAGED)
    path = f"{V}/volumeBackups/{old['id']}"
    emu.faults([{"operation": "DeleteVolumeBackup", "latencySeconds": 3, "count": 1}])
    fn = start_function("create_backup", {"RETENTION_DAYS": "30", "BACKUP_KINDS": "volume"})
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(fn.call, {"trigger": "schedule", "schedule": "nightly"})
        for _ in range(400):
            if emu.calls().get(f"{HOME_REGION} DeleteVolumeBackup"):
                break
            time.sleep(0.05)
        locked = signed_api.put(path, lock(30, prevent=True), headers={"if-match": read(signed_api, path)["etag"]})
        assert locked.status_code == 200, locked.text
        result = running.result().json()
    (pruned,) = [i for i in result["items"] if i["action"] == "prune"]
    assert pruned["resourceId"] == old["id"] and pruned["status"] == "skipped", result
    assert "OCI refused the delete (412 NoEtagMatch" in pruned["reason"], pruned
    assert "locked until" in pruned["reason"] and "(prevent deletion); kept" in pruned["reason"], pruned
    assert "failed" not in result["counts"] and result["lockedKept"] == 1
    assert read(signed_api, path)["lifecycleState"] == "AVAILABLE"


@pytest.mark.parametrize("days", [True, "30", 7.0])
def test_lock_days_in_a_request_are_a_whole_number_never_coerced(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, days: Any
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "ledger")["id"]
    answer = start_function("create_backup").http({"volumeId": volume, "lockDays": days}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 400 and answer.json()["error"]["field"] == "lockDays", answer.json()
    assert not emu.event_envelopes("createvolumebackup.begin")  # nothing was made


def test_the_functions_own_region_is_no_copy_destination(start_function: StartFunction) -> None:
    fn = start_function("copy_backup", {"COPY_DESTINATION_REGIONS": f"{DR_REGION},{HOME_REGION}"})
    error = fn.http({"drPosture": True}, headers=GATEWAY_HEADERS).json()["error"]
    assert (
        error["field"] == "COPY_DESTINATION_REGIONS"
        and f"{HOME_REGION} is the function's own region" in error["message"]
    )


@pytest.mark.parametrize(
    ("config", "key", "named"),
    [
        ({"COPY_LOCK_DAYS_BY_REGION": f"{DR_REGION}=30,{DR_REGION}=1"}, "COPY_LOCK_DAYS_BY_REGION", DR_REGION),
        ({"COPY_KMS_KEY_IDS": f"{DR_REGION}=a,{DR_REGION}=b"}, "COPY_KMS_KEY_IDS", DR_REGION),
        ({"COPY_DESTINATION_REGIONS": f"{DR_REGION},{DR_REGION}"}, "COPY_DESTINATION_REGIONS", DR_REGION),
    ],
)
def test_a_region_given_twice_is_refused_naming_it(
    start_function: StartFunction, config: dict[str, str], key: str, named: str
) -> None:
    fn = start_function("copy_backup", {"COPY_DESTINATION_REGIONS": DR_REGION, **config})
    error = fn.http({"drPosture": True}, headers=GATEWAY_HEADERS).json()["error"]
    assert error["field"] == key and f"{named} is" in error["message"] and "twice" in error["message"], error


# --- the emulator's lock rules ---------------------------------------------------------------------


def test_emulator_lock_rules(emu: EmulatorControl, compartment: str, signed_api: SignedApi) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "v")["id"]
    created = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume, **lock(10)})
    assert created.status_code == 200, created.text
    backup = created.json()
    path = f"{V}/volumeBackups/{backup['id']}"
    assert when(backup["timeRetentionExpiresAt"]) - when(backup["timeCreated"]) == timedelta(days=10)

    # a flag without a period is refused, naming the field; a bad period type too
    flag_only = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume, "isRetentionLockEnabled": True})
    assert flag_only.status_code == 400 and "retentionPeriod" in flag_only.json()["message"]

    emu.advance(120)
    refused = signed_api.delete(path)
    assert refused.status_code == 409 and refused.json()["code"] == "Conflict"
    assert "locked by a retention lock until" in refused.json()["message"]
    for change in (lock(5), {"isRetentionLockEnabled": False}):
        etag = read(signed_api, path)["etag"]
        answer = signed_api.put(path, {**change, "displayName": "renamed"}, headers={"if-match": etag})
        assert answer.status_code == 409 and answer.json()["code"] == "Conflict", answer.text
    assert read(signed_api, path)["displayName"] != "renamed"  # a refused change changes nothing
    etag = read(signed_api, path)["etag"]
    longer = signed_api.put(path, lock(20), headers={"if-match": etag})
    assert longer.status_code == 200 and longer.json()["retentionPeriod"]["retentionTimeAmount"] == 20
    assert when(longer.json()["timeRetentionExpiresAt"]) > when(backup["timeRetentionExpiresAt"])

    # legal hold: refused while on, may be released; prevent deletion alone may be turned off
    other = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume, "isIndefiniteRetentionEnabled": True})
    assert "timeRetentionExpiresAt" not in other.json()
    emu.advance(120)
    other_path = f"{V}/volumeBackups/{other.json()['id']}"
    assert signed_api.delete(other_path).status_code == 409
    released = signed_api.put(other_path, {"isIndefiniteRetentionEnabled": False})
    assert released.status_code == 200
    assert signed_api.delete(other_path).status_code == 204

    # the lock runs out on the emulator clock
    emu.advance(21 * DAY)
    assert signed_api.delete(path).status_code == 204

    # a seeded old lock that already ran out, and one still running (period counted from the seeded creation)
    ran_out = emu.seed_backup(HOME_REGION, volume, age_seconds=30 * DAY, lock=lock(10))
    running = emu.seed_backup(HOME_REGION, volume, age_seconds=30 * DAY, lock=lock(365))
    assert signed_api.delete(f"{V}/volumeBackups/{ran_out['id']}").status_code == 204
    assert signed_api.delete(f"{V}/volumeBackups/{running['id']}").status_code == 409


# --- copy-backup never shortens a lock -----------------------------------------------------------


def _copy_then_lock(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi, name: str
) -> tuple[str, str]:
    """A 6-day-old backup of the tool, copied to the DR region without a lock: (copy id, its path there)."""
    volume = emu.create_volume(HOME_REGION, compartment, name)["id"]
    backup = emu.seed_backup(HOME_REGION, volume, display_name=name, age_seconds=6 * DAY, freeform_tags=MANAGED)
    fn = start_function("copy_backup", {"COPY_DESTINATION_REGIONS": DR_REGION})
    (copied,) = fn.http({"backupId": backup["id"]}, headers=GATEWAY_HEADERS).json()["items"]
    assert copied["status"] == "copied", copied
    return copied["resultId"], f"{V}/volumeBackups/{copied['resultId']}"


def test_reconcile_never_shortens_a_copys_lock_of_any_kind(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    emu.advance(120)
    held: dict[str, dict[str, Any]] = {}
    for name, fields in (
        ("prevent-365", lock(365, prevent=True)),
        ("legal-hold", {"isIndefiniteRetentionEnabled": True}),
        ("retention-30", lock(30)),
    ):
        copy_id, path = _copy_then_lock(emu, start_function, compartment, signed_api, name)
        etag = read(signed_api, path, DR_REGION)["etag"]
        set_lock = signed_api.put(path, fields, headers={"if-match": etag}, region=DR_REGION)
        assert set_lock.status_code == 200, set_lock.text
        held[copy_id] = read(signed_api, path, DR_REGION)
    emu.advance(120)
    before_reconcile = len(emu.event_envelopes("updatevolumebackup"))
    fn = start_function("copy_backup", {"COPY_DESTINATION_REGIONS": DR_REGION, "COPY_LOCK_DAYS": "7"})
    result = fn.call(b"").json()  # the hourly reconcile
    assert not [i for i in result["items"] if "lock" in i.get("reason", "")], result
    for copy_id, before in held.items():
        after = read(signed_api, f"{V}/volumeBackups/{copy_id}", DR_REGION)
        for field in (
            "timeRetentionExpiresAt",
            "isRetentionLockEnabled",
            "isPreventDeletionEnabled",
            "retentionPeriod",
        ):
            assert after.get(field) == before.get(field), (before["displayName"], field, after)
    assert len(emu.event_envelopes("updatevolumebackup")) == before_reconcile  # the reconcile sent no update


@pytest.mark.parametrize("counted_from", ["update", "created"])
def test_a_copy_of_an_old_backup_is_locked_for_the_days_asked_however_oci_counts_the_period(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi, counted_from: str
) -> None:
    """A copy keeps its source's ``timeCreated`` (6 days ago): a 7-day lock must still run 7 days from the copy."""
    emu.settings(lock_period_from=counted_from)
    volume = emu.create_volume(HOME_REGION, compartment, "ledger")["id"]
    backup = emu.seed_backup(HOME_REGION, volume, display_name="ledger", age_seconds=6 * DAY, freeform_tags=MANAGED)
    fn = start_function("copy_backup", {"COPY_DESTINATION_REGIONS": DR_REGION, "COPY_LOCK_DAYS": "7"})
    (copied,) = fn.http({"backupId": backup["id"]}, headers=GATEWAY_HEADERS).json()["items"]
    assert copied["status"] == "copied" and "tagged and locked 7 days (until " in copied["reason"], copied
    copy = read(signed_api, f"{V}/volumeBackups/{copied['resultId']}", DR_REGION)
    assert copy["isRetentionLockEnabled"] is True
    assert when(copy["timeRetentionExpiresAt"]) >= when(copy["timeRequestReceived"]) + timedelta(days=7), copy
    assert copy["timeRetentionExpiresAt"][:16] in copied["reason"]  # the report says when the lock ends
    emu.advance(3600)
    assert fn.call(b"").json()["counts"] == {}  # locked long enough: the reconcile leaves it
