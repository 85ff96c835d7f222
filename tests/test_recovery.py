"""Recovery mode of restore-backup through the real fdk process against the emulator: the plan picks the
newest copy at or before the point in time per source, prefers the group backup and names the sources
without a usable backup; a stale planId is 409 and creates nothing; apply twice and concurrently creates
each resource once; sources and backups unchanged; a deadline mid-apply hands over and finishes exactly
once; progress; each refused input a 400 naming its field, a compartmentId outside COMPARTMENT_IDS (and
their subtrees) among them; only RECOVERY_ALLOWED_SUBJECTS apply over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from shared.rules import recovery as rules
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE, SOURCE_KEY, SOURCE_REGION_KEY
from tests.conftest import DR_REGION, GATEWAY_HEADERS, HOME_REGION, StartFunction
from tests.fdk_harness import FdkProcess

V = "/20160918"
HOUR = 3600.0
CREATES = ("CreateVolume", "CreateBootVolume", "CreateVolumeGroup")
OPERATOR = GATEWAY_HEADERS["X-Auth-Subject"]


@pytest.fixture(autouse=True)
def quick(emu: EmulatorControl) -> None:
    """Copies AVAILABLE at once (the point in time is the function's clock: the emulator's is not moved)."""
    emu.settings(creating_after=0, committed_after=0, available_after=0, copy_available_after=0)


class Deployment(NamedTuple):
    target: str  # the recovery compartment
    topic: str  # the DR region's report topic
    sandbox: str  # restore-backup's restore-test sandbox


@pytest.fixture
def deployment(emu: EmulatorControl, compartment: str) -> Deployment:
    target = str(emu.create_compartment("recovery")["id"])
    topic = str(emu.create_topic(DR_REGION, compartment, "dr-results")["topicId"])
    return Deployment(target, topic, str(emu.create_compartment("restore-sandbox")["id"]))


@pytest.fixture
def fn(start_function: StartFunction, deployment: Deployment) -> FdkProcess:
    return recovery_fn(start_function, deployment)


Recover = Callable[..., dict[str, Any]]


@pytest.fixture
def recover(compartment: str, deployment: Deployment) -> Recover:
    """``recover(**fields)``: the request recovering ``compartment`` into the deployment's target compartment
    as it was three hours ago, in the DR region; ``fields`` (wire names) change or add to it."""

    def request(**fields: Any) -> dict[str, Any]:
        point = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
        base = {"region": DR_REGION, "compartmentId": compartment, "targetCompartmentId": deployment.target}
        return {"recover": {**base, "pointInTime": point, **fields}}

    return request


def recovery_fn(start_function: StartFunction, deployment: Deployment, **config: str) -> FdkProcess:
    """restore-backup deployed in the DR region (the home region is the one lost)."""
    return start_function(
        "restore_backup",
        {
            "RESTORE_COMPARTMENT_ID": deployment.sandbox,
            "NOTIFICATION_TOPIC_ID": deployment.topic,
            "RECOVERY_COMPARTMENT_IDS": deployment.target,
            "RECOVERY_ALLOWED_SUBJECTS": OPERATOR,
            **config,
        },
        region=DR_REGION,
    )


def copy_to_dr(api: SignedApi, backup: dict[str, Any], *, tool: bool = True) -> dict[str, Any]:
    """Copy a home backup to the DR region and tag the copy as copy-backup does."""
    collection = "volumeGroupBackups" if ".volumegroupbackup." in backup["id"] else "volumeBackups"
    if ".bootvolumebackup." in backup["id"]:
        collection = "bootVolumeBackups"
    answer = api.post(f"{V}/{collection}/{backup['id']}/actions/copy", {"destinationRegion": DR_REGION})
    assert answer.status_code == 200, answer.text
    copy: dict[str, Any] = answer.json()
    if tool:
        tags = {MANAGED_BY_KEY: MANAGED_BY_VALUE, SOURCE_KEY: backup["id"], SOURCE_REGION_KEY: HOME_REGION}
        tagged = api.put(f"{V}/{collection}/{copy['id']}", {"freeformTags": tags}, region=DR_REGION)
        assert tagged.status_code == 200, tagged.text
        copy = tagged.json()
    return copy


class Fleet:
    def __init__(self, emu: EmulatorControl, api: SignedApi, compartment: str) -> None:
        """db-01: backups 30 h and 20 h old; app-vg (app-1, app-2): a group backup 18 h old, and app-1 a
        newer backup of its own (2 h); web-01 (boot): 10 h; new-01: only a backup 1 h old. All copied to DR."""
        self.db = emu.create_volume(HOME_REGION, compartment, "db-01", size_in_gbs=100)
        self.web = emu.create_boot_volume(
            HOME_REGION, compartment, "web-01", size_in_gbs=50, image_id="ocid1.image.oc1..i"
        )
        self.apps = [emu.create_volume(HOME_REGION, compartment, f"app-{n}", size_in_gbs=50) for n in (1, 2)]
        self.group = emu.create_volume_group(HOME_REGION, compartment, "app-vg", [a["id"] for a in self.apps])
        self.new = emu.create_volume(HOME_REGION, compartment, "new-01", size_in_gbs=50)
        seed = emu.seed_backup
        self.db_old = seed(HOME_REGION, self.db["id"], display_name="db-01-old", age_seconds=30 * HOUR)
        self.db_newer = seed(HOME_REGION, self.db["id"], display_name="db-01-newer", age_seconds=20 * HOUR)
        self.group_backup = emu.seed_group_backup(
            HOME_REGION, self.group["id"], display_name="app-vg-n", age_seconds=18 * HOUR
        )
        self.app_own = seed(HOME_REGION, self.apps[0]["id"], display_name="app-1-own", age_seconds=2 * HOUR)
        self.web_backup = seed(HOME_REGION, self.web["id"], boot=True, display_name="web-01-n", age_seconds=10 * HOUR)
        self.new_backup = seed(HOME_REGION, self.new["id"], display_name="new-01-n", age_seconds=1 * HOUR)
        originals = [self.db_old, self.db_newer, self.group_backup, self.app_own, self.web_backup, self.new_backup]
        self.copies = {b["id"]: copy_to_dr(api, b) for b in originals}

    def copy_of(self, backup: dict[str, Any]) -> str:
        return str(self.copies[backup["id"]]["id"])


@pytest.fixture
def fleet(emu: EmulatorControl, signed_api: SignedApi, compartment: str) -> Fleet:
    return Fleet(emu, signed_api, compartment)


@pytest.fixture
def plan_id(fleet: Fleet, fn: FdkProcess, recover: Recover) -> str:
    """The planId of restore-backup's plan (in the DR region) of the fleet three hours ago."""
    return str(fn.call(recover()).json()["recovery"]["planId"])


