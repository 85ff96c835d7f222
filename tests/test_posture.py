"""Protection posture through the real fdk process against the emulator: RPO and DR posture in the
result, the digest and the metrics; ``{"posture": true}`` / ``{"drPosture": true}`` questions; metrics
outages. (The 2,000-volume sweep's call count is asserted in test_create_backup.py.)"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE
from tests.conftest import DR_REGION, GATEWAY_HEADERS, HOME_REGION, StartFunction

HOUR = 3600.0
DR2_REGION = "eu-frankfurt-1"
TAGGED = {"backup": "daily"}
MANAGED = {MANAGED_BY_KEY: MANAGED_BY_VALUE}
CREATE = {"SELECTOR": "backup=daily", "BACKUP_KINDS": "volume"}
COPY = {"COPY_DESTINATION_REGIONS": f"{DR_REGION},{DR2_REGION}"}
READS = ("List", "Get")


def volume(emu: EmulatorControl, compartment: str, name: str, tags: dict[str, str] | None = None) -> str:
    return str(emu.create_volume(HOME_REGION, compartment, name, freeform_tags=TAGGED if tags is None else tags)["id"])


def hours_ago(value: str | None) -> float | None:
    if value is None:
        return None
    return (datetime.now(UTC) - datetime.fromisoformat(value.replace("Z", "+00:00"))).total_seconds() / HOUR


def metric_values(emu: EmulatorControl, name: str) -> list[tuple[dict[str, str], float]]:
    return [(m["dimensions"], m["datapoints"][0]["value"]) for m in emu.metrics() if m["name"] == name]


def fleet(emu: EmulatorControl, signed_api: SignedApi, compartment: str) -> dict[str, str]:
    """fresh (someone else's backup, 2 h old), stale (31 h), never, busy (40 h old + one in progress),
    faulty (a FAULTY backup 1 h old), and an untagged volume out of scope."""
    ids = {name: volume(emu, compartment, f"{name}-01") for name in ("fresh", "stale", "never", "busy", "faulty")}
    emu.seed_backup(HOME_REGION, ids["fresh"], age_seconds=2 * HOUR)  # not the tool's: counts all the same
    emu.seed_backup(HOME_REGION, ids["stale"], age_seconds=31 * HOUR, freeform_tags=MANAGED)
    emu.seed_backup(HOME_REGION, ids["busy"], age_seconds=40 * HOUR, freeform_tags=MANAGED)
    started = signed_api.post("/20160918/volumeBackups", {"volumeId": ids["busy"], "displayName": "busy-now"})
    assert started.status_code == 200 and started.json()["lifecycleState"] == "REQUEST_RECEIVED"
    emu.seed_backup(HOME_REGION, ids["faulty"], age_seconds=HOUR, lifecycle_state="FAULTY")
    ids["other"] = volume(emu, compartment, "other-01", tags={})
    emu.seed_backup(HOME_REGION, ids["other"], age_seconds=90 * HOUR)
    return ids


def test_posture_counts_fresh_stale_never_and_in_progress(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str, topic: str
) -> None:
    ids = fleet(emu, signed_api, compartment)
    fn = start_function("create_backup", CREATE)
    answer = fn.call({"trigger": "schedule", "dryRun": True})
    assert answer.status == 200
    result = answer.json()
    posture = result["posture"]
    assert (posture["rpoHours"], posture["resources"], posture["protected"]) == (26, 5, 1)  # a nightly run + slack
    assert posture["unprotectedNotListed"] == 0
    unprotected = posture["unprotected"]
    assert [u["name"] for u in unprotected] == ["faulty-01", "never-01", "busy-01", "stale-01"]  # worst first
    assert unprotected[0] == {
        "resourceId": ids["faulty"],
        "name": "faulty-01",
        "kind": "volume",
        "compartmentId": compartment,
        "lastBackupAt": None,  # a FAULTY backup is no backup
    }
    assert unprotected[1]["lastBackupAt"] is None
    assert round(hours_ago(unprotected[2]["lastBackupAt"]) or 0) == 40  # the one in progress does not count
    assert round(hours_ago(unprotected[3]["lastBackupAt"]) or 0) == 31
    assert ids["other"] not in {u["resourceId"] for u in unprotected}  # not in scope (SELECTOR)

    (message,) = emu.messages(HOME_REGION, topic)
    assert (
        "Protection: 1 of 5 protected within 26 h; unprotected: faulty-01 (never), never-01 (never), "
        "busy-01 (last backup 40 h ago), stale-01 (last backup 31 h ago)"
    ) in message["body"]

    dims = {"function": "create-backup", "region": HOME_REGION}
    assert metric_values(emu, "resources_protected") == [(dims, 1.0)]
    assert metric_values(emu, "resources_unprotected") == [(dims, 4.0)]
    items = {d["status"]: v for d, v in metric_values(emu, "run_items")}
    assert items == {**{k: float(v) for k, v in result["counts"].items()}, "failed": 0.0}
    assert all(
        d["trigger"] == "schedule" and d["function"] == "create-backup" for d, _ in metric_values(emu, "run_items")
    )

    wider = start_function("create_backup", {**CREATE, "RPO_HOURS": "48"}).call({"trigger": "schedule", "dryRun": True})
    assert wider.json()["posture"]["protected"] == 3  # stale (31 h) and busy (40 h) are within 48 h


def test_the_sweep_backs_up_the_unprotected_and_the_next_run_counts_it(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    never = volume(emu, compartment, "new-01")
    fn = start_function("create_backup", CREATE)
    first = fn.call({"trigger": "schedule", "schedule": "nightly", "slot": "2026-11-22T02:00Z"}).json()
    assert first["counts"] == {"created": 1}
    assert first["posture"]["unprotected"][0]["resourceId"] == never  # measured before the backup
    emu.advance(61)  # the backup is AVAILABLE
    second = fn.call({"trigger": "schedule", "schedule": "nightly", "slot": "2026-11-23T02:00Z"}).json()
    assert (second["posture"]["protected"], second["posture"]["unprotected"]) == (1, [])
    assert [v for _, v in metric_values(emu, "resources_unprotected")] == [1.0, 0.0]


def test_posture_question_writes_nothing(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    fresh = volume(emu, compartment, "fresh-01")
    emu.seed_backup(HOME_REGION, fresh, age_seconds=HOUR)
    never = volume(emu, compartment, "never-01")
    elsewhere = str(emu.create_compartment("dev", parent_id=compartment)["id"])  # below COMPARTMENT_IDS
    volume(emu, elsewhere, "dev-01")
    events = len(emu.events())
    fn = start_function("create_backup", CREATE)

    answer = fn.http({"posture": True}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 200, answer.body
    result = answer.json()
    assert result["trigger"] == "http" and result["counts"] == {} and result.get("items", []) == []
    assert (result["posture"]["resources"], result["posture"]["protected"]) == (2, 1)
    assert [u["resourceId"] for u in result["posture"]["unprotected"]] == [never]

    other = fn.call({"posture": True, "compartmentId": elsewhere}).json()  # direct invoke, one compartment
    assert [u["name"] for u in other["posture"]["unprotected"]] == ["dev-01"]

    calls = emu.calls()
    assert all(op.split()[1].startswith(READS) for op in calls), calls  # only reads
    assert emu.messages(HOME_REGION, topic) == [] and emu.metrics() == [] and len(emu.events()) == events

    for body in ({"posture": True, "volumeId": fresh}, {"posture": True, "prune": True}, {"posture": "maybe"}):
        refused = fn.http(body, headers=GATEWAY_HEADERS)
        assert refused.http_status == 400, (body, refused.body)
    assert emu.messages(HOME_REGION, topic) == []


def copy_now(fn: Any, backup_id: str, regions: list[str]) -> None:
    result = fn.call({"backupId": backup_id, "regions": regions}).json()
    assert result["counts"] == {"copied": len(regions)}, result


def test_dr_posture_per_destination(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    a, b, c, d = (volume(emu, compartment, name) for name in ("a", "b", "c", "d"))
    a1 = emu.seed_backup(HOME_REGION, a, display_name="a-1", age_seconds=2 * HOUR, freeform_tags=MANAGED)["id"]
    emu.seed_backup(HOME_REGION, a, display_name="a-0", age_seconds=50 * HOUR, freeform_tags=MANAGED)
    emu.seed_backup(HOME_REGION, b, display_name="b-1", age_seconds=2 * HOUR, freeform_tags=MANAGED)
    c1 = emu.seed_backup(HOME_REGION, c, display_name="c-1", age_seconds=30 * HOUR, freeform_tags=MANAGED)["id"]
    emu.seed_backup(HOME_REGION, d, display_name="d-1", age_seconds=HOUR)  # not selected for copying
    fn = start_function("copy_backup", COPY)
    copy_now(fn, a1, [DR_REGION])
    copy_now(fn, c1, [DR_REGION, DR2_REGION])
    emu.advance(61)  # the copies are AVAILABLE
    before = Counter(emu.calls())
    published = len(emu.messages(HOME_REGION, topic))
    metrics = len(emu.metrics())

    answer = fn.call({"drPosture": True})
    assert answer.status == 200, answer.body
    dr = answer.json()["drPosture"]
    assert dr["rpoHours"] == 27 and set(dr["destinations"]) == {DR_REGION, DR2_REGION}
    phoenix, frankfurt = dr["destinations"][DR_REGION], dr["destinations"][DR2_REGION]
    assert (phoenix["sources"], phoenix["protected"]) == (3, 1)
    assert [(u["resourceId"], u["name"]) for u in phoenix["unprotected"]] == [(b, "b-1"), (c, "c-1")]
    assert phoenix["unprotected"][0]["lastCopyAt"] is None
    assert round(hours_ago(phoenix["unprotected"][1]["lastCopyAt"]) or 0) == 30  # copied, but taken 30 h ago
    assert (frankfurt["sources"], frankfurt["protected"]) == (3, 0)
    assert [u["name"] for u in frankfurt["unprotected"]] == ["a-1", "b-1", "c-1"]
    assert frankfurt["unprotected"][0]["kind"] == "volume"
    made = Counter(emu.calls()) - before
    assert all(op.split()[1].startswith(READS) for op in made), made  # nothing written
    assert len(emu.messages(HOME_REGION, topic)) == published and len(emu.metrics()) == metrics

    wider = start_function("copy_backup", {**COPY, "DR_RPO_HOURS": "36"}).call({"drPosture": True}).json()
    assert wider["drPosture"]["destinations"][DR_REGION]["protected"] == 2  # c's 30-hour-old copy counts

    reconcile = fn.call({"trigger": "schedule", "dryRun": True}).json()
    assert reconcile["drPosture"] == dr
    body = emu.messages(HOME_REGION, topic)[-1]["body"]
    assert (
        f"DR protection in {DR_REGION}: 1 of 3 protected within 27 h; "
        "unprotected: b-1 (never), c-1 (last copy 30 h ago)" in body
    )
    for name, region, value in (
        ("dr_sources_protected", DR_REGION, 1.0),
        ("dr_sources_unprotected", DR_REGION, 2.0),
        ("dr_sources_protected", DR2_REGION, 0.0),
        ("dr_sources_unprotected", DR2_REGION, 3.0),
    ):
        dims = {"function": "copy-backup", "region": HOME_REGION, "destination": region}
        assert (dims, value) in metric_values(emu, name), name

    refused = fn.http({"drPosture": True, "backupId": a1}, headers=GATEWAY_HEADERS)
    assert refused.http_status == 400 and refused.json()["error"]["field"] == "backupId"


def test_metrics_posted_after_every_run_and_valid(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    volume(emu, compartment, "v-01")
    metrics_compartment = str(emu.create_compartment("monitoring")["id"])
    config = {**CREATE, "METRICS_NAMESPACE": "blockbackup_prod", "METRICS_COMPARTMENT_ID": metrics_compartment}
    start_function("create_backup", config).call(b"")
    start_function("retag_group_backup").call({"trigger": "schedule"})
    posted = emu.metrics()  # the emulator kept only what passed Monitoring's validation
    assert {m["namespace"] for m in posted} == {"blockbackup_prod", "block_backup"}
    create = [m for m in posted if m["namespace"] == "blockbackup_prod"]
    assert {m["compartmentId"] for m in create} == {metrics_compartment}
    assert sorted(m["name"] for m in create) == [
        "backup_headroom_days",
        "backup_limit",
        "backups_used",
        "resources_protected",
        "resources_unprotected",
        "run_failed",
        "run_items",
        "run_items",
    ]
    assert emu.calls()[f"{HOME_REGION} PostMetricData"] == 2  # one call per run
    retag = [m for m in posted if m["namespace"] == "block_backup"]
    assert [(m["name"], m["dimensions"], m["compartmentId"]) for m in retag] == [
        ("run_items", {"function": "retag-group-backup", "trigger": "schedule", "status": "failed"}, compartment),
        ("run_failed", {"function": "retag-group-backup", "trigger": "schedule"}, compartment),
    ]
    start_function("create_backup", {**CREATE, "METRICS_NAMESPACE": ""}).call(b"")  # metrics off
    assert emu.calls()[f"{HOME_REGION} PostMetricData"] == 2


def test_a_metrics_outage_never_fails_the_run(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    volume(emu, compartment, "v-01")
    emu.faults([{"operation": "PostMetricData", "errorRate": 1.0, "status": 503}])
    fn = start_function("create_backup", CREATE)
    answer = fn.call({"trigger": "schedule", "dryRun": True})
    assert answer.status == 200
    result = answer.json()
    assert result["counts"] == {"planned": 1} and "error" not in result
    (note,) = [n for n in result["notes"] if n.startswith("metrics not posted")]
    assert "503" in note
    assert result.get("digestMessageId")  # the digest went first, so it says nothing of the metrics
    assert "metrics not posted" not in emu.messages(HOME_REGION, topic)[-1]["body"]
    assert any(line["message"] == "could not post the metrics" for line in fn.log_lines())

    emu.clear_faults()
    unknown = start_function("create_backup", {**CREATE, "METRICS_COMPARTMENT_ID": "ocid1.compartment.oc1..gone"})
    refused = unknown.call({"trigger": "schedule", "dryRun": True}).json()  # Monitoring refuses every metric
    assert any("InvalidParameter" in n and "not found" in n for n in refused["notes"]), refused["notes"]
    assert emu.metrics() == []


def test_posture_settings_are_checked(start_function: StartFunction) -> None:
    for handler, key, value in (
        ("create_backup", "RPO_HOURS", "0"),
        ("create_backup", "METRICS_NAMESPACE", "oci_backup"),
        ("copy_backup", "METRICS_NAMESPACE", "block-backup"),
        ("copy_backup", "DR_RPO_HOURS", "9000"),
        ("retag_group_backup", "METRICS_COMPARTMENT_ID", "prod"),
    ):
        config = {key: value, **(COPY if handler == "copy_backup" else {})}
        answer = start_function(handler, config).http({}, headers=GATEWAY_HEADERS)
        assert answer.http_status == 500 and answer.json()["error"]["field"] == key, (key, answer.body)
