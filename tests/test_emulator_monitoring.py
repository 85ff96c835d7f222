"""Emulator: Monitoring PostMetricData validates what OCI validates, answers failedMetrics, lists what it kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from emulator import DEFAULT_TENANCY, EmulatorControl
from emulator.api_client import SignedApi

REGION = "us-ashburn-1"
PATH = "/20180401/metrics"


def stamp(emu: EmulatorControl, offset_seconds: float = 0.0) -> str:
    now = datetime.fromtimestamp(float(emu.clock()["epochSeconds"]), UTC) + timedelta(seconds=offset_seconds)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def metric(emu: EmulatorControl, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "namespace": "block_backup",
        "compartmentId": DEFAULT_TENANCY,
        "name": "resources_unprotected",
        "dimensions": {"function": "create-backup", "region": REGION},
        "datapoints": [{"timestamp": stamp(emu), "value": 2}],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def post(api: SignedApi, metrics: list[dict[str, Any]], **extra: Any) -> requests.Response:
    return api.post(PATH, {"metricData": metrics, **extra})


def test_valid_metrics_are_stored_in_arrival_order(emu: EmulatorControl, signed_api: SignedApi) -> None:
    first = metric(emu, metadata={"unit": "count"})
    second = metric(emu, name="resources_protected", datapoints=[{"timestamp": stamp(emu), "value": 118, "count": 1}])
    response = post(signed_api, [first, second], batchAtomicity="NON_ATOMIC")
    assert response.status_code == 200, response.text
    assert response.json() == {"failedMetricsCount": 0, "failedMetrics": []}
    assert post(signed_api, [metric(emu, name="run_items")]).status_code == 200
    assert [m["name"] for m in emu.metrics()] == ["resources_unprotected", "resources_protected", "run_items"]
    assert emu.metrics()[0] == first  # as posted
    assert emu.metrics(region="us-phoenix-1") == [] and emu.metrics(tenancy_id="ocid1.tenancy.oc1..other") == []
    assert emu.calls() == {f"{REGION} PostMetricData": 2}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"namespace": "oci_backup"}, "reserved"),
        ({"namespace": "oracle_backup"}, "reserved"),
        ({"namespace": "1backup"}, "Invalid namespace"),
        ({"namespace": "block-backup"}, "Invalid namespace"),
        ({"name": "runs per hour"}, "Invalid metric name"),
        ({"name": "_runs"}, "Invalid metric name"),
        ({"dimensions": {}}, "1 to 20 dimensions"),
        ({"dimensions": {f"d{n}": "x" for n in range(21)}}, "1 to 20 dimensions"),
        ({"dimensions": {"function": ""}}, "Invalid value of dimension"),
        ({"dimensions": {"my key": "x"}}, "Invalid dimension key"),
        ({"dimensions": {"k": "x" * 513}}, "Invalid value of dimension"),
        ({"metadata": {"unit": ""}}, "Invalid metadata"),
        ({"datapoints": []}, "At least one datapoint"),
        ({"datapoints": [{"timestamp": "yesterday", "value": 1}]}, "RFC 3339"),
        ({"datapoints": [{"timestamp": "2026-01-01T00:00:00", "value": 1}]}, "time zone"),
        ({"datapoints": [{"timestamp": "STALE", "value": 1}]}, "2 hours or more in the past"),
        ({"datapoints": [{"timestamp": "FUTURE", "value": 1}]}, "10 minutes or more in the future"),
        ({"datapoints": [{"timestamp": "NOW", "value": 1, "count": 0}]}, "greater than zero"),
        ({"datapoints": [{"timestamp": "NOW", "value": "1"}]}, "datapoints.0.value"),
        ({"compartmentId": "ocid1.compartment.oc1..nowhere"}, "not found"),
        ({"namespace": None}, "'namespace'"),
        ({"colour": "blue"}, "'colour'"),
    ],
)
def test_invalid_metric_is_listed_as_failed_and_not_stored(
    emu: EmulatorControl, signed_api: SignedApi, changes: dict[str, Any], message: str
) -> None:
    times = {"STALE": stamp(emu, -7200), "FUTURE": stamp(emu, 601), "NOW": stamp(emu)}
    if "datapoints" in changes:
        points = [{**p, "timestamp": times.get(p["timestamp"], p["timestamp"])} for p in changes["datapoints"]]
        changes = {**changes, "datapoints": points}
    bad = metric(emu, **changes)
    if changes.get("namespace", "") is None:
        bad.pop("namespace", None)
    good = metric(emu)
    response = post(signed_api, [good, bad])
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["failedMetricsCount"] == 1
    (failed,) = answer["failedMetrics"]
    assert message in failed["message"] and failed["metricData"] == bad
    assert emu.metrics() == [good]


def test_timestamps_just_inside_the_window_are_accepted(emu: EmulatorControl, signed_api: SignedApi) -> None:
    points = [{"timestamp": stamp(emu, -7190), "value": 1}, {"timestamp": stamp(emu, 590), "value": 1}]
    assert post(signed_api, [metric(emu, datapoints=points)]).json()["failedMetricsCount"] == 0


def test_emulator_clock_is_the_reference(emu: EmulatorControl, signed_api: SignedApi) -> None:
    posted_now = metric(emu)
    emu.advance(7200)  # what was "now" is two hours old on the emulator clock
    response = post(signed_api, [posted_now])
    assert response.status_code == 400 and "in the past" in response.json()["message"]


def test_whole_call_refused(emu: EmulatorControl, signed_api: SignedApi) -> None:
    bad = metric(emu, namespace="oci_x")
    only_bad = post(signed_api, [bad])  # NON_ATOMIC needs at least one valid metric
    assert (only_bad.status_code, only_bad.json()["code"]) == (400, "InvalidParameter")
    atomic = post(signed_api, [metric(emu), bad], batchAtomicity="ATOMIC")
    assert atomic.status_code == 400 and "Every metric object" in atomic.json()["message"]
    too_many = [metric(emu, dimensions={"function": "f", "n": str(n)}) for n in range(51)]
    streams = post(signed_api, too_many)
    assert streams.status_code == 400 and "51 unique metric streams" in streams.json()["message"]
    fifty = post(signed_api, [*too_many[:50], too_many[0]])  # a repeated stream counts once
    assert fifty.status_code == 200
    bodies: list[dict[str, Any]] = [{"metricData": []}, {"metricData": [metric(emu)], "batchAtomicity": "X"}, {"a": 1}]
    for body in bodies:
        refused = signed_api.post(PATH, body)
        assert (refused.status_code, refused.json()["code"]) == (400, "InvalidParameter"), body
    assert len(emu.metrics()) == 51


def test_calls_per_second_per_tenancy(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.settings(metrics_posts_per_second=2)
    assert post(signed_api, [metric(emu)]).status_code == 200
    assert post(signed_api, [metric(emu)]).status_code == 200
    third = post(signed_api, [metric(emu)])
    assert (third.status_code, third.json()["code"]) == (429, "TooManyRequests")
    emu.advance(1)
    assert post(signed_api, [metric(emu)]).status_code == 200


def test_unsigned_post_is_refused(emu: EmulatorControl, signed_api: SignedApi) -> None:
    response = requests.post(signed_api.url(PATH), json={"metricData": [metric(emu)]}, timeout=10)
    assert response.status_code == 401
    assert emu.metrics() == []


def test_served_on_the_ingestion_host_only(emu: EmulatorControl, signed_api: SignedApi) -> None:
    body = {"metricData": [metric(emu)]}
    ingestion = signed_api.post(PATH, body, endpoint=emu.url(REGION, "telemetry-ingestion"))
    assert ingestion.status_code == 200, ingestion.text
    elsewhere = signed_api.post(PATH, body, endpoint=emu.url(REGION, "iaas"))
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "NotFound")
    assert len(emu.metrics()) == 1