def creates(emu: EmulatorControl) -> int:
    calls = emu.calls()
    return sum(calls.get(f"{DR_REGION} {op}", 0) for op in CREATES)


def etags(api: SignedApi, ids: list[tuple[str, str, str]]) -> dict[str, str]:
    return {rid: api.get(f"{V}/{coll}/{rid}", region=region).headers["etag"] for coll, rid, region in ids}


def test_plan_picks_the_newest_copy_per_source_prefers_the_group_and_names_the_unusable(
    emu: EmulatorControl, fleet: Fleet, fn: FdkProcess, recover: Recover, deployment: Deployment
) -> None:
    answer = fn.call(recover())
    assert answer.json()["status"] == 200, answer.body
    plan = answer.json()["recovery"]
    chosen = {s["sourceId"]: s for s in plan["sources"]}
    assert set(chosen) == {fleet.db["id"], fleet.group["id"], fleet.web["id"]}
    assert chosen[fleet.db["id"]]["backupId"] == fleet.copy_of(fleet.db_newer)  # not the older one
    assert chosen[fleet.web["id"]]["creates"] == "bootVolume"
    group = chosen[fleet.group["id"]]
    assert group["backupId"] == fleet.copy_of(fleet.group_backup) and group["creates"] == "volumeGroup"
    assert {m["sourceId"] for m in group["members"]} == {a["id"] for a in fleet.apps}  # app-1's own newer: not used
    assert 20 * HOUR - 3 * HOUR - 60 < chosen[fleet.db["id"]]["achievedRecoveryPointSeconds"] < 17 * HOUR + 60
    assert [(u["sourceId"], u["reason"]) for u in plan["unusable"]] == [(fleet.new["id"], rules.ALL_NEWER)]
    assert plan["totals"]["creates"] == {"volume": 3, "bootVolume": 1, "volumeGroup": 1}
    assert plan["totals"]["sizeInGBs"] == 100 + 50 + 100
    assert len(plan["planId"]) == rules.PLAN_ID_LENGTH and plan["applied"] is False
    assert plan["availabilityDomain"]
    assert creates(emu) == 0
    assert emu.messages(DR_REGION, deployment.topic) == []  # a plan is read-only: nothing published


