"""API Gateway deployments: callers must authenticate; no route may be anonymous; keys are fetched
over verified TLS (``is_ssl_verify_disabled`` never true on a JWKS/discovery policy)."""

from __future__ import annotations

from typing import Any

from bbf_util import blocks, first, strings

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

AUTH_TYPES = {"JWT_AUTHENTICATION", "TOKEN_AUTHENTICATION", "CUSTOM_AUTHENTICATION"}
ROUTE_AUTHZ = {"AUTHENTICATION_ONLY", "ANY_OF"}


def ssl_verify_disabled(block: Any) -> list[str]:
    """Every is_ssl_verify_disabled value anywhere below an authentication block."""
    if isinstance(block, dict):
        found = strings(block.get("is_ssl_verify_disabled")) if "is_ssl_verify_disabled" in block else []
        return found + [
            v for key, value in block.items() if key != "is_ssl_verify_disabled" for v in ssl_verify_disabled(value)
        ]
    if isinstance(block, list):
        return [v for item in block for v in ssl_verify_disabled(item)]
    return []


class ApiGatewayRequiresAuthentication(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="API Gateway deployment authenticates every caller over verified TLS; no route is anonymous",
            id="CKV_BBF_1",
            categories=[CheckCategories.IAM],
            supported_resources=["oci_apigateway_deployment"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        spec = blocks(conf, "specification")
        if not spec:
            return CheckResult.FAILED
        auth = [a for rp in blocks(spec[0], "request_policies") for a in blocks(rp, "authentication")]
        if len(auth) != 1:
            self.evaluated_keys = ["specification/[0]/request_policies/[0]/authentication"]
            return CheckResult.FAILED
        if (
            str(first(auth[0].get("type"))) not in AUTH_TYPES
            or first(auth[0].get("is_anonymous_access_allowed")) is not False
        ):
            self.evaluated_keys = [
                "specification/[0]/request_policies/[0]/authentication/[0]/is_anonymous_access_allowed"
            ]
            return CheckResult.FAILED
        if any(str(v).lower() == "true" for v in ssl_verify_disabled(auth[0])):
            self.evaluated_keys = [
                "specification/[0]/request_policies/[0]/authentication/[0]/validation_policy/[0]/is_ssl_verify_disabled"
            ]
            return CheckResult.FAILED
        routes = blocks(spec[0], "routes")
        if not routes:
            return CheckResult.FAILED
        for route in routes:
            authz = [z for rp in blocks(route, "request_policies") for z in blocks(rp, "authorization")]
            kinds = {str(first(z.get("type"))) for z in authz}
            if len(authz) != 1 or not kinds <= ROUTE_AUTHZ:
                self.evaluated_keys = ["specification/[0]/routes"]
                return CheckResult.FAILED
        return CheckResult.PASSED


check = ApiGatewayRequiresAuthentication()
