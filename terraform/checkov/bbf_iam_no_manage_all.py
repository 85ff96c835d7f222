"""IAM policies: never `manage all-resources`."""

from __future__ import annotations

import re
from typing import Any

from bbf_util import policy_statements

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

MANAGE_ALL = re.compile(r"(?i)\bmanage\s+all-resources\b")


class IamNoManageAllResources(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="IAM policy grants no `manage all-resources`",
            id="CKV_BBF_4",
            categories=[CheckCategories.IAM],
            supported_resources=["oci_identity_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        statements = policy_statements(conf)
        if not statements:
            return CheckResult.FAILED
        self.evaluated_keys = ["statements"]
        return CheckResult.FAILED if any(MANAGE_ALL.search(s) for s in statements) else CheckResult.PASSED


check = IamNoManageAllResources()
