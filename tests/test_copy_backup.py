"""copy-backup through the real fdk process against the emulator, with two and three regions."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from emulator.events import make_event
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE, SOURCE_KEY, SOURCE_REGION_KEY
from tests.conftest import DR_REGION, GATEWAY_HEADERS, HOME_REGION, StartFunction

DR2_REGION = "eu-frankfurt-1"
DAY = 86400.0
MANAGED = {MANAGED_BY_KEY: MANAGED_BY_VALUE}
V = "/20160918"
KEY_PHX = "ocid1.key.oc1.phx.drkey"


# --- helpers -----------------------------------------------------------------------------------


def volume(emu: EmulatorControl, compartment: str, name: str, *, boot: bool = False, **extra: Any) -> str:
    if boot:
        return str(emu.create_boot_volume(HOME_REGION, compartment, name, **extra)["id"])
    return str(emu.create_volume(HOME_REGION, compartment, name, **extra)["id"])


def seed(
    emu: EmulatorControl,
    volume_id: str,
    name: str,
    *,
    boot: bool = False,
    age_days: float = 0.0,
    tags: dict[str, str] | None = None,
    announce: bool = False,
) -> dict[str, Any]:
    """A finished (AVAILABLE) backup in the home region; by default one the tool made."""
    return emu.seed_backup(
        HOME_REGION,
        volume_id,
        boot=boot,
        display_name=name,
        age_seconds=age_days * DAY,
        freeform_tags=MANAGED if tags is None else tags,
        announce=announce,
    )


def end_event(emu: EmulatorControl, backup_id: str) -> dict[str, Any]:
    """The ``create*backup.end`` envelope the emulator recorded, as Events would deliver it."""
    return next(
        e
        for e in emu.event_envelopes()
        if e["eventType"].endswith("backup.end") and e["data"]["resourceId"] == backup_id
    )


def copies(
    api: SignedApi, region: str, compartment: str, *, source: str | None = None, boot: bool = False
) -> list[dict[str, Any]]:
    """Live copies in ``region`` (optionally of one source backup), read with the public API."""
    source_field = "sourceBootVolumeBackupId" if boot else "sourceVolumeBackupId"
    params = {"compartmentId": compartment, "limit": 1000}
    if source:
        params[source_field] = source
    response = api.get(f"{V}/{'bootVolumeBackups' if boot else 'volumeBackups'}", region=region, params=params)
    assert response.status_code == 200, response.text
    gone = ("TERMINATING", "TERMINATED")
    return [b for b in response.json() if b.get(source_field) and b["lifecycleState"] not in gone]


def copies_all(api: SignedApi, region: str, compartment: str) -> list[dict[str, Any]]:
    """Every volume backup copy in ``region``, deleted ones too."""
    response = api.get(f"{V}/volumeBackups", region=region, params={"compartmentId": compartment, "limit": 1000})
    assert response.status_code == 200, response.text
    return [b for b in response.json() if b.get("sourceVolumeBackupId")]


def items(result: dict[str, Any], status: str | None = None, action: str | None = None) -> list[dict[str, Any]]:
    return [
        i
        for i in result["items"]
        if (status is None or i["status"] == status) and (action is None or i["action"] == action)
    ]


def copy_fn(start_function: StartFunction, regions: str = DR_REGION, **config: str) -> Any:
    return start_function("copy_backup", {"COPY_DESTINATION_REGIONS": regions, **config})


# --- events ------------------------------------------------------------------------------------


def test_event_copies_to_every_destination_named_keyed_and_tagged(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str, signed_api: SignedApi
) -> None:
    vol = volume(emu, compartment, "db01", freeform_tags={"env": "prod"})
    backup = seed(emu, vol, "db01-full-2026", tags={**MANAGED, "app": "erp"}, announce=True)
    fn = copy_fn(
        start_function,
        f"{DR_REGION},{DR2_REGION}",
        COPY_KMS_KEY_IDS=f"{DR_REGION}={KEY_PHX}",
        COPY_NAME_TEMPLATES=f"{DR2_REGION}=dr-{{name}}-{{kind}}-{{date}}",
        NOTIFY_ON_EVENTS="all",  # this test reads the event run's digest
    )
    result = fn.call(end_event(emu, backup["id"])).json()
    assert result["trigger"] == "event" and result["counts"] == {"copied": 2}, result
    by_region = {i["region"]: i for i in result["items"]}
    assert set(by_region) == {DR_REGION, DR2_REGION}

    (phx,) = copies(signed_api, DR_REGION, compartment, source=backup["id"])
    assert phx["id"] == by_region[DR_REGION]["resultId"] and phx["id"].startswith("ocid1.volumebackup.oc1.phx.")
    assert phx["displayName"] == f"db01-full-2026 (DR copy from {HOME_REGION})"  # the default template
    assert phx["kmsKeyId"] == KEY_PHX
    (fra,) = copies(signed_api, DR2_REGION, compartment, source=backup["id"])
    assert fra["displayName"] == f"dr-db01-full-2026-volume-{backup['timeCreated'][:10]}"
    assert fra.get("kmsKeyId") is None
    for copy in (phx, fra):
        tags = copy["freeformTags"]
        assert tags[SOURCE_KEY] == backup["id"] and tags[SOURCE_REGION_KEY] == HOME_REGION
        assert tags["app"] == "erp" and tags["env"] == "prod" and tags[MANAGED_BY_KEY] == MANAGED_BY_VALUE
    # the tags were set by an update in the destination region, not by the copy call
    updates = [e for e in emu.events() if e["event"]["eventType"].endswith("updatevolumebackup")]
    assert sorted(e["region"] for e in updates) == sorted([DR_REGION, DR2_REGION])

    (message,) = emu.messages(HOME_REGION, topic)
    assert message["title"] == "[ok] copy-backup (event, us-ashburn-1): 2 copied"
    body = message["body"]
    assert f"- COPIED   copy db01-full-2026 -> ocid1.volumebackup...{phx['id'][-6:]} in {DR_REGION}" in body
    assert f"-> ocid1.volumebackup...{fra['id'][-6:]} in {DR2_REGION}" in body
    attached = json.loads(body.split("Result (JSON):\n", 1)[1])
    assert attached["counts"] == {"copied": 2}


def test_boot_backup_event_copies_one_region_at_a_time(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    boot = volume(emu, compartment, "web01-boot", boot=True)
    backup = seed(emu, boot, "web01-boot-bk", boot=True, announce=True)
    fn = copy_fn(start_function, f"{DR_REGION},{DR2_REGION}")
    result = fn.call(end_event(emu, backup["id"])).json()
    assert result["counts"] == {"copied": 1, "deferred": 1}, result
    (deferred,) = items(result, "deferred")
    assert deferred["region"] == DR2_REGION and "boot volume is already in flight" in deferred["reason"]
    assert len(copies(signed_api, DR_REGION, compartment, boot=True)) == 1
    assert copies(signed_api, DR2_REGION, compartment, boot=True) == []

    # the event again (a fresh instance): the copy in flight in the first region is found there
    again = copy_fn(start_function, f"{DR_REGION},{DR2_REGION}").call(end_event(emu, backup["id"])).json()
    assert again["counts"] == {"skipped": 1, "deferred": 1}, again
    assert "boot volume is already in flight" in items(again, "deferred")[0]["reason"]
    # a reconcile while the first copy is in flight still waits; once it is AVAILABLE, it copies
    assert fn.call(b"").json()["counts"] == {"deferred": 1}
    emu.advance(61)
    result = fn.call(b"").json()
    assert result["trigger"] == "schedule" and result["counts"] == {"copied": 1}
    (copy,) = copies(signed_api, DR2_REGION, compartment, boot=True)
    assert copy["sourceBootVolumeBackupId"] == backup["id"] and copy["freeformTags"][SOURCE_KEY] == backup["id"]


def test_event_before_available_is_deferred_and_other_events_skipped(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    vol = volume(emu, compartment, "db02")
    made = signed_api.post(f"{V}/volumeBackups", {"volumeId": vol, "displayName": "db02-bk", "freeformTags": MANAGED})
    assert made.status_code == 200, made.text
    backup_id = made.json()["id"]
    fn = copy_fn(start_function)

    early = make_event(
        "createvolumebackup.end", backup_id, "db02-bk", compartment, additional_details={"status": "operationSucceed"}
    )
    result = fn.call(early).json()
    (item,) = result["items"]
    assert item["status"] == "deferred" and "not AVAILABLE yet" in item["reason"], item
    assert copies(signed_api, DR_REGION, compartment) == []

    failed = make_event(
        "createvolumebackup.end", backup_id, "db02-bk", compartment, additional_details={"status": "operationFailed"}
    )
    (item,) = fn.call(failed).json()["items"]
    assert item["status"] == "skipped" and "did not succeed" in item["reason"]

    other = seed(emu, vol, "by-hand", tags={"owner": "dba"}, announce=True)
    (item,) = fn.call(end_event(emu, other["id"])).json()["items"]
    assert item["status"] == "skipped" and "copy selector" in item["reason"]

    gone = make_event("createvolumebackup.end", "ocid1.volumebackup.oc1.iad.gone", "gone", compartment)
    answer = fn.call(gone).json()
    (item,) = answer["items"]
    assert item["status"] == "skipped" and "not found" in item["reason"] and "nothing to copy" in item["reason"]
    assert answer["status"] == 200 and not answer.get("error")  # nothing failed: no 500, no [FAILED] digest

    emu.advance(61)  # the backup becomes AVAILABLE and the real .end event is recorded
    result = fn.call(end_event(emu, backup_id)).json()
    assert result["counts"] == {"copied": 1}, result
    assert [c["sourceVolumeBackupId"] for c in copies(signed_api, DR_REGION, compartment)] == [backup_id]


def test_duplicate_events_make_one_copy(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    backup = seed(emu, volume(emu, compartment, "db03"), "db03-a", announce=True)
    event = end_event(emu, backup["id"])
    fns = [copy_fn(start_function), copy_fn(start_function)]

    # The same event delivered twice at once to two instances: the copy call is slowed down so both look
    # for an existing copy before either copy exists, and both POST. The retry token (source backup,
    # destination) makes OCI answer the second POST with the first copy.
    emu.faults([{"operation": "CopyVolumeBackup", "latencySeconds": 0.8}])
    with ThreadPoolExecutor(2) as pool:
        results = [r.json() for r in pool.map(lambda fn: fn.call(event), fns)]
    emu.clear_faults()
    answers = [i for r in results for i in r["items"]]
    assert [i["status"] for i in answers] == ["copied", "copied"], results
    (copy,) = copies(signed_api, DR_REGION, compartment, source=backup["id"])
    assert answers[0]["resultId"] == answers[1]["resultId"] == copy["id"]

    # delivered again later: the existing copy is found by sourceVolumeBackupId, nothing is copied
    (item,) = fns[0].call(event).json()["items"]
    assert item["status"] == "skipped" and item["reason"].startswith("already copied")
    assert item["resultId"] == copy["id"]
    assert len(copies(signed_api, DR_REGION, compartment)) == 1


# --- reconcile ---------------------------------------------------------------------------------


def test_reconcile_copies_what_events_missed(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str, signed_api: SignedApi
) -> None:
    a, b = volume(emu, compartment, "a"), volume(emu, compartment, "b")
    boot = volume(emu, compartment, "web-boot", boot=True)
    missed = [seed(emu, a, "a-1", age_days=2), seed(emu, b, "b-1"), seed(emu, boot, "boot-1", boot=True)]
    seed(emu, a, "not-ours", tags={"owner": "dba"})
    seed(emu, a, "too-old", age_days=30)
    # a copy the tool made but could not tag (same name), and one someone else made
    untagged = seed(emu, b, "b-untagged")
    foreign = seed(emu, b, "b-foreign")
    for source, name in ((untagged, f"b-untagged (DR copy from {HOME_REGION})"), (foreign, "made by hand")):
        made = signed_api.post(
            f"{V}/volumeBackups/{source['id']}/actions/copy", {"destinationRegion": DR_REGION, "displayName": name}
        )
        assert made.status_code == 200, made.text

    fn = copy_fn(start_function)
    result = fn.call({"trigger": "schedule", "schedule": "nightly"}).json()
    assert result["trigger"] == "schedule" and result["counts"] == {"copied": 3, "updated": 1}, result
    assert {i["resourceId"] for i in items(result, "copied")} == {m["id"] for m in missed}
    (tagged,) = items(result, "updated", "tag-copy")
    assert tagged["resourceId"] == untagged["id"]
    volume_copies = {c["sourceVolumeBackupId"]: c for c in copies(signed_api, DR_REGION, compartment)}
    assert set(volume_copies) == {missed[0]["id"], missed[1]["id"], untagged["id"], foreign["id"]}
    assert volume_copies[untagged["id"]]["freeformTags"][SOURCE_KEY] == untagged["id"]
    assert SOURCE_REGION_KEY not in volume_copies[foreign["id"]]["freeformTags"]  # left alone
    (boot_copy,) = copies(signed_api, DR_REGION, compartment, boot=True)
    assert boot_copy["sourceBootVolumeBackupId"] == missed[2]["id"]

    # a second run finds nothing to do
    again = fn.call(b"").json()
    assert again["counts"] == {}, again
    titles = [m["title"] for m in emu.messages(HOME_REGION, topic)]
    assert titles == [
        "[ok] copy-backup (schedule, us-ashburn-1): 3 copied, 1 updated",
        "[ok] copy-backup (schedule, us-ashburn-1): nothing to do",
    ]


def test_reconcile_lists_each_destination_once_per_compartment_and_kind(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    """What the plan listed is carried to the copies' upkeep and to pruning: no destination is listed again."""
    compartments = [compartment, str(emu.create_compartment("other")["id"])]
    newest = []
    for where in compartments:
        vol = volume(emu, where, f"db-{where[-6:]}")
        seed(emu, vol, "older", age_days=2)
        newest.append(seed(emu, vol, "newest", age_days=1))
    regions, scope = f"{DR_REGION},{DR2_REGION}", ",".join(compartments)
    assert copy_fn(start_function, regions, COMPARTMENT_IDS=scope).call(b"").json()["counts"] == {"copied": 8}
    emu.advance(61)
    for backup in newest:  # re-tagged at the source: their copies need the new tags
        retagged = signed_api.put(f"{V}/volumeBackups/{backup['id']}", {"freeformTags": {**MANAGED, "app": "erp"}})
        assert retagged.status_code == 200, retagged.text

    before = Counter(emu.calls())
    result = copy_fn(start_function, regions, COMPARTMENT_IDS=scope, COPY_RETENTION_COUNT="1").call(b"").json()
    assert result["counts"] == {"updated": 4, "deleted": 4}, result
    calls = Counter(emu.calls()) - before
    for region in (DR_REGION, DR2_REGION):
        for listing in ("ListVolumeBackups", "ListBootVolumeBackups", "ListVolumeGroupBackups"):
            assert calls[f"{region} {listing}"] == len(compartments), (region, listing, calls)
        assert calls[f"{region} UpdateVolumeBackup"] == 2  # one PUT per copy brought up to date
        assert calls[f"{region} DeleteVolumeBackup"] == 2
        assert calls[f"{region} GetVolumeBackup"] == 4  # the etag of each PUT and each DELETE


