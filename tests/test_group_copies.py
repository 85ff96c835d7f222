"""copy-backup: locked copies and DR copies of volume group backups, through the real fdk process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE, SOURCE_KEY, SOURCE_REGION_KEY
from tests.conftest import DR_REGION, GATEWAY_HEADERS, HOME_REGION, StartFunction

DR2_REGION = "eu-frankfurt-1"
MANAGED = {MANAGED_BY_KEY: MANAGED_BY_VALUE}
V = "/20160918"
GROUP_BACKUPS = f"{V}/volumeGroupBackups"


def copy_fn(start_function: StartFunction, regions: str = DR_REGION, **config: str) -> Any:
    return start_function("copy_backup", {"COPY_DESTINATION_REGIONS": regions, **config})


def group_backup(
    emu: EmulatorControl,
    api: SignedApi,
    compartment: str,
    name: str = "erp",
    *,
    group: str | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A group backup (of a volume and a boot volume), AVAILABLE; by default one the tool made."""
    if group is None:
        volumes = [
            emu.create_volume(HOME_REGION, compartment, f"{name}-data")["id"],
            emu.create_boot_volume(HOME_REGION, compartment, f"{name}-boot")["id"],
        ]
        group = str(emu.create_volume_group(HOME_REGION, compartment, name, volumes)["id"])
    body = {"volumeGroupId": group, "displayName": f"{name}-bk", "freeformTags": MANAGED if tags is None else tags}
    created = api.post(GROUP_BACKUPS, body)
    assert created.status_code == 200, created.text
    emu.advance(120)
    return read(api, GROUP_BACKUPS, created.json()["id"])


def read(api: SignedApi, collection: str, resource_id: str, region: str = HOME_REGION) -> dict[str, Any]:
    response = api.get(f"{collection}/{resource_id}", region=region)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def group_copies(api: SignedApi, region: str, compartment: str, *, live: bool = True) -> list[dict[str, Any]]:
    response = api.get(GROUP_BACKUPS, region=region, params={"compartmentId": compartment, "limit": 1000})
    assert response.status_code == 200, response.text
    return [
        b
        for b in response.json()
        if b.get("sourceVolumeGroupBackupId") and (not live or b["lifecycleState"] not in ("TERMINATING", "TERMINATED"))
    ]


def end_event(emu: EmulatorControl, backup_id: str) -> dict[str, Any]:
    return next(e for e in emu.event_envelopes("createvolumegroupbackup.end") if e["data"]["resourceId"] == backup_id)


def items(result: dict[str, Any], status: str | None = None, action: str | None = None) -> list[dict[str, Any]]:
    return [
        i
        for i in result["items"]
        if (status is None or i["status"] == status) and (action is None or i["action"] == action)
    ]


def member_path(member_id: str) -> str:
    return f"{V}/{'bootVolumeBackups' if '.bootvolumebackup.' in member_id else 'volumeBackups'}/{member_id}"


# --- group copies ------------------------------------------------------------------------------------


