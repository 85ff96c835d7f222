"""API Gateway routes: the gateway (never the client) sets X-Gateway-Token and X-Auth-Subject.

The token must come from a variable (sensitive, kept out of the code): judged on the source text,
since checkov substitutes variables from *.tfvars into the rendered configuration.
"""

from __future__ import annotations

import re
from typing import Any

from bbf_util import blocks, braced, first, raw_attribute, raw_block, strings

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

TOKEN_FROM_VARIABLE = re.compile(r"^\[\s*var\.[A-Za-z0-9_]+\s*\]$")


def token_from_variable(raw: str | None, token: dict[str, Any]) -> bool:
    """The X-Gateway-Token item's values are exactly one variable reference."""
    if raw is not None:
        items = [i for i in braced(raw, "items") if re.search(r'name\s*=\s*"X-Gateway-Token"', i, re.IGNORECASE)]
        values = [raw_attribute(i, "values") for i in items]
        return bool(values) and all(v is not None and TOKEN_FROM_VARIABLE.match(v) for v in values)
    rendered = strings(token.get("values"))
    return len(rendered) == 1 and rendered[0].removeprefix("${").startswith("var.")


class ApiGatewayInjectsIdentityHeaders(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="API Gateway routes overwrite X-Gateway-Token (a variable) and X-Auth-Subject (${request.auth[sub]})",
            id="CKV_BBF_2",
            categories=[CheckCategories.IAM],
            supported_resources=["oci_apigateway_deployment"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        spec = blocks(conf, "specification")
        routes = blocks(spec[0], "routes") if spec else []
        if not routes:
            return CheckResult.FAILED
        raw = raw_block(self.entity_path.split(":", 1)[0], conf)
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
            if not token_from_variable(raw, token):
                self.evaluated_keys = ["specification/[0]/routes"]
                return CheckResult.FAILED
        return CheckResult.PASSED


check = ApiGatewayInjectsIdentityHeaders()
