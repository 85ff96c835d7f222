"""Locked backups: create-backup sets the lock, retention never deletes a locked backup, the emulator refuses.

Through the real fdk process against the emulator; the emulator's own lock rules over signed calls.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE
from tests.conftest import GATEWAY_HEADERS, HOME_REGION, StartFunction

DAY = 86400.0
MANAGED = {MANAGED_BY_KEY: MANAGED_BY_VALUE}
V = "/20160918"


def lock(days: int, *, prevent: bool = False) -> dict[str, Any]:
    flag = "isPreventDeletionEnabled" if prevent else "isRetentionLockEnabled"
    return {flag: True, "retentionPeriod": {"retentionTimeUnit": "DAYS", "retentionTimeAmount": days}}


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def read(api: SignedApi, path: str) -> dict[str, Any]:
    response = api.get(path)
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
    assert result["posture"]["lockedKept"] == 3  # the run's posture says it too
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