def test_eleventh_copy_is_deferred_not_failed(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str, signed_api: SignedApi
) -> None:
    for n in range(11):
        seed(emu, volume(emu, compartment, f"v{n:02d}"), f"v{n:02d}-bk", age_days=n / 100)
    fn = copy_fn(start_function)  # eight copies at a time: the slots are claimed concurrently
    result = fn.call(b"").json()
    assert result["counts"] == {"copied": 10, "deferred": 1}, result
    assert items(result, "deferred") == []  # beyond the copy slots: counted and said, not listed one by one
    assert any(n.startswith("1 more backup copies wait for a copy slot") for n in result["notes"]), result["notes"]
    assert len(copies(signed_api, DR_REGION, compartment)) == 10
    title = emu.messages(HOME_REGION, topic)[-1]["title"]
    assert title == "[ok] copy-backup (schedule, us-ashburn-1): 10 copied, 1 deferred"

    # still ten in flight: the next reconcile waits again, and so does an event, without asking OCI
    again = fn.call(b"").json()
    assert again["counts"] == {"deferred": 1}, again
    (deferred,) = items(again, "deferred")
    assert deferred["region"] == DR_REGION and "opcRequestId" not in deferred  # OCI was not asked
    assert deferred["reason"].startswith("copy limit reached: volume backup copies in flight from us-ashburn-1")
    event = make_event("createvolumebackup.end", deferred["resourceId"], deferred["name"], compartment)
    (waiting,) = fn.call(event).json()["items"]
    assert waiting["status"] == "deferred" and waiting["reason"].startswith("copy limit reached:"), waiting
    emu.advance(61)
    result = fn.call(b"").json()
    assert result["counts"] == {"copied": 1}, result
    assert len(copies(signed_api, DR_REGION, compartment)) == 11


