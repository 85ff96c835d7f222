"""The client's PostMetricData: the ingestion host for real OCI, the emulator under OCI_ENDPOINT_TEMPLATE,
the 50-stream limit checked before sending, and Monitoring's partial answer typed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from emulator import EmulatorControl
from shared.oci.client import OciClient
from shared.oci.endpoints import Service, service_endpoint
from shared.oci.errors import InvalidParameter
from shared.oci.monitoring import Datapoint, MetricDataDetails, TooManyStreams, post_metric_data
from tests.conftest import HOME_REGION


def gauge(compartment: str, name: str = "resources_unprotected", **dimensions: str) -> MetricDataDetails:
    return MetricDataDetails(
        namespace="block_backup",
        compartment_id=compartment,
        name=name,
        dimensions=dimensions or {"function": "create-backup"},
        datapoints=[Datapoint(timestamp=datetime.now(UTC), value=3)],
    )


def test_ingestion_host_for_real_oci() -> None:
    assert (
        service_endpoint(Service.TELEMETRY_INGESTION, "eu-frankfurt-1")
        == "https://telemetry-ingestion.eu-frankfurt-1.oraclecloud.com/20180401"
    )


def test_post_and_partial_refusal(emu: EmulatorControl, client: OciClient, compartment: str) -> None:
    ok = post_metric_data(client, HOME_REGION, [gauge(compartment)])
    assert ok.failed_metrics_count == 0 and ok.opc_request_id
    (posted,) = emu.metrics()
    assert posted["datapoints"][0]["value"] == 3 and posted["dimensions"] == {"function": "create-backup"}
    assert "batchAtomicity" not in posted  # the metric object, as posted
    partly = post_metric_data(client, HOME_REGION, [gauge(compartment), gauge(compartment, name="9lives")])
    assert partly.failed_metrics_count == 1
    assert "Invalid metric name" in partly.failed_metrics[0].message
    assert partly.failed_metrics[0].metric_data and partly.failed_metrics[0].metric_data["name"] == "9lives"
    with pytest.raises(InvalidParameter):  # nothing valid: NON_ATOMIC refuses the call
        post_metric_data(client, HOME_REGION, [gauge(compartment, name="9lives")])


def test_more_than_50_streams_are_refused_before_sending(
    emu: EmulatorControl, client: OciClient, compartment: str
) -> None:
    streams = [gauge(compartment, function="f", n=str(n)) for n in range(51)]
    with pytest.raises(TooManyStreams):
        post_metric_data(client, HOME_REGION, streams)
    assert emu.calls() == {}
    post_metric_data(client, HOME_REGION, [*streams[:50], streams[0]])  # a repeated stream counts once
    assert len(emu.metrics()) == 51