def test_apply_creates_each_resource_once_even_twice_and_concurrently_and_writes_no_source(
    fleet: Fleet, fn: FdkProcess, recover: Recover, plan_id: str, signed_api: SignedApi, deployment: Deployment
) -> None:
    watched = [("volumes", fleet.db["id"], HOME_REGION), ("volumeGroups", fleet.group["id"], HOME_REGION)]
    watched += [("volumeBackups", fleet.copy_of(fleet.db_newer), DR_REGION)]
    watched += [("volumeGroupBackups", fleet.copy_of(fleet.group_backup), DR_REGION)]
    before = etags(signed_api, watched)
    apply = recover(planId=plan_id)
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: fn.call(apply).json(), range(2))
    for result in (first, second):
        assert result["status"] == 200, result
    created = [i for r in (first, second) for i in r["items"] if i["status"] == "created"]
    assert sorted(i["resourceId"] for i in created) == sorted([fleet.db["id"], fleet.group["id"], fleet.web["id"]])
    third = fn.call(apply).json()
    assert third["counts"] == {"skipped": 3}, third
    listed = {
        coll: signed_api.get(f"{V}/{coll}", params={"compartmentId": deployment.target}, region=DR_REGION).json()
        for coll in ("volumes", "bootVolumes", "volumeGroups")
    }
    groups = listed["volumeGroups"]
    assert len(groups) == 1 and len(listed["bootVolumes"]) == 1
    assert len(listed["volumes"]) == 3  # db-01 and the group's two
    for resource in [*groups, *listed["bootVolumes"]]:
        tags = resource["freeformTags"]
        assert tags[rules.RECOVERY_PLAN] == plan_id and tags[rules.RECOVERED_FROM_SOURCE]
    db = next(v for v in listed["volumes"] if v["freeformTags"].get(rules.RECOVERED_FROM_SOURCE) == fleet.db["id"])
    assert db["freeformTags"][rules.RECOVERED_FROM_BACKUP] == fleet.copy_of(fleet.db_newer)
    assert etags(signed_api, watched) == before  # sources and backups never written
    assert "recovery" in third and third["recovery"]["applied"] is True


def test_a_stale_plan_id_is_409_with_the_new_plan_and_creates_nothing(
    emu: EmulatorControl, fleet: Fleet, fn: FdkProcess, recover: Recover, plan_id: str, signed_api: SignedApi
) -> None:
    newer = emu.seed_backup(HOME_REGION, fleet.db["id"], display_name="db-01-newest", age_seconds=4 * HOUR)
    copy_to_dr(signed_api, newer)
    answer = fn.call(recover(planId=plan_id))
    assert answer.json()["status"] == 409, answer.body
    doc = answer.json()
    assert doc["error"]["field"] == "recover.planId"
    assert doc["plan"]["planId"] != plan_id
    assert {s["sourceId"]: s["backupId"] for s in doc["plan"]["sources"]}[fleet.db["id"]] != fleet.copy_of(
        fleet.db_newer
    )
    assert creates(emu) == 0


