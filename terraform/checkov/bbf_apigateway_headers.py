"""API Gateway routes: the gateway (never the client) sets X-Gateway-Token and X-Auth-Subject."""

from __future__ import annotations

from typing import Any

from bbf_util import blocks, first, strings

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class ApiGatewayInjectsIdentityHeaders(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="API Gateway routes overwrite X-Gateway-Token and X-Auth-Subject (${request.auth[sub]})",
            id="CKV_BBF_2",
            categories=[CheckCategories.IAM],
            supported_resources=["oci_apigateway_deployment"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        spec = blocks(conf, "specification")
        routes = blocks(spec[0], "routes") if spec else []
        if not routes:
            return CheckResult.FAILED
        for route in routes:
            items = [
                item
                for rp in blocks(route, "request_policies")
                for ht in blocks(rp, "header_transformations")
                for sh in blocks(ht, "set_headers")
                for item in blocks(sh, "items")
            ]
            by_name = {str(first(i.get("name"))).lower(): i for i in items}
            token, subject = by_name.get("x-gateway-token"), by_name.get("x-auth-subject")
            if token is None or subject is None:
                self.evaluated_keys = ["specification/[0]/routes"]
                return CheckResult.FAILED
            if str(first(token.get("if_exists"))) != "OVERWRITE" or str(first(subject.get("if_exists"))) != "OVERWRITE":
                return CheckResult.FAILED
            if not any("request.auth[sub]" in s for s in strings(subject.get("values"))):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = ApiGatewayInjectsIdentityHeaders()