def test_a_large_fleet_keeps_only_what_one_run_can_start_newest_first(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    """2,440 backups over 3 compartments: each run copies the newest the copy slots allow (10 volume backups,
    and one per boot volume), counts the rest as deferred with one note, and lists each destination once per
    compartment and kind; the DR posture counts every source."""
    compartments = [compartment, *(str(emu.create_compartment(f"big-{n}")["id"]) for n in range(2))]

    def seed_part(part: int) -> list[dict[str, Any]]:
        seeded = []
        for n in range(part, 620, 4):
            where = compartments[n % 3]
            boot = n >= 600
            source = volume(emu, where, f"v{n:03d}", boot=boot)
            for b in range(2 if boot else 4):  # newest first: every volume's first backup, then the second, ...
                seeded.append(seed(emu, source, f"v{n:03d}-{b}", boot=boot, age_days=(b * 620 + n) / 86400))
        return seeded

    with ThreadPoolExecutor(4) as pool:
        backups = [b for part in pool.map(seed_part, range(4)) for b in part]
    assert len(backups) == 2440
    newest = sorted((b for b in backups if "bootvolume" not in b["id"]), key=lambda b: b["timeCreated"], reverse=True)
    fn = copy_fn(start_function, COMPARTMENT_IDS=",".join(compartments))

    before = Counter(emu.calls())
    first = fn.call(b"").json()
    assert first["counts"] == {"copied": 30, "deferred": 2410}, first["counts"]
    copied = {i["resourceId"] for i in items(first, "copied")}
    assert copied >= {b["id"] for b in newest[:10]} and len(copied - {b["id"] for b in newest[:10]}) == 20
    assert len(first["items"]) == 50 and not first.get("itemsCut")  # the 20 older boot backups wait, listed
    assert any(n.startswith("2390 more backup copies wait for a copy slot") for n in first["notes"]), first["notes"]
    calls = Counter(emu.calls()) - before
    for listing in ("ListVolumeBackups", "ListBootVolumeBackups", "ListVolumeGroupBackups"):
        assert calls[f"{DR_REGION} {listing}"] == 3, (listing, calls)  # 1,000 a page: one per compartment
    dr = first["drPosture"]["destinations"][DR_REGION]
    assert (dr["sources"], dr["protected"], dr["unprotectedNotListed"]) == (620, 0, 570)

    emu.advance(61)  # the copies finish: the slots free up
    second = fn.call(b"").json()
    assert second["counts"] == {"copied": 30, "deferred": 2380}, second["counts"]
    assert {i["resourceId"] for i in items(second, "copied") if "bootvolume" not in i["resourceId"]} == {
        b["id"] for b in newest[10:20]
    }
    assert second["drPosture"]["destinations"][DR_REGION]["protected"] == 30


def test_boot_limits_and_copies_oci_refuses(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str, signed_api: SignedApi
) -> None:
    boot = volume(emu, compartment, "app-boot", boot=True)
    newer = seed(emu, boot, "app-boot-2", boot=True)
    older = seed(emu, boot, "app-boot-1", boot=True, age_days=1)
    market = volume(emu, compartment, "mkt-boot", boot=True, image_type="marketplace")
    refused = seed(emu, market, "mkt-boot-1", boot=True)
    fn = copy_fn(start_function, MAX_CONCURRENCY="1")  # newest first, one at a time
    result = fn.call(b"").json()
    assert result["counts"] == {"copied": 1, "deferred": 1, "failed": 1}, result
    assert items(result, "copied")[0]["resourceId"] == newer["id"]
    (deferred,) = items(result, "deferred")
    assert deferred["resourceId"] == older["id"] and "boot volume is already in flight" in deferred["reason"]
    (failed,) = items(result, "failed")
    assert failed["resourceId"] == refused["id"]
    assert (
        failed["reason"].startswith("OCI cannot copy this boot volume backup: ") and "Marketplace" in failed["reason"]
    )
    message = emu.messages(HOME_REGION, topic)[-1]
    assert message["title"] == "[FAILED] copy-backup (schedule, us-ashburn-1): 1 copied, 1 deferred, 1 failed"
    assert message["body"].index("- FAILED") < message["body"].index("- DEFERRED") < message["body"].index("- COPIED")
    assert [c["sourceBootVolumeBackupId"] for c in copies(signed_api, DR_REGION, compartment, boot=True)] == [
        newer["id"]
    ]


def test_oci_limit_refusal_is_deferred(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    emu.settings(max_copies_in_flight=1)  # e.g. copies in flight from compartments the function does not see
    for n in range(3):
        seed(emu, volume(emu, compartment, f"w{n}"), f"w{n}-bk", age_days=n / 100)
    result = copy_fn(start_function, MAX_CONCURRENCY="1").call(b"").json()
    assert result["counts"] == {"copied": 1, "deferred": 2}, result
    first, second = items(result, "deferred")
    assert "OCI copy limit reached" in first["reason"] and first["opcRequestId"]
    assert second["reason"].startswith("copy limit reached:")  # OCI not asked again: it said the pool is full
    assert len(copies(signed_api, DR_REGION, compartment)) == 1


# --- HTTP / direct -----------------------------------------------------------------------------


def test_http_copies_one_backup_to_given_regions_with_dry_run(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    vol = volume(emu, compartment, "db04")
    backup = seed(emu, vol, "db04-bk", tags={"owner": "dba"})  # not the tool's: an explicit request copies it
    fn = copy_fn(start_function)
    body = {"backupId": backup["id"], "regions": [DR2_REGION, "us-sanjose-1"], "dryRun": True}

    planned = fn.http(body, headers=GATEWAY_HEADERS)
    assert planned.http_status == 200
    result = planned.json()
    assert result["dryRun"] is True and result["counts"] == {"planned": 2}
    assert {i["region"] for i in result["items"]} == {DR2_REGION, "us-sanjose-1"}
    assert all("would copy as 'db04-bk (DR copy from us-ashburn-1)'" in i["reason"] for i in result["items"])
    assert copies(signed_api, DR2_REGION, compartment) == [] and copies(signed_api, "us-sanjose-1", compartment) == []

    done = fn.http({**body, "dryRun": False}, headers=GATEWAY_HEADERS)
    assert done.http_status == 200 and done.json()["counts"] == {"copied": 2}
    assert len(copies(signed_api, DR2_REGION, compartment)) == len(copies(signed_api, "us-sanjose-1", compartment)) == 1
    assert copies(signed_api, DR_REGION, compartment) == []  # only the regions asked for

    direct = fn.call({"backupId": backup["id"], "regions": [DR2_REGION]}).json()
    assert direct["trigger"] == "direct"
    assert [i["reason"][: len("already copied")] for i in direct["items"]] == ["already copied"]


@pytest.mark.parametrize(
    ("regions", "says"),
    [
        ([DR2_REGION, HOME_REGION], f"{HOME_REGION} is the function's own region"),
        ([DR2_REGION, "us-sanjose-1", DR2_REGION], f"{DR2_REGION} is listed twice"),
    ],
)
def test_a_request_naming_the_own_region_or_a_region_twice_is_a_400_that_changes_nothing(
    emu: EmulatorControl,
    start_function: StartFunction,
    compartment: str,
    signed_api: SignedApi,
    regions: list[str],
    says: str,
) -> None:
    """As COPY_DESTINATION_REGIONS refuses them: over HTTP and invoked directly, before anything is read."""
    backup = seed(emu, volume(emu, compartment, "db06"), "db06-bk")
    fn = copy_fn(start_function)
    body = {"backupId": backup["id"], "regions": regions}
    answered = [fn.http(body, headers=GATEWAY_HEADERS).json(), fn.call(body).json()]
    for doc in answered:
        assert doc["status"] == 400 and doc["error"]["field"] == "regions", doc
        assert says in doc["error"]["message"], doc
    assert all(copies(signed_api, region, compartment) == [] for region in (DR2_REGION, "us-sanjose-1", DR_REGION))
    assert not [op for op in emu.calls() if op.endswith(("GetVolumeBackup", "CopyVolumeBackup"))]


BAD_REQUESTS: list[tuple[dict[str, Any], int, str | None]] = [
    ({"backupId": "ocid1.volume.oc1.iad.notabackup"}, 400, "backupId"),
    ({"backupId": "ocid1.volumegroup.oc1.iad.notabackup"}, 400, "backupId"),
    ({"backupId": "ocid1.volumebackup.oc1.iad.x", "regions": ["Phoenix"]}, 400, "regions"),
    ({"backupId": "ocid1.volumebackup.oc1.iad.x", "regions": []}, 400, "regions"),
    ({"backupId": "ocid1.volumebackup.oc1.iad.x", "region": "us-phoenix-1"}, 400, "region"),
    ({"regions": ["us-phoenix-1"]}, 400, "backupId"),
    ({"backupId": "ocid1.volumebackup.oc1.iad.doesnotexist"}, 404, None),
    ({"backupId": "ocid1.volumegroupbackup.oc1.iad.doesnotexist"}, 404, None),
]


def test_http_bad_requests_change_nothing(emu: EmulatorControl, start_function: StartFunction) -> None:
    fn = copy_fn(start_function)
    for body, status, field in BAD_REQUESTS:
        answer = fn.http(body, headers=GATEWAY_HEADERS)
        assert answer.http_status == status, (body, answer.body)
        error = answer.json()["error"]
        assert error["message"]
        if field:
            assert error["field"] == field, (body, error)
    assert [e for e in emu.events() if "backup" in e["event"]["eventType"]] == []


def test_http_backup_not_available_yet_is_202(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    vol = volume(emu, compartment, "db05")
    made = signed_api.post(f"{V}/volumeBackups", {"volumeId": vol, "freeformTags": MANAGED})
    answer = copy_fn(start_function).http({"backupId": made.json()["id"]}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 202
    assert answer.json()["counts"] == {"deferred": 1}


# --- retention ---------------------------------------------------------------------------------


def test_retention_prunes_only_the_tools_old_copies_and_keeps_the_last(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    a, lonely = volume(emu, compartment, "a"), volume(emu, compartment, "lonely")
    a_backups = {age: seed(emu, a, f"a-{age}d", age_days=age) for age in (10, 5, 1)}
    lonely_backup = seed(emu, lonely, "lonely-10d", age_days=10)
    by_hand = seed(emu, a, "a-20d", age_days=20)
    made = signed_api.post(f"{V}/volumeBackups/{by_hand['id']}/actions/copy", {"destinationRegion": DR_REGION})
    assert made.status_code == 200
    regions = f"{DR_REGION},{DR2_REGION}"
    first = copy_fn(start_function, regions, COPY_LOOKBACK_DAYS="30").call(b"").json()
    assert first["counts"] == {"copied": 9}, first  # 4 tool backups x 2 regions + a-20d to DR2 (none there yet)
    emu.advance(61)

    # phoenix keeps 3 days (the guard keeps the last copy of "lonely"); frankfurt keeps the newest 2 per volume
    config = {
        "COPY_LOOKBACK_DAYS": "30",
        "COPY_RETENTION_DAYS_BY_REGION": f"{DR_REGION}=3",
        "COPY_RETENTION_COUNT_BY_REGION": f"{DR2_REGION}=2",
    }
    fn = copy_fn(start_function, regions, **config)
    plan = fn.call({"trigger": "schedule", "dryRun": True}).json()
    assert plan["dryRun"] is True and plan["counts"] == {"planned": 4}, plan
    assert len(copies(signed_api, DR_REGION, compartment)) == 5  # nothing deleted by the plan

    result = fn.call(b"").json()
    assert result["counts"] == {"deleted": 4}, result
    every = [c for r in (DR_REGION, DR2_REGION) for c in copies_all(signed_api, r, compartment)]
    source_of = {c["id"]: c["sourceVolumeBackupId"] for c in every}
    pruned = {(i["region"], source_of[i["resourceId"]]) for i in items(result, "deleted", "prune-copy")}
    assert pruned == {
        (DR_REGION, a_backups[10]["id"]),
        (DR_REGION, a_backups[5]["id"]),
        (DR2_REGION, a_backups[10]["id"]),
        (DR2_REGION, by_hand["id"]),
    }
    assert sorted(c["lifecycleState"] for c in every) == ["AVAILABLE"] * 6 + ["TERMINATING"] * 4
    left = {c["sourceVolumeBackupId"] for c in copies(signed_api, DR_REGION, compartment)}
    assert left == {a_backups[1]["id"], lonely_backup["id"], by_hand["id"]}  # the hand-made copy stays
    left2 = {c["sourceVolumeBackupId"] for c in copies(signed_api, DR2_REGION, compartment)}
    assert left2 == {a_backups[5]["id"], a_backups[1]["id"], lonely_backup["id"]}

    # nothing pruned is copied again, and nothing more is pruned
    again = fn.call(b"").json()
    assert again["counts"] == {}, again


# --- faults ------------------------------------------------------------------------------------


def test_throttling_backs_off_and_tagging_failures_are_caught_up(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    vol = volume(emu, compartment, "db06")
    first = seed(emu, vol, "db06-a", announce=True)
    second = seed(emu, vol, "db06-b", announce=True)
    fn = copy_fn(start_function, DEADLINE_MARGIN_SECONDS="0")

    emu.faults([{"operation": "CopyVolumeBackup", "status": 429, "errorRate": 1.0, "count": 2}])
    result = fn.call(end_event(emu, first["id"])).json()
    assert result["counts"] == {"copied": 1}, result  # two 429s, backed off, third attempt went through

    emu.faults([{"operation": "CopyVolumeBackup", "status": 429, "errorRate": 1.0}])
    result = fn.call(end_event(emu, second["id"]), deadline_seconds=4).json()  # throttled until the deadline
    (item,) = result["items"]
    assert item["status"] == "deferred" and "429 TooManyRequests" in item["reason"], item

    emu.faults([{"operation": "UpdateVolumeBackup", "region": DR_REGION, "status": 500, "errorRate": 1.0}])
    result = fn.call(b"", deadline_seconds=3).json()  # the reconcile copies the deferred one; tagging fails
    (item,) = result["items"]
    assert item["status"] == "copied" and "not tagged or locked yet" in item["reason"], item
    assert any("not tagged or locked yet" in note for note in result["notes"])
    untagged = copies(signed_api, DR_REGION, compartment, source=second["id"])[0]
    assert SOURCE_KEY not in untagged["freeformTags"]

    emu.clear_faults()
    result = fn.call(b"").json()
    assert result["counts"] == {"updated": 1}, result
    (tagged,) = copies(signed_api, DR_REGION, compartment, source=second["id"])
    assert tagged["freeformTags"][SOURCE_KEY] == second["id"]


def test_unknown_destination_fails_that_region_only(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    emu.settings(subscribed_regions=[HOME_REGION, DR_REGION])
    backup = seed(emu, volume(emu, compartment, "db07"), "db07-bk", announce=True)
    result = copy_fn(start_function, f"{DR2_REGION},{DR_REGION}").call(end_event(emu, backup["id"])).json()
    assert result["counts"] == {"copied": 1, "failed": 1}, result
    (failed,) = items(result, "failed")
    assert failed["region"] == DR2_REGION and "not subscribed" in failed["reason"]


# --- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({}, "COPY_DESTINATION_REGIONS"),
        ({"COPY_DESTINATION_REGIONS": "phoenix"}, "COPY_DESTINATION_REGIONS"),
        ({"COPY_DESTINATION_REGIONS": DR_REGION, "COPY_KMS_KEY_IDS": f"{DR2_REGION}={KEY_PHX}"}, "COPY_KMS_KEY_IDS"),
        ({"COPY_DESTINATION_REGIONS": DR_REGION, "COPY_MAX_IN_FLIGHT": "11"}, "COPY_MAX_IN_FLIGHT"),
    ],
)
def test_bad_configuration_is_named(start_function: StartFunction, config: dict[str, str], field: str) -> None:
    answer = start_function("copy_backup", config).http({"backupId": "x"}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 500
    assert answer.json()["error"]["field"] == field
