"""PostMetricData: 200 ``{"failedMetricsCount", "failedMetrics"}`` or a 4xx for the whole request."""

from __future__ import annotations

from ..core.responses import ApiResponse, BaseResponse
from ..core.state import GLOBAL
from .models import MonitoringBackend, PostMetricDataBody


class MonitoringResponse(BaseResponse):
    @property
    def backend(self) -> MonitoringBackend:
        return self.world.backend(MonitoringBackend, self.tenancy_id, GLOBAL)

    def post_metric_data(self) -> ApiResponse:
        body = self.body(PostMetricDataBody)
        failed = self.backend.post(self.region.name, body)
        return self.json({"failedMetricsCount": len(failed), "failedMetrics": failed})
