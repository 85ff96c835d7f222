"""retag-group-backup through the real fdk process against the emulator.

Group backups are made by a signed CreateVolumeGroupBackup call (as a backup policy would) and brought to
AVAILABLE on the emulator clock; the function then names and tags them and their member backups.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from emulator.events import FAILED, make_event
from functions.retag_group_backup.settings import ORIGINAL_NAME_KEY, RETAGGED_BY_KEY, RETAGGED_BY_VALUE
from tests.conftest import GATEWAY_HEADERS, HOME_REGION, StartFunction
from tests.fdk_harness import FdkProcess

HANDLER = "retag_group_backup"
GROUP_BACKUPS = "/20160918/volumeGroupBackups"
MARKER = {RETAGGED_BY_KEY: RETAGGED_BY_VALUE}
ERP_TAGS = {"app": "erp", "cost-center": "42"}


# --- helpers ----------------------------------------------------------------------------------


def make_group_backup(
    emu: EmulatorControl,
    api: SignedApi,
    compartment: str,
    name: str = "erp-vg",
    *,
    tags: dict[str, str] | None = None,
    defined: dict[str, dict[str, Any]] | None = None,
    boot: bool = False,
    available: bool = True,
) -> dict[str, Any]:
    """A volume group of one volume (and a boot volume) and a policy-style group backup of it."""
    volume_ids = [emu.create_volume(HOME_REGION, compartment, f"{name}-data", freeform_tags={"disk": "data"})["id"]]
    if boot:
        volume_ids.append(emu.create_boot_volume(HOME_REGION, compartment, f"{name}-boot")["id"])
    group = emu.create_volume_group(
        HOME_REGION, compartment, name, volume_ids, freeform_tags=tags, defined_tags=defined
    )
    created = api.post(GROUP_BACKUPS, {"volumeGroupId": group["id"], "displayName": "policy-backup"})
    assert created.status_code == 200, created.text
    if available:
        emu.advance(120)
    return read(api, created.json()["id"])


def path_of(resource_id: str) -> str:
    collection = {
        "volumegroupbackup": "volumeGroupBackups",
        "volumebackup": "volumeBackups",
        "bootvolumebackup": "bootVolumeBackups",
    }[resource_id.split(".")[1]]
    return f"/20160918/{collection}/{resource_id}"


def read(api: SignedApi, resource_id: str) -> dict[str, Any]:
    response = api.get(path_of(resource_id))
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    doc["etag"] = response.headers["etag"]
    return doc


def write_tags(api: SignedApi, resource_id: str, **tags: str) -> None:
    """Another writer: GET, add tags, PUT with if-match (a well-behaved optimistic writer)."""
    current = read(api, resource_id)
    body = {"freeformTags": {**current["freeformTags"], **tags}}
    response = api.put(path_of(resource_id), body, headers={"if-match": current["etag"]})
    assert response.status_code == 200, response.text


def items_by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["resourceId"]: item for item in result["items"]}


def updates(emu: EmulatorControl) -> list[dict[str, Any]]:
    return [e for e in emu.event_envelopes() if e["eventType"].split(".")[-1].startswith("update")]


def stamp(backup: dict[str, Any]) -> tuple[str, str]:
    created = datetime.fromisoformat(backup["timeCreated"].replace("Z", "+00:00"))
    return created.strftime("%Y-%m-%d"), created.strftime("%H%M")


def wait_for_call(fn: FdkProcess, operation: str, timeout: float = 15.0) -> None:
    """Until the function's log shows a finished call of ``operation``."""
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if any(line.get("operation") == operation for line in fn.log_lines() if line["message"] == "oci call"):
            return
        time.sleep(0.02)
    raise AssertionError(f"the function never called {operation}: {fn.logs()[-2000:]}")


# --- event -----------------------------------------------------------------------------------


