"""Backup-limit headroom through the real fdk process against the emulator: the limit and usage from the
Limits service where granted, from BACKUP_LIMIT when the call is refused or fails (the run goes on), the
section in the result, its digest line and gauges, and bad config values refused naming the key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator import EmulatorControl
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE
from tests.conftest import GATEWAY_HEADERS, HOME_REGION, StartFunction

HOUR = 3600.0
MANAGED = {MANAGED_BY_KEY: MANAGED_BY_VALUE}
# three sources a day kept a week: 8 backups each once retention caught up (7 AVAILABLE + the new one)
CONFIG = {"BACKUP_KINDS": "volume", "RETENTION_DAYS": "7", "SCHEDULE_PERIOD_HOURS": "24"}
SWEEP = {"trigger": "schedule", "schedule": "nightly", "dryRun": True}


def fleet(emu: EmulatorControl, compartment: str) -> None:
    """Three volumes in scope with 4 of the tool's backups and 2 of someone else's; 4 more backups in a
    compartment out of scope (the tenancy's usage counts them, the sweep does not see them)."""
    volumes = [emu.create_volume(HOME_REGION, compartment, f"db{n}")["id"] for n in range(3)]
    for age in (1, 2):
        emu.seed_backup(HOME_REGION, volumes[0], age_seconds=age * 24 * HOUR, freeform_tags=MANAGED)
        emu.seed_backup(HOME_REGION, volumes[1], age_seconds=age * 24 * HOUR, freeform_tags=MANAGED)
    emu.seed_backup(HOME_REGION, volumes[2], age_seconds=HOUR)  # not the tool's
    emu.seed_backup(HOME_REGION, volumes[2], age_seconds=2 * HOUR)
    emu.seed_backup(HOME_REGION, volumes[2], age_seconds=HOUR, lifecycle_state="TERMINATED")  # not counted
    elsewhere = str(emu.create_compartment("dev")["id"])
    other = emu.create_volume(HOME_REGION, elsewhere, "dev01")["id"]
    for _ in range(4):
        emu.seed_backup(HOME_REGION, other)


def gauges(emu: EmulatorControl) -> dict[str, float]:
    names = {"backup_headroom_days", "backups_used", "backup_limit"}
    found = {}
    for metric in emu.metrics():
        if metric["name"] in names:
            assert metric["dimensions"] == {"function": "create-backup", "region": HOME_REGION}
            found[metric["name"]] = metric["datapoints"][0]["value"]
    return found


def test_headroom_from_the_limits_service(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    fleet(emu, compartment)
    emu.grant_resource_availability()
    emu.settings(backup_count_limit=20)
    result = start_function("create_backup", CONFIG).call(SWEEP).json()
    assert "error" not in result, result
    assert result["backupHeadroom"] == {
        "limit": 20,
        "used": 10,  # the tenancy's (compartmentId: the tenancy): 6 in scope and 4 elsewhere
        "figuresFrom": "limits",
        "sources": 3,
        "toolBackups": 4,
        "backupsPerDay": 1.0,
        "keptPerSource": 8,
        "steadyState": 24,
        "steadyUsed": 30,  # the 6 others' + the tool's 24
        "daysToLimit": 3.3,  # (20 - 10) / 3 a day
    }
    assert emu.calls()[f"{HOME_REGION} GetResourceAvailability"] == 1
    (message,) = emu.messages(HOME_REGION, topic)
    assert (
        "Backup limit: 10 of 20 used (Limits service); the tool keeps 4 backups of 3 sources, 24 once its retention "
        "has caught up; at this retention the tenancy reaches 20 backups in 3 days."
    ) in message["body"]
    assert gauges(emu) == {"backup_headroom_days": 3.3, "backups_used": 10.0, "backup_limit": 20.0}


def test_headroom_from_the_config_key_when_the_limits_call_is_refused(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    fleet(emu, compartment)  # no `read resource-availability` granted: the Limits service answers 404
    result = start_function("create_backup", {**CONFIG, "BACKUP_LIMIT": "500"}).call(SWEEP).json()
    assert "error" not in result and result["posture"]["resources"] == 3, result
    headroom = result["backupHeadroom"]
    assert (headroom["limit"], headroom["used"], headroom["figuresFrom"]) == (500, 6, "BACKUP_LIMIT")  # in scope
    assert headroom["note"] == (
        "the Limits service refused (grant read resource-availability in the tenancy); "
        "usage is the backups listed in scope"
    )
    assert headroom["daysToLimit"] is None and headroom["steadyUsed"] == 26  # never: 26 < 500
    (message,) = emu.messages(HOME_REGION, topic)
    assert "Backup limit: 6 of 500 used (BACKUP_LIMIT; the Limits service refused" in message["body"]
    assert "; at this retention the tenancy never reaches 500 backups." in message["body"]
    assert gauges(emu) == {"backup_headroom_days": 36500.0, "backups_used": 6.0, "backup_limit": 500.0}


def test_a_failing_limits_service_does_not_fail_the_run(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    fleet(emu, compartment)
    emu.grant_resource_availability()
    emu.faults([{"operation": "GetResourceAvailability", "errorRate": 1.0, "status": 503}])
    result = start_function("create_backup", CONFIG).call(SWEEP).json()
    assert "error" not in result and result["status"] == 200, result
    headroom = result["backupHeadroom"]
    assert (headroom["limit"], headroom["figuresFrom"]) == (100_000, "BACKUP_LIMIT")  # the key's default
    assert headroom["note"].startswith("the Limits service did not answer: ")
    assert emu.calls()[f"{HOME_REGION} GetResourceAvailability"] == 2  # retried once, no more


def test_the_posture_question_answers_the_headroom(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    fleet(emu, compartment)
    emu.grant_resource_availability()
    fn = start_function("create_backup", CONFIG)
    answer = fn.http({"posture": True}, headers=GATEWAY_HEADERS).json()
    assert answer["backupHeadroom"]["used"] == 10 and answer["backupHeadroom"]["figuresFrom"] == "limits"
    assert "CreateVolumeBackup" not in " ".join(emu.calls())  # nothing written


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SCHEDULE_PERIOD_HOURS", "0"),
        ("SCHEDULE_PERIOD_HOURS", "daily"),
        ("BACKUP_LIMIT", "0"),
        ("BACKUP_LIMIT", "lots"),
    ],
)
def test_a_bad_config_value_is_refused_naming_the_key(start_function: StartFunction, key: str, value: str) -> None:
    bad = start_function("create_backup", {key: value}).http({}, headers=GATEWAY_HEADERS)
    error: dict[str, Any] = bad.json()["error"]
    assert bad.http_status == 500 and error["field"] == key, error


def test_a_hand_over_chain_reports_the_headroom_of_the_whole_scope(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    """The second compartment's backups cannot be listed at first: the first run hands its counts over with
    the posture, and the run that finishes the listing reports the headroom of all four sources."""
    other = str(emu.create_compartment("second")["id"])
    for where, name in ((compartment, "a"), (compartment, "b"), (other, "c"), (other, "d")):
        volume = emu.create_volume(HOME_REGION, where, name)["id"]
        emu.seed_backup(HOME_REGION, volume, age_seconds=24 * HOUR, freeform_tags=MANAGED)
    emu.seed_backup(HOME_REGION, volume, age_seconds=HOUR)  # d: someone else's too
    emu.grant_resource_availability()
    emu.faults([{"operation": "ListVolumeBackups", "after": 1, "count": 10, "errorRate": 1.0, "status": 503}])
    fn = start_function("create_backup", {**CONFIG, "COMPARTMENT_IDS": f"{compartment},{other}"})
    first = fn.call({"trigger": "schedule", "schedule": "nightly"}, deadline_seconds=60).json()
    assert "backupHeadroom" not in first and first["counts"] == {"created": 2}, first
    (handed,) = [json.loads(i["body"]) for i in emu.invocations()]
    assert handed["posture"]["headroom"] == {"sources": 2, "toolBackups": 2, "backups": 2}
    emu.faults([])
    second = fn.call(handed, deadline_seconds=60).json()
    headroom = second["backupHeadroom"]
    assert (headroom["sources"], headroom["toolBackups"], headroom["steadyState"]) == (4, 4, 32), second
    assert headroom["used"] == 9  # the Limits service, at the end of the chain: 5 seeded and 2 new per run
    bad = fn.call(
        {**handed, "posture": {**handed["posture"], "headroom": {"sources": -1, "toolBackups": 0, "backups": 0}}}
    )
    refused = bad.json()  # a direct invoke: the status is in the result
    assert refused["status"] == 400 and refused["error"]["field"] == "posture.headroom.sources", refused
    bad_count = fn.call({**handed, "posture": {**handed["posture"], "resources": "many"}}).json()
    assert bad_count["status"] == 400 and bad_count["error"]["field"] == "posture.resources", bad_count
