"""Custom metrics as Monitoring ingests them: validated metric by metric, kept per tenancy in arrival order.

The rules (oci-protection.md section 3, from the SDK 2.189.0 docstrings):

* namespace: starts with a letter, then letters, digits and ``_``; not ``oci_`` / ``oracle_``;
* name (and resourceGroup): starts with a letter, then letters, digits, ``.``, ``_``, ``-``, ``$``;
* dimensions: 1 to 20; keys printable ASCII without spaces, at most 256 characters; values non-empty,
  at most 512 characters; metadata keys and values non-empty, at most 256 characters;
* datapoints: at least one; ``timestamp`` RFC 3339, less than 2 hours in the past and less than
  10 minutes in the future of the emulator clock; ``value`` a number; ``count`` > 0 if given;
* at most 50 unique metric streams (namespace + name + dimensions) per call;
* 50 calls per second per tenancy (``metrics_posts_per_second``), else 429 ``TooManyRequests``.

Assumptions (the SDK does not say; named here so tests can find them):

* A metric object that breaks a rule (including a missing or mistyped field) is a per-metric
  failure, listed in ``failedMetrics`` with a message and the object as posted; the valid ones are
  stored. With ``NON_ATOMIC`` (the default) the call is refused as a whole (400 ``InvalidParameter``)
  only when no metric passes ("at least one metric object must pass"); with ``ATOMIC`` when any fails.
* More than 50 streams, an empty ``metricData``, an unknown top-level field or an unknown
  ``batchAtomicity`` refuse the whole call with 400 ``InvalidParameter``.
* A metric's ``compartmentId`` must be the tenancy or one of its compartments, else that metric fails
  ("compartment not found"). IAM (``use metrics ... where target.metrics.namespace``) is not modelled.
* No length limits are enforced on namespace and name (the SDK states none).
"""

from __future__ import annotations

import math
import re
from collections import deque
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..core.exceptions import InvalidParameter, TooManyRequests
from ..core.state import GLOBAL, BaseBackend, World
from ..identity.models import IdentityBackend

NAMESPACE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._\-$]*$")
DIMENSION_KEY = re.compile(r"^[\x21-\x7e]{1,256}$")  # printable ASCII, no space
RESERVED_PREFIXES = ("oci_", "oracle_")
MIN_DIMENSIONS, MAX_DIMENSIONS = 1, 20
MAX_DIMENSION_VALUE = 512
MAX_METADATA_CHARS = 256
MAX_STREAMS = 50
MAX_PAST_SECONDS = 2 * 3600.0
MAX_FUTURE_SECONDS = 600.0


class PostMetricDataBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    metric_data: list[dict[str, Any]] = Field(alias="metricData", min_length=1)
    batch_atomicity: Literal["ATOMIC", "NON_ATOMIC"] = Field(default="NON_ATOMIC", alias="batchAtomicity")


class DatapointBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    timestamp: str
    value: float
    count: int | None = None


class MetricBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    namespace: str
    compartment_id: str = Field(alias="compartmentId")
    name: str
    dimensions: dict[str, str]
    datapoints: list[DatapointBody]
    metadata: dict[str, str] | None = None
    resource_group: str | None = Field(default=None, alias="resourceGroup")


class MetricRefused(ValueError):
    """One metric object fails input validation; the message goes into ``failedMetrics``."""


