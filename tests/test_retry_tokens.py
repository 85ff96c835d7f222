"""A retry token whose earlier result was deleted: OCI replays the deleted resource, then (once it is purged)
refuses the token with 409 ``InvalidatedRetryToken``. Either way the work is done again with a new token,
through the real fdk process against the emulator."""

from __future__ import annotations

from typing import Any

from emulator import EmulatorControl
from emulator.api_client import SignedApi
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE
from tests.conftest import DR_REGION, GATEWAY_HEADERS, HOME_REGION, StartFunction

V = "/20160918"
MANAGED = {MANAGED_BY_KEY: MANAGED_BY_VALUE}
PURGED = 3600.0 + 10  # the emulator's purged_after, plus TERMINATING


def delete(emu: EmulatorControl, api: SignedApi, backup_id: str, region: str = HOME_REGION) -> None:
    emu.advance(120)  # AVAILABLE first
    answer = api.delete(f"{V}/volumeBackups/{backup_id}", region=region)
    assert answer.status_code == 204, answer.text
    emu.advance(10)  # TERMINATED


def state(api: SignedApi, backup_id: str, region: str = HOME_REGION) -> str:
    return str(api.get(f"{V}/volumeBackups/{backup_id}", region=region).json()["lifecycleState"])


def test_a_backup_deleted_since_is_made_again_with_a_new_token(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    emu.create_volume(HOME_REGION, compartment, "ledger")
    fn = start_function("create_backup", {"BACKUP_KINDS": "volume"})
    schedule = {"trigger": "schedule", "schedule": "nightly", "slot": "2026-12-04T01:00Z"}  # the same slot each time

    def backed_up() -> dict[str, Any]:
        result = fn.call(schedule).json()
        (item,) = [i for i in result["items"] if i["action"] == "backup"]
        return dict(item)

    first = backed_up()
    assert first["status"] == "created", first
    delete(emu, signed_api, first["resultId"])
    replayed = backed_up()  # OCI would replay the TERMINATED backup: never reported as made
    assert replayed["status"] == "created" and replayed["resultId"] != first["resultId"], replayed["reason"]
    assert state(signed_api, replayed["resultId"]) != "TERMINATED"
    delete(emu, signed_api, replayed["resultId"])
    emu.advance(PURGED)  # both purged: the first two tokens are refused (InvalidatedRetryToken)
    third = backed_up()
    assert third["status"] == "created" and third["resultId"] not in (first["resultId"], replayed["resultId"]), third
    assert len(emu.event_envelopes("createvolumebackup.begin")) == 3


def test_a_copy_deleted_and_purged_since_is_copied_again_with_a_new_token(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, signed_api: SignedApi
) -> None:
    emu.settings(purged_listed=False)  # a purged copy is no longer listed: only the token remembers it
    volume = emu.create_volume(HOME_REGION, compartment, "ledger")["id"]
    backup = emu.seed_backup(
        HOME_REGION, volume, display_name="ledger", freeform_tags={MANAGED_BY_KEY: MANAGED_BY_VALUE}
    )
    fn = start_function("copy_backup", {"COPY_DESTINATION_REGIONS": DR_REGION})
    (first,) = fn.http({"backupId": backup["id"]}, headers=GATEWAY_HEADERS).json()["items"]
    assert first["status"] == "copied", first
    delete(emu, signed_api, first["resultId"], DR_REGION)
    emu.advance(PURGED)
    result = fn.call(b"").json()  # the reconcile finds no copy there
    (again,) = [i for i in result["items"] if i["action"] == "copy"]
    assert again["status"] == "copied" and again["resultId"] != first["resultId"], result
    assert state(signed_api, again["resultId"], DR_REGION) != "TERMINATED"
