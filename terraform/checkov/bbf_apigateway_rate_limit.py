"""API Gateway deployments: per-client rate limiting."""

from __future__ import annotations

from typing import Any

from bbf_util import blocks, first

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class ApiGatewayRateLimited(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="API Gateway deployment has rate limiting per client IP",
            id="CKV_BBF_3",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["oci_apigateway_deployment"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        spec = blocks(conf, "specification")
        limits = [r for rp in blocks(spec[0], "request_policies") for r in blocks(rp, "rate_limiting")] if spec else []
        if len(limits) == 1 and str(first(limits[0].get("rate_key"))) == "CLIENT_IP":
            return CheckResult.PASSED
        self.evaluated_keys = ["specification/[0]/request_policies/[0]/rate_limiting"]
        return CheckResult.FAILED


check = ApiGatewayRateLimited()