def test_a_deadline_mid_apply_hands_over_and_finishes_exactly_once(
    emu: EmulatorControl,
    start_function: StartFunction,
    compartment: str,
    signed_api: SignedApi,
    deployment: Deployment,
    recover: Recover,
) -> None:
    volumes = [emu.create_volume(HOME_REGION, compartment, f"v-{n}", size_in_gbs=50) for n in range(6)]
    for volume in volumes:
        copy_to_dr(signed_api, emu.seed_backup(HOME_REGION, volume["id"], age_seconds=5 * HOUR))
    fn = recovery_fn(start_function, deployment, MAX_CONCURRENCY="1", DEADLINE_MARGIN_SECONDS="20")
    plan_id = fn.call(recover()).json()["recovery"]["planId"]
    emu.faults([{"operation": "CreateVolume", "latencySeconds": 1.5}])
    first = fn.call(recover(planId=plan_id), deadline_seconds=24)
    assert first.json()["status"] == 202, first.body
    result = first.json()
    assert result["counts"].get("deferred", 0) > 0 and result["counts"].get("failed", 0) == 0, result
    (handover,) = emu.invocations()
    assert handover["invokeType"] == "detached"
    payload = json.loads(handover["body"])
    assert (
        payload["recover"]["planId"] == plan_id and len(payload["recover"]["sourceIds"]) == result["counts"]["deferred"]
    )
    emu.clear_faults()
    second = fn.call(payload).json()
    assert second["status"] == 200 and set(second["counts"]) == {"created"}, second
    created = [i["resourceId"] for r in (result, second) for i in r["items"] if i["status"] == "created"]
    assert sorted(created) == sorted(v["id"] for v in volumes)
    assert emu.calls()[f"{DR_REGION} CreateVolume"] == 6


def test_progress_answers_created_available_failed(
    emu: EmulatorControl, fleet: Fleet, fn: FdkProcess, recover: Recover, plan_id: str
) -> None:
    assert fn.call(recover(planId=plan_id)).json()["status"] == 200
    status = {**recover(planId=plan_id), "status": True}
    early = fn.call(status).json()["recoveryProgress"]
    assert early["planId"] == plan_id and early["counts"]["created"] == 3
    emu.advance(3600)
    later = fn.call(status).json()["recoveryProgress"]
    assert later["counts"] == {"created": 3, "available": 3, "failed": 0}, later
    assert {r["sourceId"] for r in later["resources"]} == {fleet.db["id"], fleet.group["id"], fleet.web["id"]}
    assert all(r["restoreSeconds"] >= 0 and r["upperBound"] for r in later["resources"])


def refusal(fn: FdkProcess, doc: dict[str, Any]) -> tuple[int, str | None]:
    answer = fn.call(doc)  # a direct invoke: the status is the document's
    doc = answer.json()
    return doc["status"], doc.get("error", {}).get("field")


@pytest.mark.usefixtures("fleet")
def test_each_refused_input_is_a_400_naming_its_field(
    emu: EmulatorControl,
    start_function: StartFunction,
    compartment: str,
    fn: FdkProcess,
    recover: Recover,
    deployment: Deployment,
) -> None:
    other = str(emu.create_compartment("elsewhere")["id"])
    empty = str(emu.create_compartment("empty", parent_id=compartment)["id"])  # in scope, no backup
    emu.settings(subscribed_regions=[HOME_REGION, DR_REGION])
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    ancient = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    cases = {
        "recover.region": recover(region="eu-frankfurt-1"),
        "recover.targetCompartmentId": recover(targetCompartmentId=other),
        "recover.targetCompartmentId ": recover(targetCompartmentId=deployment.sandbox),
        "recover.pointInTime": recover(pointInTime=future),
        "recover.compartmentId": recover(compartmentId=empty),
        "recover.selector": recover(selector="app=none"),
        "recover.availabilityDomain": recover(availabilityDomain="Uocm:NOWHERE-AD-9"),
    }
    cases["recover.selector"]["recover"].pop("compartmentId")
    for field, doc in cases.items():
        assert refusal(fn, doc) == (400, field.strip()), field
    assert refusal(fn, recover(pointInTime=ancient)) == (400, "recover.pointInTime")
    assert refusal(fn, {**recover(), "status": True})[0] == 400
    off = recovery_fn(start_function, deployment, RECOVERY_COMPARTMENT_IDS="")
    assert refusal(off, recover()) == (400, "recover")
    assert creates(emu) == 0


