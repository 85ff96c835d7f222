"""Emulator: control API (reset, clock, settings, routing), fixtures, and the standalone server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import requests

from emulator import DEFAULT_TENANCY, Emulator, EmulatorControl, EmulatorControlError
from emulator.api_client import SignedApi
from shared.oci.signing import RequestSigner
from tests.emulator_fixtures import ApiKey, make_key_pair

REGION = "us-ashburn-1"
COMP = "ocid1.compartment.oc1..aaaaaaaacontrol"
ROOT = Path(__file__).resolve().parent.parent


def test_api_key_fixture(api_key: ApiKey) -> None:
    assert api_key.tenancy_id == DEFAULT_TENANCY
    assert api_key.key_id.startswith(DEFAULT_TENANCY + "/ocid1.user.")
    assert api_key.private_key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert isinstance(api_key.signer, RequestSigner)
    fingerprint = api_key.key_id.rsplit("/", 1)[1]
    assert len(fingerprint.split(":")) == 16


def test_reset_wipes_state_and_keys(emulator: Emulator, emu: EmulatorControl, signed_api: SignedApi) -> None:
    volume = emu.create_volume(REGION, COMP, "data")
    emu.advance(100)
    emu.faults([{"operation": "GetVolume", "latencySeconds": 0.01}])
    assert signed_api.get(f"/20160918/volumes/{volume['id']}").status_code == 200
    emu.reset()
    assert emu.events() == []
    assert emu.clock()["offsetSeconds"] == 0
    assert emu.faults([]) == []
    assert signed_api.get(f"/20160918/volumes/{volume['id']}").status_code == 401  # the key is gone too
    emu.register_key(signed_api.signer.key_id, make_key_pair().public_key_pem)  # a different key
    assert signed_api.get(f"/20160918/volumes/{volume['id']}").status_code == 401


def test_calls_count_authenticated_requests(emu: EmulatorControl, signed_api: SignedApi) -> None:
    volume = emu.create_volume(REGION, COMP, "data")  # the control API is not counted
    for _ in range(2):
        assert signed_api.get(f"/20160918/volumes/{volume['id']}").status_code == 200
    assert signed_api.get(f"/20160918/volumeBackups?compartmentId={COMP}").status_code == 200
    unsigned = requests.get(signed_api.url(f"/20160918/volumes/{volume['id']}"), timeout=10)
    assert unsigned.status_code == 401  # refused before it counts
    assert emu.calls() == {f"{REGION} GetVolume": 2, f"{REGION} ListVolumeBackups": 1}
    emu.reset()
    assert emu.calls() == {}


def test_refused_counts_rate_limited_answers(emu: EmulatorControl, signed_api: SignedApi) -> None:
    volume = emu.create_volume(REGION, COMP, "data")
    emu.faults([{"operation": "GetVolume", "rateLimitPerSecond": 0.01, "burst": 2}])
    statuses = [signed_api.get(f"/20160918/volumes/{volume['id']}").status_code for _ in range(5)]
    assert statuses == [200, 200, 429, 429, 429]
    assert emu.calls() == {f"{REGION} GetVolume": 5}
    assert emu.refused() == {f"{REGION} GetVolume 429": 3}
    emu.reset()
    assert emu.refused() == {}


def test_clock(emu: EmulatorControl, compartment: str) -> None:
    before = emu.clock()
    after = emu.advance(3600)
    assert after["offsetSeconds"] == before["offsetSeconds"] + 3600
    assert after["epochSeconds"] - before["epochSeconds"] >= 3600
    assert after["now"].endswith("Z")
    with pytest.raises(EmulatorControlError) as backwards:
        emu.advance(-1)
    assert backwards.value.status == 400
    for overflow in (1e300, 1e13):  # past what a timestamp renders: refused, the clock unchanged
        with pytest.raises(EmulatorControlError) as refused:
            emu.advance(overflow)
        assert refused.value.status == 400 and "advanceSeconds" in str(refused.value), refused.value
    assert emu.clock()["offsetSeconds"] == after["offsetSeconds"]
    assert emu.seed_backup(REGION, emu.create_volume(REGION, compartment, "v")["id"])["lifecycleState"] == "AVAILABLE"
    assert emu.advance(100 * 365 * 86400)["now"].startswith("21")  # a century ahead still renders


def test_settings(emu: EmulatorControl) -> None:
    changed = emu.settings(available_after=5, creatingAfter=0.5)
    assert changed["availableAfter"] == 5 and changed["creatingAfter"] == 0.5
    with pytest.raises(EmulatorControlError):
        emu.settings(no_such_setting=1)
    with pytest.raises(EmulatorControlError):
        emu.settings(available_after=-1)
    assert emu.settings()["availableAfter"] == 5


def test_control_routing_and_validation(emulator: Emulator, emu: EmulatorControl) -> None:
    base = f"{emulator.base_url}/_emulator"
    missing = requests.get(f"{base}/nothing")
    assert (missing.status_code, missing.json()["code"]) == (404, "NotFound")
    wrong = requests.get(f"{base}/reset")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "MethodNotAllowed")
    assert wrong.headers["opc-request-id"]
    bad_json = requests.post(f"{base}/keys", data=b"{nope")
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, "CannotParseRequest")
    bad_region = requests.post(f"{base}/mars-north-1/volumes", json={"compartmentId": COMP, "displayName": "x"})
    assert (bad_region.status_code, bad_region.json()["code"]) == (400, "InvalidParameter")
    missing_field = requests.post(f"{base}/{REGION}/volumes", json={"displayName": "x"})
    assert missing_field.status_code == 400 and "compartmentId" in missing_field.json()["message"]
    with pytest.raises(EmulatorControlError) as no_topic:
        emu.messages(REGION, "ocid1.onstopic.oc1.iad.nope")
    assert no_topic.value.status == 404
    with pytest.raises(EmulatorControlError):
        emu.create_volume_group(REGION, COMP, "vg", ["ocid1.volume.oc1.iad.nope"])
    with pytest.raises(EmulatorControlError):
        emu.create_compartment("orphan", parent_id="ocid1.compartment.oc1..nope")


def test_volume_can_join_a_group_later(emu: EmulatorControl) -> None:
    first = emu.create_volume(REGION, COMP, "a", size_in_gbs=10)
    group = emu.create_volume_group(REGION, COMP, "vg", [first["id"]])
    second = emu.create_volume(REGION, COMP, "b", size_in_gbs=20, volume_group_id=group["id"])
    assert second["volumeGroupId"] == group["id"]


def test_other_tenancies_through_the_control_api(emulator: Emulator, emu: EmulatorControl) -> None:
    tenancy = "ocid1.tenancy.oc1..aaaaaaaasecond"
    compartment = emu.create_compartment("team", tenancy_id=tenancy)
    volume = emu.create_volume(REGION, compartment["id"], "theirs", tenancy_id=tenancy)
    rp = emu.issue_resource_principal(REGION, tenancy_id=tenancy)
    api = SignedApi(emulator.base_url, RequestSigner("ST$" + rp["rpst"], rp["private_key_pem"].encode()))
    assert api.get(f"/20160918/volumes/{volume['id']}").status_code == 200
    listed = api.get("/20160918/compartments", params={"compartmentId": tenancy}).json()
    assert [c["id"] for c in listed] == [compartment["id"]]


@pytest.mark.parametrize("module", ["emulator", "tests.emulator"])  # the second: the old name, kept one release
def test_standalone_server(module: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0", "--latency", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        prefix = "OCI emulator listening on "
        assert line.startswith(prefix), line
        base_url = line[len(prefix) :]
        assert base_url.startswith("http://127.0.0.1:") and not base_url.endswith("/")
        control = EmulatorControl(base_url)
        assert control.health()["status"] == "ok"
        pair = make_key_pair()
        key_id = f"{DEFAULT_TENANCY}/ocid1.user.oc1..standalone/{pair.fingerprint}"
        control.register_key(key_id, pair.public_key_pem)
        volume = control.create_volume(REGION, COMP, "standalone")
        api = SignedApi(base_url, RequestSigner.from_key(key_id, pair.private_key))
        assert api.get(f"/20160918/volumes/{volume['id']}").json()["id"] == volume["id"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def test_seeded_backups(emu: EmulatorControl, signed_api: SignedApi) -> None:
    volume = emu.create_volume(REGION, COMP, "db01", freeform_tags={"env": "prod"})
    old = emu.seed_backup(
        REGION, volume["id"], source_type="SCHEDULED", age_seconds=40 * 86400, expires_in_seconds=-86400
    )
    assert old["lifecycleState"] == "AVAILABLE" and old["sourceType"] == "SCHEDULED"
    assert old["freeformTags"] == {"env": "prod"}
    assert ts(old["expirationTime"]) - ts(old["timeCreated"]) == pytest.approx(39 * 86400, abs=5)
    listed = signed_api.get("/20160918/volumeBackups", params={"compartmentId": COMP, "sortOrder": "ASC"}).json()
    assert [b["id"] for b in listed] == [old["id"]]
    assert emu.event_envelopes("createvolumebackup.end") == []
    # a seeded backup is finished: a real one can start right away, and the seeded one can be copied
    assert signed_api.post("/20160918/volumeBackups", {"volumeId": volume["id"]}).status_code == 200
    copied = signed_api.post(f"/20160918/volumeBackups/{old['id']}/actions/copy", {"destinationRegion": "us-phoenix-1"})
    assert copied.status_code == 200
    boot = emu.create_boot_volume(REGION, COMP, "web01")
    failed = emu.seed_backup(REGION, boot["id"], boot=True, lifecycle_state="FAULTY", announce=True)
    (end,) = emu.event_envelopes("createbootvolumebackup.end")
    assert end["data"]["resourceId"] == failed["id"]
    assert end["data"]["additionalDetails"]["status"] == "operationFailed"
    with pytest.raises(EmulatorControlError):
        emu.seed_backup(REGION, "ocid1.volume.oc1.iad.nope")
