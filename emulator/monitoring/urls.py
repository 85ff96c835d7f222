"""Monitoring (telemetry-ingestion) routes."""

from __future__ import annotations

from .responses import MonitoringResponse

response_class = MonitoringResponse

url_paths: dict[str, dict[str, tuple[str, str]]] = {
    "/20180401/metrics": {"POST": ("PostMetricData", "post_metric_data")},
}