def test_a_recovery_reads_only_within_the_functions_scope(
    emu: EmulatorControl,
    signed_api: SignedApi,
    compartment: str,
    fn: FdkProcess,
    recover: Recover,
    deployment: Deployment,
) -> None:
    """``compartmentId`` must be one of COMPARTMENT_IDS or below one, as in every request: a compartment with
    copies the function could read, outside its configuration, is a 400 naming recover.compartmentId for a
    plan, an apply and a progress question alike, and nothing is created or published."""
    below = str(emu.create_compartment("team", parent_id=compartment)["id"])
    outside = str(emu.create_compartment("elsewhere")["id"])
    for where, name in ((below, "team-db"), (outside, "other-db")):
        volume = emu.create_volume(HOME_REGION, where, name, size_in_gbs=50)
        copy_to_dr(signed_api, emu.seed_backup(HOME_REGION, volume["id"], age_seconds=5 * HOUR))
    planned = fn.call(recover(compartmentId=below)).json()
    assert planned["status"] == 200 and len(planned["recovery"]["sources"]) == 1, planned
    plan_id = planned["recovery"]["planId"]
    asked = [recover(compartmentId=outside), recover(compartmentId=outside, planId=plan_id)]
    asked.append({**recover(compartmentId=outside, planId=plan_id), "status": True})
    answered = [fn.call(doc).json() for doc in asked]
    answered.append(fn.http(recover(compartmentId=outside, planId=plan_id), headers=GATEWAY_HEADERS).json())
    for refused in answered:
        assert refused["status"] == 400 and refused["error"]["field"] == "recover.compartmentId", refused
        assert f"{outside} is not in COMPARTMENT_IDS or below them" in refused["error"]["message"]
    assert creates(emu) == 0
    assert emu.messages(DR_REGION, deployment.topic) == []


@pytest.mark.usefixtures("fleet")
def test_only_allowed_subjects_apply_over_http_and_the_refusal_is_published(
    emu: EmulatorControl, fn: FdkProcess, recover: Recover, deployment: Deployment
) -> None:
    intern = {**GATEWAY_HEADERS, "X-Auth-Subject": "ocid1.user.oc1..intern"}
    planned = fn.http(recover(), headers=intern)
    assert planned.http_status == 200  # planning is open to any authenticated caller
    apply = recover(planId=planned.json()["recovery"]["planId"])
    refused = fn.http(apply, headers=intern)
    assert refused.http_status == 403, refused.body
    assert creates(emu) == 0
    messages = emu.messages(DR_REGION, deployment.topic)
    assert any("refused" in m["body"] and "intern" in m["body"] for m in messages), messages
    allowed = fn.http(apply, headers=GATEWAY_HEADERS)
    assert allowed.http_status == 200 and allowed.json()["counts"] == {"created": 3}, allowed.body


def test_copies_without_their_source_id_are_traced_through_their_originals(
    emu: EmulatorControl, compartment: str, signed_api: SignedApi, fn: FdkProcess, recover: Recover
) -> None:
    """Where OCI does not keep volumeId / bootVolumeId on a copy, the plan reads the originals in the region
    the copy came from (its backup-source-region tag), while that region answers."""
    emu.settings(copies_keep_source_id=False)
    fleet = Fleet(emu, signed_api, compartment)  # copied under that setting
    plan = fn.call(recover()).json()["recovery"]
    chosen = {s["sourceId"]: s["backupId"] for s in plan["sources"]}
    assert chosen == {
        fleet.db["id"]: fleet.copy_of(fleet.db_newer),
        fleet.group["id"]: fleet.copy_of(fleet.group_backup),
        fleet.web["id"]: fleet.copy_of(fleet.web_backup),
    }
    assert plan["totals"]["untracedCopies"] == 0
    assert emu.calls().get(f"{HOME_REGION} ListVolumeBackups", 0) >= 1  # the originals, read at home