def test_group_backup_event_copies_it_once_with_members_tags_key_and_lock(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    source = group_backup(emu, signed_api, compartment)
    event = end_event(emu, source["id"])
    config = {"COPY_LOCK_DAYS": "30", "COPY_KMS_KEY_IDS": f"{DR_REGION}=ocid1.key.oc1.phx.drkey"}
    fns = [copy_fn(start_function, **config), copy_fn(start_function, **config)]
    # the same event twice at once to two instances (the copy call slowed down so both look first), then again
    emu.faults([{"operation": "CopyVolumeGroupBackup", "latencySeconds": 0.8}])
    with ThreadPoolExecutor(2) as pool:
        results = [r.json() for r in pool.map(lambda fn: fn.call(event), fns)]
    emu.clear_faults()
    answers = [i for r in results for i in r["items"]]
    assert [i["status"] for i in answers] == ["copied", "copied"], results
    (copy,) = group_copies(signed_api, DR_REGION, compartment)
    assert answers[0]["resultId"] == answers[1]["resultId"] == copy["id"]
    assert "tagged and locked 30 days" in answers[0]["reason"], answers
    (again,) = fns[0].call(event).json()["items"]
    assert again["status"] == "skipped" and again["reason"].startswith("already copied"), again
    assert len(group_copies(signed_api, DR_REGION, compartment, live=False)) == 1

    assert copy["id"].startswith("ocid1.volumegroupbackup.oc1.phx.")
    assert copy["sourceVolumeGroupBackupId"] == source["id"]
    assert copy["displayName"] == f"erp-bk (DR copy from {HOME_REGION})"
    tags = copy["freeformTags"]
    assert tags[SOURCE_KEY] == source["id"] and tags[SOURCE_REGION_KEY] == HOME_REGION
    assert copy["isRetentionLockEnabled"] is True and copy["retentionPeriod"]["retentionTimeAmount"] == 30
    assert len(copy["volumeBackupIds"]) == 2
    for member_id in copy["volumeBackupIds"]:  # members travel with the group copy, locked with it
        member = read(signed_api, member_path(member_id).rsplit("/", 1)[0], member_id, region=DR_REGION)
        assert member["isRetentionLockEnabled"] is True and member["kmsKeyId"] == "ocid1.key.oc1.phx.drkey"
    emu.advance(120)
    assert read(signed_api, GROUP_BACKUPS, copy["id"], region=DR_REGION)["lifecycleState"] == "AVAILABLE"
    ends = [e for e in emu.events() if e["event"]["eventType"].endswith("copyvolumegroupbackup.end")]
    assert [e["region"] for e in ends] == [DR_REGION]
    # a member backup is never copied on its own
    member = source["volumeBackupIds"][0]
    (skipped,) = fns[0].http({"backupId": member}, headers=GATEWAY_HEADERS).json()["items"]
    assert skipped["status"] == "skipped" and "copied with the group" in skipped["reason"], skipped


def test_group_copies_are_deferred_under_refusals_then_made_by_the_reconcile(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    first = group_backup(emu, signed_api, compartment, "one")
    second = group_backup(emu, signed_api, compartment, "two")
    fn = copy_fn(start_function, MAX_CONCURRENCY="1", DEADLINE_MARGIN_SECONDS="0")
    # 429 on every try until the deadline, then OCI's own limit: deferred, never failed
    emu.faults([{"operation": "CopyVolumeGroupBackup", "errorRate": 1.0, "status": 429}])
    throttled = fn.http({"backupId": first["id"]}, headers=GATEWAY_HEADERS, deadline_seconds=8).json()
    (item,) = throttled["items"]
    assert item["status"] == "deferred" and "OCI said not now (429" in item["reason"], item
    emu.clear_faults()
    emu.settings(max_copies_in_flight=0)
    limited = fn.call(b"").json()
    assert limited["counts"] == {"deferred": 2}, limited
    assert "OCI copy limit reached" in items(limited, "deferred")[0]["reason"]
    assert group_copies(signed_api, DR_REGION, compartment) == []
    # a group backup not AVAILABLE yet: IncorrectState-class, deferred (the HTTP answer is 202)
    emu.settings(max_copies_in_flight=10)
    pending = signed_api.post(GROUP_BACKUPS, {"volumeGroupId": first["volumeGroupId"], "freeformTags": MANAGED})
    answer = fn.http({"backupId": pending.json()["id"]}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 202 and answer.json()["counts"] == {"deferred": 1}
    emu.advance(120)

    done = fn.call(b"").json()
    assert done["counts"] == {"copied": 3}, done
    assert {c["sourceVolumeGroupBackupId"] for c in group_copies(signed_api, DR_REGION, compartment)} == {
        first["id"],
        second["id"],
        pending.json()["id"],
    }


def test_group_copies_are_pruned_per_region_keeping_the_minimum_and_the_locked(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    old = group_backup(emu, signed_api, compartment, "erp")
    middle = group_backup(emu, signed_api, compartment, "erp", group=old["volumeGroupId"])
    new = group_backup(emu, signed_api, compartment, "erp", group=old["volumeGroupId"])
    regions = f"{DR_REGION},{DR2_REGION}"
    fn = copy_fn(start_function, regions, COPY_LOCK_DAYS_BY_REGION=f"{DR2_REGION}=30")
    for backup in (old, middle, new):
        result = fn.http({"backupId": backup["id"]}, headers=GATEWAY_HEADERS).json()
        assert result["counts"] == {"copied": 2}, result
        emu.advance(120)
    # phoenix keeps the newest copy only; frankfurt the newest too, but its copies are locked for 30 days
    pruning = copy_fn(start_function, regions, COPY_LOCK_DAYS_BY_REGION=f"{DR2_REGION}=30", COPY_RETENTION_COUNT="1")
    result = pruning.call(b"").json()
    pruned = items(result, action="prune-copy")
    by_region = {(i["region"], i["resourceId"]): i["status"] for i in pruned}
    phx = {c["sourceVolumeGroupBackupId"]: c for c in group_copies(signed_api, DR_REGION, compartment)}
    assert set(phx) == {new["id"]}
    fra = group_copies(signed_api, DR2_REGION, compartment)
    assert len(fra) == 3 and all(c["isRetentionLockEnabled"] for c in fra)
    assert sorted(by_region.values()) == ["deleted", "deleted", "skipped", "skipped"], pruned
    assert all("locked until" in i["reason"] for i in pruned if i["status"] == "skipped")
    assert all(i["region"] == DR_REGION for i in pruned if i["status"] == "deleted")
    assert result["lockedKept"] == 1 + 2  # frankfurt: the newest kept, and the two retention let go
    assert "lockedKept" not in result["drPosture"]  # said once, in the result
    # the deleted group copies took their member copies with them
    everything = group_copies(signed_api, DR_REGION, compartment, live=False)
    gone = [c for c in everything if c["lifecycleState"] in ("TERMINATING", "TERMINATED")]
    assert len(gone) == 2
    for copy in gone:
        for member_id in copy["volumeBackupIds"]:
            member = read(signed_api, member_path(member_id).rsplit("/", 1)[0], member_id, region=DR_REGION)
            assert member["lifecycleState"] in ("TERMINATING", "TERMINATED")


def test_a_copy_made_before_the_retag_ends_with_the_final_name_and_tags(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    source = group_backup(emu, signed_api, compartment, "erp", tags={"owner": "dba"})  # a backup policy's
    copier = copy_fn(start_function, COPY_ALL_BACKUPS="true")
    (copied,) = copier.call(end_event(emu, source["id"])).json()["items"]  # copy-backup gets the event first
    assert copied["status"] == "copied", copied
    retag = start_function(
        "retag_group_backup", {"RETAG_NAME_TEMPLATE": "{group}-{date}", "RETAG_FREEFORM_TAGS": "app=erp,tier=gold"}
    )
    retagged = retag.call(end_event(emu, source["id"])).json()
    assert "failed" not in retagged["counts"], retagged
    final = read(signed_api, GROUP_BACKUPS, source["id"])
    assert final["displayName"] != source["displayName"] and final["freeformTags"]["tier"] == "gold"

    result = copier.call(b"").json()  # the reconcile: the copy follows its source
    (updated,) = items(result, "updated", "tag-copy")
    assert "rename to" in updated["reason"] and "app" in updated["reason"], updated
    (copy,) = group_copies(signed_api, DR_REGION, compartment)
    assert copy["displayName"] == f"{final['displayName']} (DR copy from {HOME_REGION})"
    assert copy["freeformTags"]["tier"] == "gold" and copy["freeformTags"]["app"] == "erp"
    assert copy["freeformTags"][SOURCE_KEY] == source["id"]
    assert copier.call(b"").json()["counts"] == {}  # as wanted now: nothing more to do


def test_a_copy_whose_lock_could_not_be_set_is_caught_up_and_reported_until_it_is(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db")["id"]
    backup = emu.seed_backup(HOME_REGION, volume, display_name="db-bk", freeform_tags=MANAGED)
    fn = copy_fn(start_function, COPY_LOCK_DAYS="14", DEADLINE_MARGIN_SECONDS="0")
    # 503 on every try: each run retries until its deadline (seconds here), then reports it
    emu.faults([{"operation": "UpdateVolumeBackup", "region": DR_REGION, "errorRate": 1.0, "status": 503}])
    (copied,) = fn.http({"backupId": backup["id"]}, headers=GATEWAY_HEADERS, deadline_seconds=6).json()["items"]
    assert copied["status"] == "copied" and "not tagged or locked yet" in copied["reason"], copied
    failing = fn.call(b"", deadline_seconds=6).json()  # the reconcile tries, and says so, until it works
    (failed,) = items(failing, "failed")
    assert failed["resourceId"] == backup["id"] and failed["region"] == DR_REGION, failing
    emu.clear_faults()
    caught_up = fn.call(b"").json()
    (updated,) = items(caught_up, "updated", "tag-copy")
    assert "lock 14 days" in updated["reason"] and "set tags" in updated["reason"], updated
    copy = read(signed_api, f"{V}/volumeBackups", copied["resultId"], region=DR_REGION)
    assert copy["isRetentionLockEnabled"] is True and copy["retentionPeriod"]["retentionTimeAmount"] == 14
    assert fn.call(b"").json()["counts"] == {}
    # the copy call itself carried no lock (Copy*Details has none): the emulator copies none either
    unlocked = emu.seed_backup(HOME_REGION, volume, display_name="by-hand", lock={"isIndefiniteRetentionEnabled": True})
    made = signed_api.post(f"{V}/volumeBackups/{unlocked['id']}/actions/copy", {"destinationRegion": DR_REGION})
    assert made.status_code == 200 and "isIndefiniteRetentionEnabled" not in made.json()
