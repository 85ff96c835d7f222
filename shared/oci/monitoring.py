"""Monitoring custom metrics: PostMetricData (``POST /20180401/metrics``) on the ingestion host.

PostMetricData lives on ``telemetry-ingestion.<region>.oraclecloud.com``, not on the ``telemetry``
host of Monitoring's other operations (the SDK's docstring). Per call, OCI takes at most 50 unique
metric streams (a stream: namespace + name + dimensions) and 1 to 20 dimensions per metric; a
datapoint's timestamp must be less than 2 h in the past and less than 10 min in the future. With
``NON_ATOMIC`` (the default) the valid metrics are stored and the answer lists the others.

The streams limit is checked here, before sending (``TooManyStreams``, nothing sent); the other
rules are Monitoring's to apply and come back as ``failedMetrics``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from pydantic import Field

from shared.oci.client import OciClient, OciRequest
from shared.oci.endpoints import Service
from shared.oci.errors import OciError
from shared.oci.models import OciModel, RequestModel
from shared.oci.retry import NO_DEADLINE, Deadline, RetryPolicy

MAX_STREAMS_PER_CALL: Final = 50
MAX_DIMENSIONS: Final = 20


class BatchAtomicity(StrEnum):
    ATOMIC = "ATOMIC"
    NON_ATOMIC = "NON_ATOMIC"


class Datapoint(RequestModel):
    timestamp: datetime
    value: float
    count: int | None = Field(default=None, gt=0)


class MetricDataDetails(RequestModel):
    namespace: str
    compartment_id: str
    name: str
    dimensions: dict[str, str]
    datapoints: list[Datapoint]
    metadata: dict[str, str] | None = None
    resource_group: str | None = None

    @property
    def stream(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        """What makes a metric stream unique (OCI counts these against the 50 per call)."""
        return self.namespace, self.name, tuple(sorted(self.dimensions.items()))


class PostMetricDataDetails(RequestModel):
    metric_data: list[MetricDataDetails]
    batch_atomicity: BatchAtomicity | None = None


class FailedMetricRecord(OciModel):
    message: str
    metric_data: dict[str, Any] | None = None


class PostMetricDataResult(OciModel):
    failed_metrics_count: int
    failed_metrics: list[FailedMetricRecord] = Field(default_factory=list)
    opc_request_id: str | None = None


class TooManyStreams(OciError):
    """More unique metric streams than one PostMetricData call takes; raised before sending."""


def post_metric_data(
    client: OciClient,
    region: str,
    metric_data: Sequence[MetricDataDetails],
    *,
    atomicity: BatchAtomicity = BatchAtomicity.NON_ATOMIC,
    deadline: Deadline = NO_DEADLINE,
    retry: RetryPolicy | None = None,
) -> PostMetricDataResult:
    """One PostMetricData call; the answer says how many metrics Monitoring refused, and why."""
    streams = len({metric.stream for metric in metric_data})
    if streams > MAX_STREAMS_PER_CALL:
        raise TooManyStreams(f"{streams} metric streams; PostMetricData takes at most {MAX_STREAMS_PER_CALL} a call")
    details = PostMetricDataDetails(metric_data=list(metric_data), batch_atomicity=atomicity)
    request = OciRequest("PostMetricData", "POST", Service.TELEMETRY_INGESTION, region, "/metrics", body=details)
    response = client.call(request._replace(deadline=deadline, retry=retry))
    result = PostMetricDataResult.model_validate(response.data)
    result.opc_request_id = response.opc_request_id
    return result
