"""IAM policies: every statement is scoped to a compartment, none to the whole tenancy.

One exception, exactly this statement: `read resource-availability in tenancy` (the Limits service's usage
counts, read-only), which GetResourceAvailability needs to answer the tenancy's backup count. The service
statements (cloudEvents, ApiGateway, resourceschedule) are scoped to the functions' compartment too.
"""

from __future__ import annotations

import re
from typing import Any

from bbf_util import policy_statements

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

IN_COMPARTMENT = re.compile(r"(?i)\sin\s+compartment\s+(id\s+)?\S+")
IN_TENANCY = re.compile(r"(?i)\sin\s+tenancy\b")
TENANCY_READ_ONLY = re.compile(r"^Allow dynamic-group \S+ to read resource-availability in tenancy$")


class IamStatementsCompartmentScoped(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="IAM policy statements are scoped `in compartment`, never `in tenancy`",
            id="CKV_BBF_5",
            categories=[CheckCategories.IAM],
            supported_resources=["oci_identity_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        statements = policy_statements(conf)
        if not statements:
            return CheckResult.FAILED
        self.evaluated_keys = ["statements"]
        for statement in statements:
            if TENANCY_READ_ONLY.match(statement):
                continue
            if IN_TENANCY.search(statement) or not IN_COMPARTMENT.search(statement):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = IamStatementsCompartmentScoped()
