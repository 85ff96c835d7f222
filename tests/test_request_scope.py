"""A request acts within the function's scope: COMPARTMENT_IDS and the compartments below them (IAM is the
outer boundary, not the scope). Through the real fdk process against the emulator."""

from __future__ import annotations

from emulator import EmulatorControl
from tests.conftest import GATEWAY_HEADERS, HOME_REGION, StartFunction


def test_requests_are_limited_to_the_configured_compartments_and_their_subtrees(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, topic: str
) -> None:
    other = emu.create_compartment("finance")["id"]  # reachable by the function's IAM grant, not its scope
    child = emu.create_compartment("prod-db", parent_id=compartment)["id"]
    emu.create_volume(HOME_REGION, other, "ledger")
    emu.create_volume(HOME_REGION, child, "orders")
    fn = start_function("create_backup", {"BACKUP_KINDS": "volume"})
    for body in ({"compartmentId": other}, {"posture": True, "compartmentId": other}):
        answer = fn.http(body, headers=GATEWAY_HEADERS)
        assert answer.http_status == 400, answer.json()
        error = answer.json()["error"]
        assert error["field"] == "compartmentId" and other in error["message"], error
    assert not emu.event_envelopes("createvolumebackup.begin")  # nothing was made outside the scope
    below = fn.http({"compartmentId": child}, headers=GATEWAY_HEADERS).json()
    assert below["counts"] == {"created": 1}, below  # a compartment below COMPARTMENT_IDS is in scope
    posture = fn.http({"posture": True, "compartmentId": compartment}, headers=GATEWAY_HEADERS).json()
    assert posture["status"] == 200 and "posture" in posture
