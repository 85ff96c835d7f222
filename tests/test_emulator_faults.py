"""Emulator: fault injection (error shares, latency, dropped connections) and token-bucket rate limits."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from emulator import EmulatorControl, EmulatorControlError
from emulator.api_client import SignedApi
from tests.emulator_fixtures import error

REGION = "us-ashburn-1"
COMP = "ocid1.compartment.oc1..aaaaaaaafaults"
V = "/20160918"


@pytest.fixture
def volume(emu: EmulatorControl) -> dict[str, Any]:
    return emu.create_volume(REGION, COMP, "data")


@pytest.mark.parametrize(
    ("status", "code"), [(429, "TooManyRequests"), (500, "InternalServerError"), (503, "ServiceUnavailable")]
)
def test_injected_errors_happen_before_any_state_change(
    emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any], status: int, code: str
) -> None:
    emu.faults([{"operation": "CreateVolumeBackup", "errorRate": 1.0, "status": status, "count": 2}])
    for _ in range(2):
        response = signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]})
        assert error(response) == (status, code)
        assert response.headers["opc-request-id"]
    assert signed_api.get(f"{V}/volumeBackups", params={"compartmentId": COMP}).json() == []
    assert signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}).status_code == 200  # count used up
    assert emu.event_envelopes("createvolumebackup.begin")  # only the successful one


def test_rules_match_operation_and_region(emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]) -> None:
    emu.faults([{"operation": "GetVolume", "region": "us-phoenix-1", "errorRate": 1.0, "status": 503}])
    assert signed_api.get(f"{V}/volumes/{volume['id']}").status_code == 200  # other region
    assert signed_api.get(f"{V}/volumes", params={"compartmentId": COMP}).status_code == 200  # other operation
    assert error(signed_api.get(f"{V}/volumes/x", region="us-phoenix-1")) == (503, "ServiceUnavailable")
    emu.clear_faults()
    assert error(signed_api.get(f"{V}/volumes/x", region="us-phoenix-1")) == (404, "NotAuthorizedOrNotFound")


def test_error_share_is_partial(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.faults([{"operation": "*", "errorRate": 0.5, "status": 500}], seed=7)
    statuses = [signed_api.get(f"{V}/volumes", params={"compartmentId": COMP}).status_code for _ in range(40)]
    assert 5 < statuses.count(500) < 35
    assert statuses.count(200) + statuses.count(500) == 40


def test_faults_do_not_hide_authentication(emulator: Any, emu: EmulatorControl) -> None:
    emu.faults([{"operation": "*", "errorRate": 1.0, "status": 503}])
    response = requests.get(f"{emulator.base_url}/{REGION}{V}/volumes")
    assert error(response) == (401, "NotAuthenticated")


def test_added_latency(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.faults([{"operation": "ListVolumes", "latencySeconds": 0.3}])
    started = time.monotonic()
    assert signed_api.get(f"{V}/volumes", params={"compartmentId": COMP}).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert signed_api.get(f"{V}/volumes/x").status_code == 404  # GetVolume: no latency
    assert time.monotonic() - started < 0.3


def test_global_latency_setting(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.set_latency(0.2)
    started = time.monotonic()
    signed_api.get(f"{V}/volumes", params={"compartmentId": COMP})
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    emu.health()  # the control API is never delayed
    assert time.monotonic() - started < 0.2


def test_requests_are_served_concurrently(emulator: Any, emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.set_latency(0.5)

    def call(_: int) -> int:
        api = SignedApi(emulator.base_url, signed_api.signer)
        return api.get(f"{V}/volumes", params={"compartmentId": COMP}).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(call, range(8)))
    assert statuses == [200] * 8
    assert time.monotonic() - started < 2.0  # serially it would take 4 s


def test_dropped_connection(emu: EmulatorControl, signed_api: SignedApi, volume: dict[str, Any]) -> None:
    emu.faults([{"operation": "CreateVolumeBackup", "dropRate": 1.0, "count": 1}])
    with pytest.raises(requests.exceptions.ConnectionError):
        signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]})
    assert signed_api.get(f"{V}/volumeBackups", params={"compartmentId": COMP}).json() == []
    assert signed_api.post(f"{V}/volumeBackups", {"volumeId": volume["id"]}).status_code == 200


def test_token_bucket_rate_limit(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.faults([{"operation": "ListVolumes", "rateLimitPerSecond": 2, "burst": 3}])
    responses = [signed_api.get(f"{V}/volumes", params={"compartmentId": COMP}) for _ in range(5)]
    assert [r.status_code for r in responses[:3]] == [200, 200, 200]
    throttled = [r for r in responses[3:] if r.status_code == 429]
    assert throttled and throttled[0].json()["code"] == "TooManyRequests"
    time.sleep(0.6)  # refills at 2 tokens per second
    assert signed_api.get(f"{V}/volumes", params={"compartmentId": COMP}).status_code == 200
    assert signed_api.get(f"{V}/volumes/x").status_code == 404  # other operations are not limited


def test_rate_limit_on_publish(emu: EmulatorControl, signed_api: SignedApi) -> None:
    topic = emu.create_topic(REGION, COMP, "t")
    emu.faults([{"operation": "PublishMessage", "rateLimitPerSecond": 1, "burst": 1}])
    path = f"/20181201/topics/{topic['topicId']}/messages"
    assert signed_api.post(path, {"body": "1"}, endpoint=topic["apiEndpoint"]).status_code == 200
    assert error(signed_api.post(path, {"body": "2"}, endpoint=topic["apiEndpoint"])) == (429, "TooManyRequests")
    assert len(emu.messages(REGION, topic["topicId"])) == 1


@pytest.mark.parametrize(
    "rule",
    [
        {"operation": "CreateVolumeBackups", "errorRate": 1},
        {"operation": "*", "errorRate": 2},
        {"operation": "*", "status": 404, "errorRate": 1},
        {"operation": "*", "region": "mars-north-1"},
        {"operation": "*", "color": "red"},
    ],
)
def test_bad_fault_rules_are_refused(emu: EmulatorControl, rule: dict[str, Any]) -> None:
    with pytest.raises(EmulatorControlError) as refused:
        emu.faults([rule])
    assert refused.value.status == 400


def test_fault_rules_can_be_read_back(emu: EmulatorControl) -> None:
    rules = emu.faults([{"operation": "InvokeFunction", "latencySeconds": 0.1}])
    assert rules == [
        {"operation": "InvokeFunction", "errorRate": 0.0, "status": 503, "latencySeconds": 0.1, "dropRate": 0.0}
    ]
    emu.reset()
    assert emu.faults([]) == []
