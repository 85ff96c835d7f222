"""What an operator is told: a failed run counts as failed, the digest goes before the metrics, event runs
speak only of failures and one root cause makes one message, and a digest a person can act on. Through the
real fdk process against the emulator."""

from __future__ import annotations

import time
from typing import Any

from emulator import EmulatorControl
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE
from tests.conftest import DR_REGION, GATEWAY_HEADERS, HOME_REGION, StartFunction

MANAGED = {MANAGED_BY_KEY: MANAGED_BY_VALUE}
POSTED = f"{HOME_REGION} PostMetricData"


def gauges(emu: EmulatorControl, name: str) -> list[tuple[dict[str, str], float]]:
    return [(m["dimensions"], float(m["datapoints"][-1]["value"])) for m in emu.metrics() if m["name"] == name]


def titles(emu: EmulatorControl, topic: str) -> list[str]:
    return [str(m["title"]) for m in emu.messages(HOME_REGION, topic)]


# --- 1. a failed run counts as failed ------------------------------------------------------------------


def test_a_run_that_ends_in_an_error_counts_as_failed_and_its_digest_says_what_failed(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    emu.create_volume(HOME_REGION, compartment, "db-01", freeform_tags={"backup": "daily"})
    emu.faults([{"operation": "ListVolumes", "errorRate": 1.0, "status": 501}])  # not retried: fails at once
    fn = start_function("create_backup", {"BACKUP_KINDS": "volume"})
    result = fn.call({"trigger": "schedule", "schedule": "nightly"}).json()
    assert result["status"] == 500 and "ListVolumes" in result["error"] and result["counts"] == {}, result
    dims = {"function": "create-backup", "trigger": "schedule"}
    assert (dims, 1.0) in gauges(emu, "run_failed")
    assert ({**dims, "status": "failed"}, 1.0) in gauges(emu, "run_items")  # the error counts as one failed
    (title,) = titles(emu, topic)
    assert title.startswith(f"[FAILED] create-backup (schedule, {HOME_REGION}): run failed: ListVolumes"), title
    assert "nothing to do" not in title
    body = emu.messages(HOME_REGION, topic)[0]["body"]
    assert "Error: ListVolumes" in body and "Next step: the next scheduled sweep retries" in body

    emu.clear_faults()
    fine = fn.call({"trigger": "schedule", "schedule": "nightly", "slot": "2"}).json()
    assert fine["status"] == 200, fine
    assert [value for d, value in gauges(emu, "run_failed")] == [1.0, 0.0]  # the next run lets the alarm clear


# --- 5. the digest first, a bounded share of the time for the metrics -----------------------------------


def test_a_slow_monitoring_endpoint_never_costs_the_digest(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    emu.create_volume(HOME_REGION, compartment, "db-01")
    emu.faults([{"operation": "PostMetricData", "latencySeconds": 60}])
    fn = start_function("create_backup", {"BACKUP_KINDS": "volume"})
    result = fn.call({"trigger": "schedule", "dryRun": True}, deadline_seconds=30).json()
    assert result["status"] == 200 and result["counts"] == {"planned": 1}, result
    assert result.get("digestMessageId"), result["notes"]
    assert [t for t in titles(emu, topic) if t.startswith("[ok] create-backup (schedule")]
    assert len([n for n in result["notes"] if n.startswith("metrics not posted")]) == 1
    assert not [n for n in result["notes"] if n.startswith("digest not published")]


def test_under_a_429_storm_the_metrics_try_a_few_times_only(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    emu.create_volume(HOME_REGION, compartment, "db-01")
    emu.faults([{"operation": "PostMetricData", "errorRate": 1.0, "status": 429}])
    fn = start_function("create_backup", {"BACKUP_KINDS": "volume"})
    result = fn.call({"trigger": "schedule", "dryRun": True}, deadline_seconds=30).json()
    assert result["status"] == 200 and result.get("digestMessageId"), result
    assert 1 <= emu.calls()[POSTED] <= 3  # METRICS_RETRY: three attempts at most (was 30 in 25 s)
    assert [n for n in result["notes"] if n.startswith("metrics not posted") and "429" in n]


# --- 6. events speak of failures only; one root cause, one message ---------------------------------------


def _backup(emu: EmulatorControl, compartment: str, name: str) -> dict[str, Any]:
    volume = emu.create_volume(HOME_REGION, compartment, name)["id"]
    return emu.seed_backup(HOME_REGION, volume, display_name=f"{name}-bk", freeform_tags=MANAGED, announce=True)


def _end_event(emu: EmulatorControl, backup_id: str) -> dict[str, Any]:
    return next(e for e in emu.event_envelopes("createvolumebackup.end") if e["data"]["resourceId"] == backup_id)


def _to_next_window(seconds: int) -> None:
    """Sleep to just past the next multiple of ``seconds`` (windows start at multiples of their length)."""
    time.sleep(seconds - time.time() % seconds + 0.05)


def test_event_runs_publish_only_failures_and_one_per_root_cause_per_window(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    window = 4
    backups = [_backup(emu, compartment, f"db-{n:02}") for n in range(5)]
    fn = start_function(
        "copy_backup", {"COPY_DESTINATION_REGIONS": DR_REGION, "NOTIFY_FAILURE_WINDOW_SECONDS": str(window)}
    )
    fine = fn.call(_end_event(emu, backups[0]["id"])).json()
    assert fine["counts"] == {"copied": 1} and titles(emu, topic) == []  # NOTIFY_ON_EVENTS=failures: quiet

    emu.faults([{"operation": "CopyVolumeBackup", "errorRate": 1.0, "status": 501}])  # one root cause
    _to_next_window(window)
    answers = [fn.call(_end_event(emu, b["id"])).json() for b in backups[1:4]]
    assert [a["counts"] for a in answers] == [{"failed": 1}] * 3
    (first,) = titles(emu, topic)  # three failures, one message
    assert first.startswith(f"[FAILED] copy-backup (event, {HOME_REGION}): 1 failed"), first
    assert answers[0].get("digestMessageId")
    for held in answers[1:]:
        assert not held.get("digestMessageId")
        assert [n for n in held["notes"] if n.startswith("digest held back: failure ")], held["notes"]
    body = emu.messages(HOME_REGION, topic)[0]["body"]
    assert "Failure key: " in body and "Next step: the hourly reconcile retries what failed" in body

    _to_next_window(window)
    later = fn.call(_end_event(emu, backups[4]["id"])).json()
    assert later.get("digestMessageId"), later
    second = emu.messages(HOME_REGION, topic)[-1]["body"]
    assert "Held back: 2 more runs failed the same way since" in second
    assert len(titles(emu, topic)) == 2

    schedule = start_function("copy_backup", {"COPY_DESTINATION_REGIONS": DR_REGION})
    schedule.call({"trigger": "schedule", "schedule": "reconcile"})  # schedules keep NOTIFY_ON (all)
    assert len(titles(emu, topic)) == 3


# --- 7. a digest a person acts on -------------------------------------------------------------------------


def test_the_digest_names_the_deployment_region_and_call_and_shortens_ids(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "db-01", freeform_tags={"backup": "daily"})["id"]
    fn = start_function("create_backup", {"NAME_PREFIX": "prod-backup", "BACKUP_KINDS": "volume"})
    answer = fn.http({"volumeId": volume}, headers=GATEWAY_HEADERS)
    result = answer.json()
    (message,) = emu.messages(HOME_REGION, topic)
    assert message["title"] == f"[ok] prod-backup create-backup (http, {HOME_REGION}): 1 created", message["title"]
    body = str(message["body"])
    assert f"call id {result['callId']} (the function logs are keyed by it)" in body
    items = body.split("Items:")[1].split("Result (JSON):")[0]
    assert volume not in items and f"ocid1.volume...{volume[-6:]}" not in items  # the name, not the id
    assert f"ocid1.volumebackup...{result['items'][0]['resultId'][-6:]}" in items  # the backup made, shortened
    assert result["items"][0]["resultId"] in body.split("Result (JSON):")[1]  # whole in the JSON


def test_the_posture_line_says_which_unprotected_resources_this_run_started_a_backup_of(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    emu.create_volume(HOME_REGION, compartment, "db-legacy", freeform_tags={"backup": "daily"})
    fn = start_function("create_backup", {"BACKUP_KINDS": "volume", "SELECTOR": "backup=daily"})
    result = fn.call({"trigger": "schedule", "schedule": "nightly"}).json()
    assert result["counts"] == {"created": 1} and result["posture"]["unprotected"], result
    body = str(emu.messages(HOME_REGION, topic)[-1]["body"])
    assert "Backups started by this run for unprotected resources (counted once AVAILABLE): db-legacy." in body
