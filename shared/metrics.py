"""The custom metrics every run posts: one PostMetricData call (NON_ATOMIC, at most 50 streams).

Namespace ``METRICS_NAMESPACE`` (default ``block_backup``; empty: no metrics), compartment
``METRICS_COMPARTMENT_ID`` (default: the first of ``COMPARTMENT_IDS``), one datapoint per stream at
the run's finish time:

============================  ==================================  =========================================
metric                        dimensions                          value
============================  ==================================  =========================================
``run_items``                 ``function``, ``trigger``,          items of the run with that status; every
                              ``status``                          status that occurred, and ``failed`` always
                                                                  (0 lets a "failed > 0" alarm clear); a run
                                                                  that ended in an error counts 1 more failed
``run_failed``                ``function``, ``trigger``           1 when the run failed (an error, or every
                                                                  item failed: status 500), else 0
``resources_protected``       ``function``, ``region``            posture: resources with a backup within RPO
``resources_unprotected``     ``function``, ``region``            posture: resources without one
``dr_sources_protected``      ``function``, ``region``,           DR posture, per destination region
                              ``destination``
``dr_sources_unprotected``    ``function``, ``region``,           DR posture, per destination region
                              ``destination``
``backup_headroom_days``      ``function``, ``region``            backup headroom: days until the tenancy
                                                                  reaches its backup limit (36500: never)
``backups_used``              ``function``, ``region``            backup headroom: the tenancy's backups
``backup_limit``              ``function``, ``region``            backup headroom: the tenancy's limit
============================  ==================================  =========================================

The digest is published first; the metrics get what is left, at most ``METRICS_SHARE`` of the remaining
time and never more than ``METRICS_MAX_SECONDS``, with few retries (``METRICS_RETRY``): a slow or
throttling Monitoring endpoint costs a run a few seconds, never its digest. A failure to post is
logged and noted in the answer; it never fails the run.
"""

from __future__ import annotations

import logging
from typing import Final

from shared import log
from shared.oci.client import OciClient
from shared.oci.errors import OciError
from shared.oci.monitoring import MAX_STREAMS_PER_CALL, Datapoint, MetricDataDetails, post_metric_data
from shared.oci.retry import Deadline, RetryPolicy
from shared.results import ItemStatus, RunResult
from shared.settings import CommonSettings

RUN_ITEMS: Final = "run_items"
RUN_FAILED: Final = "run_failed"
METRICS_SHARE: Final = 0.25
METRICS_MAX_SECONDS: Final = 5.0
METRICS_RETRY: Final = RetryPolicy(max_attempts=2, max_throttled_attempts=3, throttle_max_delay=1.0)


def metrics_deadline(call_deadline: Deadline) -> Deadline:
    """The metrics' bounded share of the time left before ``call_deadline``."""
    remaining = call_deadline.remaining()
    return Deadline.after(max(0.0, min(METRICS_MAX_SECONDS, METRICS_SHARE * remaining)))


def run_metrics(result: RunResult, namespace: str, compartment_id: str, region: str) -> list[MetricDataDetails]:
    """The run's metric streams: item counts by status first, then the gauges of each section of the report."""
    at = result.finished_at or result.started_at
    function = result.function.replace("_", "-")

    def gauge(name: str, value: float, **dimensions: str) -> MetricDataDetails:
        return MetricDataDetails(
            namespace=namespace,
            compartment_id=compartment_id,
            name=name,
            dimensions={"function": function, **dimensions},
            datapoints=[Datapoint(timestamp=at, value=float(value))],
        )

    failed_run = 1 if result.error else 0  # a run that ended in an error failed, items or not
    streams = [
        gauge(
            RUN_ITEMS,
            result.counts.get(status.value, 0) + (failed_run if status is ItemStatus.FAILED else 0),
            trigger=result.trigger,
            status=status.value,
        )
        for status in ItemStatus
        if status.value in result.counts or status is ItemStatus.FAILED
    ]
    streams.append(gauge(RUN_FAILED, 1 if result.error or result.all_failed else 0, trigger=result.trigger))
    for section in result.sections:
        # a gauge may name its own region (a restore test in a DR region); else the function's
        streams.extend(gauge(g.name, g.value, **{"region": region, **g.dimensions}) for g in section.gauges())
    return streams


def publish_metrics(
    client: OciClient, region: str, settings: CommonSettings, result: RunResult, deadline: Deadline
) -> None:
    """Post the run's metrics in one call; whatever goes wrong is logged and noted in ``result``."""
    namespace = settings.metrics_namespace
    if not namespace:
        return
    compartment = settings.metrics_compartment
    if compartment is None:
        log.event("metrics not posted: no compartment", logging.WARNING)
        result.notes.append("metrics not posted: set METRICS_COMPARTMENT_ID (or COMPARTMENT_IDS)")
        return
    streams = run_metrics(result, namespace, compartment, region)
    if len(streams) > MAX_STREAMS_PER_CALL:
        result.notes.append(
            f"{len(streams) - MAX_STREAMS_PER_CALL} metric streams not posted (PostMetricData takes "
            f"{MAX_STREAMS_PER_CALL} a call)"
        )
        streams = streams[:MAX_STREAMS_PER_CALL]
    try:
        answer = post_metric_data(client, region, streams, deadline=deadline, retry=METRICS_RETRY)
    except OciError as exc:
        log.event("could not post the metrics", logging.ERROR, error=str(exc))
        result.notes.append(f"metrics not posted: {exc}")
        return
    if answer.failed_metrics_count:
        reasons = sorted({failed.message for failed in answer.failed_metrics})
        log.event(
            "metrics partly refused",
            logging.WARNING,
            refused=answer.failed_metrics_count,
            reasons=reasons,
            opc_request_id=answer.opc_request_id,
        )
        result.notes.append(
            f"{answer.failed_metrics_count} of {len(streams)} metrics refused by Monitoring: {'; '.join(reasons)}"
        )
        return
    log.event("posted metrics", streams=len(streams), namespace=namespace, opc_request_id=answer.opc_request_id)