class MonitoringBackend(BaseBackend):
    """Tenancy-wide (region ``GLOBAL``): the metrics accepted in every region, in arrival order."""

    def __init__(self, world: World, tenancy_id: str, region: str) -> None:
        super().__init__(world, tenancy_id, region)
        self.metrics: list[tuple[str, dict[str, Any]]] = []  # (region, the metric object as posted)
        self._recent: deque[float] = deque()

    def post(self, region: str, body: PostMetricDataBody) -> list[dict[str, Any]]:
        """Store the valid metrics; the failed ones as ``[{"message", "metricData"}]``."""
        self._throttle()
        streams = {_stream(metric) for metric in body.metric_data}
        if len(streams) > MAX_STREAMS:
            raise InvalidParameter(
                f"The request has {len(streams)} unique metric streams; PostMetricData accepts at most {MAX_STREAMS}."
            )
        accepted: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for metric in body.metric_data:
            try:
                self._check(metric)
            except MetricRefused as exc:
                failed.append({"message": str(exc), "metricData": metric})
            else:
                accepted.append(metric)
        if failed and (body.batch_atomicity == "ATOMIC" or not accepted):
            need = "Every metric object" if body.batch_atomicity == "ATOMIC" else "At least one metric object"
            raise InvalidParameter(
                f"{need} must pass input validation (batchAtomicity {body.batch_atomicity}): {failed[0]['message']}"
            )
        self.metrics.extend((region, metric) for metric in accepted)
        return failed

    def listed(self, region: str | None = None) -> list[dict[str, Any]]:
        return [metric for where, metric in self.metrics if region is None or where == region]

    def _throttle(self) -> None:
        limit = self.world.settings.metrics_posts_per_second
        now = self.world.clock.now()
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) >= limit:
            raise TooManyRequests(f"More than {limit} PostMetricData calls per second in this tenancy.")
        self._recent.append(now)

    def _check(self, raw: dict[str, Any]) -> None:
        try:
            metric = MetricBody.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise MetricRefused(f"Invalid value for '{loc}': {err['msg']}.") from None
        check_namespace(metric.namespace)
        if not NAME.match(metric.name):
            raise MetricRefused(
                f"Invalid metric name {metric.name!r}: it must start with a letter and contain only letters, "
                "digits, '.', '_', '-' and '$'."
            )
        if metric.resource_group is not None and not NAME.match(metric.resource_group):
            raise MetricRefused(f"Invalid resourceGroup {metric.resource_group!r}.")
        self._check_compartment(metric.compartment_id)
        check_dimensions(metric.dimensions)
        check_metadata(metric.metadata or {})
        if not metric.datapoints:
            raise MetricRefused("At least one datapoint is required.")
        now = self.world.clock.now()
        for point in metric.datapoints:
            check_datapoint(point, now)

    def _check_compartment(self, compartment_id: str) -> None:
        if compartment_id == self.tenancy_id:
            return
        identity = self.world.backend(IdentityBackend, self.tenancy_id, GLOBAL)
        if compartment_id not in identity.compartments:
            raise MetricRefused(f"Compartment {compartment_id} not found or not authorized.")


def _stream(metric: dict[str, Any]) -> tuple[str, str, str]:
    dimensions = metric.get("dimensions")
    dims = sorted(dimensions.items()) if isinstance(dimensions, dict) else []
    return str(metric.get("namespace")), str(metric.get("name")), repr(dims)


def check_namespace(namespace: str) -> None:
    if not NAMESPACE.match(namespace):
        raise MetricRefused(
            f"Invalid namespace {namespace!r}: it must start with a letter and contain only letters, digits and '_'."
        )
    if namespace.lower().startswith(RESERVED_PREFIXES):
        raise MetricRefused(f"Invalid namespace {namespace!r}: the prefixes oci_ and oracle_ are reserved.")


def check_dimensions(dimensions: dict[str, str]) -> None:
    if not MIN_DIMENSIONS <= len(dimensions) <= MAX_DIMENSIONS:
        raise MetricRefused(
            f"A metric needs {MIN_DIMENSIONS} to {MAX_DIMENSIONS} dimensions; this one has {len(dimensions)}."
        )
    for key, value in dimensions.items():
        if not DIMENSION_KEY.match(key):
            raise MetricRefused(f"Invalid dimension key {key!r}: printable ASCII without spaces, 1 to 256 characters.")
        if not value or len(value) > MAX_DIMENSION_VALUE:
            raise MetricRefused(f"Invalid value of dimension {key!r}: 1 to {MAX_DIMENSION_VALUE} characters.")


def check_metadata(metadata: dict[str, str]) -> None:
    for key, value in metadata.items():
        if not key or not value or len(key) > MAX_METADATA_CHARS or len(value) > MAX_METADATA_CHARS:
            raise MetricRefused(f"Invalid metadata {key!r}: keys and values take 1 to {MAX_METADATA_CHARS} characters.")


def check_datapoint(point: DatapointBody, now: float) -> None:
    try:
        when = datetime.fromisoformat(point.timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise MetricRefused(f"Invalid datapoint timestamp {point.timestamp!r}: RFC 3339 expected.") from None
    if when.tzinfo is None:
        raise MetricRefused(f"Invalid datapoint timestamp {point.timestamp!r}: a time zone is required.")
    age = now - when.timestamp()
    if age >= MAX_PAST_SECONDS:
        raise MetricRefused(f"Datapoint timestamp {point.timestamp} is 2 hours or more in the past.")
    if -age >= MAX_FUTURE_SECONDS:
        raise MetricRefused(f"Datapoint timestamp {point.timestamp} is 10 minutes or more in the future.")
    if not math.isfinite(point.value):
        raise MetricRefused("Datapoint value must be a finite number.")
    if point.count is not None and point.count <= 0:
        raise MetricRefused(f"Datapoint count must be greater than zero, got {point.count}.")