def test_event_names_and_tags_the_group_backup_and_its_members(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str, topic: str
) -> None:
    created_by = {"Oracle-Tags": {"CreatedBy": "ocid1.user.oc1..groupmaker"}}
    defined = {"Finance": {"project": "p1"}, **created_by}
    backup = make_group_backup(emu, signed_api, compartment, tags=ERP_TAGS, defined=defined, boot=True)
    (event,) = emu.event_envelopes("createvolumegroupbackup.end")
    emu.grant_tag_namespaces("Ops", "Finance")  # the deployment's `use tag-namespaces` grants
    config = {
        "RETAG_FREEFORM_TAGS": "team=storage",
        "RETAG_DEFINED_TAGS": "Ops.env=prod",
        "COPY_DEFINED_TAG_NAMESPACES": "Finance",
        "NOTIFY_ON_EVENTS": "all",  # this test reads the event runs' digests
    }
    fn = start_function(HANDLER, config)

    result = fn.call(event).json()

    assert result["trigger"] == "event" and result["counts"] == {"updated": 3}
    day, hhmm = stamp(backup)
    wanted_name = f"erp-vg-incremental-{day}-{hhmm}"
    group_backup = read(signed_api, backup["id"])
    assert group_backup["displayName"] == wanted_name
    assert group_backup["freeformTags"] == {
        **ERP_TAGS,
        "team": "storage",
        **MARKER,
        ORIGINAL_NAME_KEY: "policy-backup",
    }
    assert group_backup["definedTags"] == {**defined, "Ops": {"env": "prod"}}  # (the emulator copied Oracle-Tags)
    members = [read(signed_api, member_id) for member_id in backup["volumeBackupIds"]]
    assert sorted(m["id"].split(".")[1] for m in members) == ["bootvolumebackup", "volumebackup"]
    for member in members:
        assert member["freeformTags"].items() >= {**ERP_TAGS, "team": "storage", **MARKER}.items()
        assert ORIGINAL_NAME_KEY not in member["freeformTags"]  # members keep their names
        assert member["definedTags"] == {"Finance": {"project": "p1"}, "Ops": {"env": "prod"}}  # no CreatedBy
        assert member["displayName"].startswith("policy-backup (")
    data_member = next(m for m in members if m["id"].startswith("ocid1.volumebackup."))
    assert data_member["freeformTags"]["disk"] == "data"  # its own tag stays
    items = items_by_id(result)
    assert items[backup["id"]]["name"] == wanted_name
    assert items[backup["id"]]["reason"].startswith(f"rename to {wanted_name!r}; set tags ")
    assert {items[m]["action"] for m in backup["volumeBackupIds"]} == {"retag-member"}

    (message,) = emu.messages(HOME_REGION, topic)
    assert message["title"] == "[ok] retag-group-backup (event, us-ashburn-1): 3 updated"
    assert f"UPDATED  retag {wanted_name}" in message["body"]
    assert json.loads(message["body"].split("Result (JSON):\n", 1)[1])["counts"] == {"updated": 3}

    # the same event again (OCI delivers at least once): nothing changes
    written = len(updates(emu))
    again = fn.call(event).json()
    assert again["counts"] == {"skipped": 3}
    assert {item["reason"] for item in again["items"]} == {"already as wanted"}
    assert len(updates(emu)) == written
    assert read(signed_api, backup["id"])["etag"] == group_backup["etag"]
    assert emu.messages(HOME_REGION, topic)[-1]["title"] == "[ok] retag-group-backup (event, us-ashburn-1): 3 skipped"


def test_event_of_a_failed_group_backup_changes_nothing(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment)
    event = make_event(
        "createvolumegroupbackup.end",
        backup["id"],
        "policy-backup",
        compartment,
        additional_details={"status": FAILED},
    )
    fn = start_function(HANDLER)
    result = fn.call(event).json()
    assert result["counts"] == {"skipped": 1}
    assert "did not succeed (operationFailed)" in result["items"][0]["reason"]
    assert updates(emu) == []


