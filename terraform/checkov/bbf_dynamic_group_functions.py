"""Dynamic groups: match functions (fnfunc) of one compartment, not all resources."""

from __future__ import annotations

from typing import Any

from bbf_util import strings

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class DynamicGroupOnlyFunctions(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Dynamic group matches fnfunc resources of a compartment only",
            id="CKV_BBF_7",
            categories=[CheckCategories.IAM],
            supported_resources=["oci_identity_dynamic_group"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["matching_rule"]
        rule = " ".join(strings(conf.get("matching_rule")))
        ok = "fnfunc" in rule and "resource.compartment.id" in rule and "all-resources" not in rule
        return CheckResult.PASSED if ok else CheckResult.FAILED


check = DynamicGroupOnlyFunctions()