def test_event_about_something_else_is_refused(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    event = make_event("createvolumegroupbackup.end", "ocid1.volume.oc1.iad.notabackup", "v", compartment)
    answer = start_function(HANDLER).call(event)
    assert answer.json()["error"]["field"] == "data.resourceId"
    assert emu.events() == []


# --- template and naming ----------------------------------------------------------------------


def test_template_placeholders_and_stable_original_name(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment, name="web-vg")
    template = "{name}/{group}/{type}/{source_type}/{region}/{date}T{time}"
    fn = start_function(HANDLER, {"RETAG_NAME_TEMPLATE": template})
    day, hhmm = stamp(backup)
    wanted = f"policy-backup/web-vg/incremental/manual/{HOME_REGION}/{day}T{hhmm}"

    first = fn.http({"volumeGroupBackupId": backup["id"]}, headers=GATEWAY_HEADERS)
    assert first.http_status == 200 and first.json()["counts"] == {"updated": 2}
    assert read(signed_api, backup["id"])["displayName"] == wanted

    # {name} is the original name (kept in a tag), not the new one: an explicit rerun renames to the same
    second = fn.http({"volumeGroupBackupId": backup["id"]}, headers=GATEWAY_HEADERS).json()
    assert second["counts"] == {"skipped": 2}
    assert read(signed_api, backup["id"])["displayName"] == wanted


def test_event_and_schedule_runs_respect_a_later_rename(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment)
    (event,) = emu.event_envelopes("createvolumegroupbackup.end")
    fn = start_function(HANDLER)
    assert fn.call(event).json()["counts"] == {"updated": 2}
    renamed = signed_api.put(path_of(backup["id"]), {"displayName": "chosen-by-a-person"})
    assert renamed.status_code == 200
    assert fn.call(event).json()["counts"] == {"skipped": 2}
    assert fn.call(b"").json()["counts"] == {"skipped": 1}  # the sweep: the group backup is as wanted
    assert read(signed_api, backup["id"])["displayName"] == "chosen-by-a-person"


def test_rename_can_be_switched_off(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment)
    fn = start_function(HANDLER, {"RETAG_RENAME": "false"})
    result = fn.call({"volumeGroupBackupId": backup["id"]}).json()
    assert result["counts"] == {"updated": 2}
    after = read(signed_api, backup["id"])
    assert after["displayName"] == "policy-backup" and ORIGINAL_NAME_KEY not in after["freeformTags"]
    assert after["freeformTags"][RETAGGED_BY_KEY] == RETAGGED_BY_VALUE


# --- tag merging ------------------------------------------------------------------------------


def test_merge_keeps_tags_others_set_and_replace_drops_them(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment, tags=ERP_TAGS)
    member_id = backup["volumeBackupIds"][0]
    # someone else already set tags on the backup, one of them overriding the group's value
    write_tags(signed_api, backup["id"], owner="alice", app="erp-legacy")
    write_tags(signed_api, member_id, owner="bob")

    merge = start_function(HANDLER, {"RETAG_FREEFORM_TAGS": "team=storage,cost-center=99"})
    assert merge.call({"volumeGroupBackupId": backup["id"]}).json()["counts"] == {"updated": 2}
    tags = read(signed_api, backup["id"])["freeformTags"]
    assert tags["owner"] == "alice"  # never dropped
    assert tags["app"] == "erp-legacy"  # the backup's own value beats the group's
    assert tags["cost-center"] == "99"  # configured tags win
    assert tags["team"] == "storage" and tags[RETAGGED_BY_KEY] == RETAGGED_BY_VALUE
    member_tags = read(signed_api, member_id)["freeformTags"]
    assert member_tags["owner"] == "bob" and member_tags["team"] == "storage"

    replace = start_function(HANDLER, {"RETAG_FREEFORM_TAGS": "team=storage", "RETAG_REPLACE_TAGS": "true"})
    result = replace.call({"volumeGroupBackupId": backup["id"]}).json()
    assert result["counts"] == {"updated": 2}
    assert "remove tags owner" in items_by_id(result)[backup["id"]]["reason"]
    assert read(signed_api, backup["id"])["freeformTags"] == {
        **ERP_TAGS,
        "team": "storage",
        **MARKER,
        ORIGINAL_NAME_KEY: "policy-backup",
    }
    assert "owner" not in read(signed_api, member_id)["freeformTags"]


def test_http_request_name_and_tags_win(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment, tags=ERP_TAGS)
    emu.grant_tag_namespaces("Ops")
    fn = start_function(HANDLER, {"RETAG_FREEFORM_TAGS": "team=storage"})
    body = {
        "volumeGroupBackupId": backup["id"],
        "displayName": "erp-before-upgrade",
        "freeformTags": {"team": "dba", "ticket": "CHG-1"},
        "definedTags": {"Ops": {"keep": "yes"}},
    }
    answer = fn.http(body, headers=GATEWAY_HEADERS)
    assert answer.http_status == 200 and answer.json()["trigger"] == "http"
    after = read(signed_api, backup["id"])
    assert after["displayName"] == "erp-before-upgrade"
    assert after["freeformTags"]["team"] == "dba" and after["freeformTags"]["ticket"] == "CHG-1"
    assert after["definedTags"] == {"Ops": {"keep": "yes"}}
    member = read(signed_api, backup["volumeBackupIds"][0])
    assert member["freeformTags"]["ticket"] == "CHG-1" and member["definedTags"] == {"Ops": {"keep": "yes"}}


# --- concurrency (412 NoEtagMatch) ------------------------------------------------------------


def run_with_concurrent_writer(
    emu: EmulatorControl, signed_api: SignedApi, fn: FdkProcess, backup_id: str
) -> dict[str, Any]:
    """Run the function while another writer changes the group backup between its GET and its PUT.

    The function GETs the group backup (etag), then reads the volume group, then PUTs. A latency rule holds
    its GetVolumeGroup for 1.5 s; as soon as the GET of the group backup is logged, the writer does a
    GET + PUT of its own, so the function's if-match etag is stale when its PUT arrives.
    """
    emu.faults([{"operation": "GetVolumeGroup", "latencySeconds": 1.5, "count": 1}])
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(fn.http, {"volumeGroupBackupId": backup_id}, headers=GATEWAY_HEADERS)
        wait_for_call(fn, "GetVolumeGroupBackup")
        write_tags(signed_api, backup_id, owner="alice")
        assert not running.done()  # the writer really was in between
        answer = running.result(timeout=30)
    assert answer.http_status == 200, answer.body
    result: dict[str, Any] = answer.json()
    return result


def test_concurrent_writer_between_get_and_put_loses_nothing(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment, tags=ERP_TAGS)
    fn = start_function(HANDLER, {"RETAG_FREEFORM_TAGS": "team=storage"})

    result = run_with_concurrent_writer(emu, signed_api, fn, backup["id"])

    assert result["counts"] == {"updated": 2}
    item = items_by_id(result)[backup["id"]]
    assert item["reason"].endswith("(after 1 concurrent change)")
    tags = read(signed_api, backup["id"])["freeformTags"]
    assert tags["owner"] == "alice"  # the other writer's tag survived
    assert tags["team"] == "storage" and tags[RETAGGED_BY_KEY] == RETAGGED_BY_VALUE
    puts = [line for line in fn.log_lines() if line.get("operation") == "UpdateVolumeGroupBackup"]
    assert [line["status"] for line in puts] == [412, 200]
    assert len([e for e in updates(emu) if e["eventType"].endswith("updatevolumegroupbackup")]) == 2


def test_concurrent_writer_beyond_max_attempts_fails_and_a_rerun_finishes(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str, topic: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment)
    fn = start_function(HANDLER, {"RETAG_MAX_ATTEMPTS": "1"})

    result = run_with_concurrent_writer(emu, signed_api, fn, backup["id"])

    assert result["counts"] == {"updated": 1, "failed": 1}  # the member was done, the group backup was not
    assert items_by_id(result)[backup["id"]]["reason"].startswith("changed by someone else on each of 1 attempt;")
    tags = read(signed_api, backup["id"])["freeformTags"]
    assert tags["owner"] == "alice" and RETAGGED_BY_KEY not in tags
    title = emu.messages(HOME_REGION, topic)[-1]["title"]
    assert title == "[FAILED] retag-group-backup (http, us-ashburn-1): 1 updated, 1 failed"

    rerun = fn.http({"volumeGroupBackupId": backup["id"]}, headers=GATEWAY_HEADERS).json()
    assert rerun["counts"] == {"updated": 1, "skipped": 1}
    tags = read(signed_api, backup["id"])["freeformTags"]
    assert tags["owner"] == "alice" and tags[RETAGGED_BY_KEY] == RETAGGED_BY_VALUE


# --- schedule ---------------------------------------------------------------------------------


def test_schedule_sweeps_what_is_not_as_wanted(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str, topic: str
) -> None:
    fresh = make_group_backup(emu, signed_api, compartment, "erp-a", tags=ERP_TAGS)
    done = make_group_backup(emu, signed_api, compartment, "erp-b", tags=ERP_TAGS)
    other_app = make_group_backup(emu, signed_api, compartment, "web", tags={"app": "web"})
    busy = make_group_backup(emu, signed_api, compartment, "erp-c", tags=ERP_TAGS, available=False)
    fn = start_function(HANDLER, {"SELECTOR": "app=erp"})
    assert fn.call({"volumeGroupBackupId": done["id"]}).json()["counts"] == {"updated": 2}

    result = fn.call({"trigger": "schedule", "schedule": "hourly"}).json()

    assert result["trigger"] == "schedule"
    items = items_by_id(result)
    assert items[fresh["id"]]["status"] == "updated"
    assert items[fresh["volumeBackupIds"][0]]["status"] == "updated"
    assert items[done["id"]] == {**items[done["id"]], "status": "skipped", "reason": "already as wanted"}
    assert done["volumeBackupIds"][0] not in items  # as-wanted group backups cost no further calls
    assert items[other_app["id"]]["status"] == "skipped" and "SELECTOR app=erp" in items[other_app["id"]]["reason"]
    assert busy["id"] not in items  # not AVAILABLE yet: the event or the next sweep takes it
    assert result["counts"] == {"updated": 2, "skipped": 2}
    assert read(signed_api, other_app["id"])["displayName"] == "policy-backup"
    assert (
        emu.messages(HOME_REGION, topic)[-1]["title"]
        == "[ok] retag-group-backup (schedule, us-ashburn-1): 2 updated, 2 skipped"
    )

    again = fn.call({"trigger": "schedule", "schedule": "hourly"}).json()
    assert again["counts"] == {"skipped": 3}


def test_schedule_hands_over_what_the_deadline_leaves(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    first = make_group_backup(emu, signed_api, compartment, "a")
    second = make_group_backup(emu, signed_api, compartment, "b")
    fn = start_function(HANDLER, {"DEADLINE_MARGIN_SECONDS": "30"})

    answer = fn.call({"trigger": "schedule", "schedule": "hourly"}, deadline_seconds=10)
    result = answer.json()
    assert result["counts"] == {"deferred": 2}
    (invocation,) = emu.invocations()
    assert invocation["invokeType"] == "detached"
    handed = json.loads(invocation["body"])
    deferred = [i["resourceId"] for i in result["items"]]
    assert sorted(deferred) == sorted([first["id"], second["id"]])
    assert handed["schedule"] == "hourly" and "resourceIds" not in handed
    assert handed["cursor"] == {"compartmentId": compartment, "kind": "volumegroup", "startId": deferred[0]}
    assert updates(emu) == []

    before = Counter(emu.calls())
    rest = fn.call(handed).json()
    assert rest["counts"] == {"updated": 4}
    assert set(items_by_id(rest)) == {first["id"], *first["volumeBackupIds"], second["id"], *second["volumeBackupIds"]}
    assert (Counter(emu.calls()) - before)[f"{HOME_REGION} ListVolumeGroupBackups"] == 1


def test_a_hand_over_mid_listing_goes_on_from_its_page(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    """More group backups than a page: the run that meets its deadline hands over the page and the first group
    backup not started; the next run lists from that page on (one list call) and acts on nothing before it."""
    volume = emu.create_volume(HOME_REGION, compartment, "erp-data")["id"]
    group = emu.create_volume_group(HOME_REGION, compartment, "erp-vg", [volume])["id"]
    as_wanted = {ORIGINAL_NAME_KEY: "policy-backup", **MARKER}
    # listed newest first: 110 as wanted already (no calls), then 3 to retag, on the second page of 100
    todo = [emu.seed_group_backup(HOME_REGION, group, display_name=f"todo-{n}", age_seconds=600 + n) for n in range(3)]
    for n in range(110):
        emu.seed_group_backup(HOME_REGION, group, display_name=f"done-{n}", age_seconds=n, freeform_tags=as_wanted)
    fn = start_function(HANDLER, {"MAX_CONCURRENCY": "1", "DEADLINE_MARGIN_SECONDS": "13"})
    # the first member update outlasts the 12 s the run has to start work (a loaded machine's start included)
    emu.faults([{"operation": "UpdateVolumeBackup", "latencySeconds": 14.0, "count": 1}])

    body = {"trigger": "schedule", "schedule": "hourly", "slot": "2026-12-04T23:00Z"}
    first = fn.call(body, deadline_seconds=25).json()
    assert first["counts"] == {"skipped": 110, "updated": 2, "deferred": 2}, first["counts"]
    done = {i["resourceId"] for i in first["items"] if i["status"] == "updated"}
    assert done == {todo[0]["id"], *todo[0]["volumeBackupIds"]}
    (invocation,) = emu.invocations()
    handed = json.loads(invocation["body"])
    cursor = handed["cursor"]
    assert (cursor["compartmentId"], cursor["kind"], cursor["startId"]) == (compartment, "volumegroup", todo[1]["id"])
    assert cursor["page"]  # the second page's token: the first page is not listed again

    before = Counter(emu.calls())
    rest = fn.call(handed).json()
    assert rest["counts"] == {"updated": 4}, rest
    assert set(items_by_id(rest)) == {b for t in todo[1:] for b in (t["id"], *t["volumeBackupIds"])}
    assert (Counter(emu.calls()) - before)[f"{HOME_REGION} ListVolumeGroupBackups"] == 1


def test_a_bad_cursor_is_refused_naming_its_field(emu: EmulatorControl, start_function: StartFunction) -> None:
    fn = start_function(HANDLER)
    cursor = {"compartmentId": "ocid1.compartment.oc1..c", "kind": "volumegroup", "startId": "ocid1.volume.oc1.iad.v"}
    for bad, field in (
        ({**cursor, "startId": "ocid1.volumebackup.oc1.iad.x"}, "cursor.startId"),
        ({**cursor, "page": " "}, "cursor.page"),
        ({**cursor, "kind": "bucket"}, "cursor.kind"),
    ):
        answer = fn.call({"trigger": "schedule", "cursor": bad}).json()
        assert answer["status"] == 400 and answer["error"]["field"] == field, answer
    assert not [call for call in emu.calls() if "VolumeGroupBackup" in call]  # nothing listed, nothing changed


def test_schedule_without_compartments_is_a_config_error(start_function: StartFunction) -> None:
    fn = start_function(HANDLER, {"COMPARTMENT_IDS": ""})
    assert fn.call(b"").json()["error"]["field"] == "COMPARTMENT_IDS"


# --- dry run ----------------------------------------------------------------------------------


def test_dry_run_plans_and_changes_nothing(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str, topic: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment, tags=ERP_TAGS, boot=True)
    fn = start_function(HANDLER, {"RETAG_DEFINED_TAGS": "Ops.env=prod"})
    answer = fn.http({"volumeGroupBackupId": backup["id"], "dryRun": True}, headers=GATEWAY_HEADERS)
    result = answer.json()
    assert result["dryRun"] is True and result["counts"] == {"planned": 3}
    reason = items_by_id(result)[backup["id"]]["reason"]
    assert reason.startswith("would rename to 'erp-vg-incremental-")
    assert f"set tags {ORIGINAL_NAME_KEY}, {RETAGGED_BY_KEY};" in reason and "set defined tags Ops.env" in reason
    assert updates(emu) == []
    assert read(signed_api, backup["id"])["displayName"] == "policy-backup"
    title = emu.messages(HOME_REGION, topic)[-1]["title"]
    assert title == "[ok] retag-group-backup (http, us-ashburn-1) [dry-run]: 3 planned"


# --- faults and refusals ----------------------------------------------------------------------


def test_transient_faults_are_retried(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment)
    fn = start_function(HANDLER)
    emu.faults(
        [
            {"operation": "UpdateVolumeGroupBackup", "errorRate": 1, "status": 503, "count": 1},
            {"operation": "UpdateVolumeBackup", "errorRate": 1, "status": 429, "count": 1},
        ]
    )
    result = fn.call({"volumeGroupBackupId": backup["id"]}).json()
    assert result["counts"] == {"updated": 2}
    assert read(signed_api, backup["id"])["freeformTags"][RETAGGED_BY_KEY] == RETAGGED_BY_VALUE


def test_a_failing_member_leaves_the_group_backup_for_the_next_run(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment, boot=True)
    fn = start_function(HANDLER, {"DEADLINE_MARGIN_SECONDS": "0"})
    emu.faults([{"operation": "UpdateBootVolumeBackup", "errorRate": 1, "status": 500}])

    answer = fn.http({"volumeGroupBackupId": backup["id"]}, headers=GATEWAY_HEADERS, deadline_seconds=4)
    result = answer.json()
    assert result["counts"] == {"updated": 1, "failed": 2}
    boot_member = next(m for m in backup["volumeBackupIds"] if m.startswith("ocid1.bootvolumebackup."))
    items = items_by_id(result)
    assert "500" in items[boot_member]["reason"]
    assert items[backup["id"]]["reason"].startswith("left as it was: 1 member backup(s) failed")
    assert read(signed_api, backup["id"])["displayName"] == "policy-backup"

    emu.clear_faults()
    rerun = fn.http({"volumeGroupBackupId": backup["id"]}, headers=GATEWAY_HEADERS).json()
    assert rerun["counts"] == {"updated": 2, "skipped": 1}


def test_gone_and_unknown_group_backups(
    emu: EmulatorControl, signed_api: SignedApi, start_function: StartFunction, compartment: str
) -> None:
    backup = make_group_backup(emu, signed_api, compartment)
    (event,) = emu.event_envelopes("createvolumegroupbackup.end")
    assert signed_api.delete(path_of(backup["id"])).status_code == 204
    emu.advance(5)  # TERMINATING -> TERMINATED
    fn = start_function(HANDLER)
    gone = fn.call(event).json()
    assert gone["counts"] == {"skipped": 1} and gone["items"][0]["reason"] == "is TERMINATED"

    missing_id = backup["id"][:-6] + "zzzzzz"
    missing = fn.call({**event, "data": {**event["data"], "resourceId": missing_id}}).json()
    assert missing["counts"] == {"skipped": 1} and missing["items"][0]["reason"].startswith(
        f"not found in {HOME_REGION}"
    )
    assert missing["status"] == 200

    answer = fn.http({"volumeGroupBackupId": missing_id}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 404 and answer.json()["error"]["code"] == "NotAuthorizedOrNotFound"


BACKUP_ID = "ocid1.volumegroupbackup.oc1.iad.aaaaexample"
BAD_REQUESTS: list[tuple[dict[str, Any], str]] = [
    ({"volumeGroupBackupId": "ocid1.volumebackup.oc1.iad.x"}, "volumeGroupBackupId"),
    ({"volumeGroupBackupId": "not-an-ocid"}, "volumeGroupBackupId"),
    ({}, "volumeGroupBackupId"),
    ({"volumeGroupBackupId": BACKUP_ID, "colour": "red"}, "colour"),
    ({"volumeGroupBackupId": BACKUP_ID, "displayName": "  "}, "displayName"),
    ({"volumeGroupBackupId": BACKUP_ID, "displayName": "x" * 256}, "displayName"),
    ({"volumeGroupBackupId": BACKUP_ID, "freeformTags": {"k": 1}}, "freeformTags.k"),
    ({"volumeGroupBackupId": BACKUP_ID, "freeformTags": {"k" * 101: "v"}}, "freeformTags"),
    ({"volumeGroupBackupId": BACKUP_ID, "definedTags": {"Ops": "flat"}}, "definedTags.Ops"),
    ({"volumeGroupBackupId": BACKUP_ID, "dryRun": "perhaps"}, "dryRun"),
]


def test_bad_requests_name_the_field_and_change_nothing(emu: EmulatorControl, start_function: StartFunction) -> None:
    fn = start_function(HANDLER)  # one process for every case: each answer stands alone
    for body, field in BAD_REQUESTS:
        answer = fn.http(body, headers=GATEWAY_HEADERS)
        assert answer.http_status == 400, (body, answer.body)
        error = answer.json()["error"]
        assert (error["field"], bool(error["message"])) == (field, True), body
    assert emu.events() == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("RETAG_NAME_TEMPLATE", "{group}-{colour}"),
        ("RETAG_NAME_TEMPLATE", "{group"),
        ("RETAG_DEFINED_TAGS", "env=prod"),
        ("RETAG_FREEFORM_TAGS", "team"),
        ("RETAG_MAX_ATTEMPTS", "0"),
    ],
)
def test_bad_config_is_named(start_function: StartFunction, key: str, value: str) -> None:
    answer = start_function(HANDLER, {key: value}).http({}, headers=GATEWAY_HEADERS)
    assert answer.http_status == 500
    assert answer.json()["error"]["field"] == key
