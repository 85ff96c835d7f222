"""Dynamic groups: match exactly this configuration's functions, never more.

The matching rule must be ``ANY {ALL {...}, ...}`` (or one ``ALL {...}``) where every ``ALL`` arm is
``resource.type = 'fnfunc'`` narrowed by ``resource.id`` (the function OCIDs), and nothing else: no arm
that matches every fnfunc of a compartment or the tenancy, no other resource type, no ``instance.*`` or
``tag.*`` predicate outside an arm. Judged on the source text where possible (checkov's rendering of
the ``for`` expression in the rule is lossy), else on the rendered rule.
"""

from __future__ import annotations

import re
from typing import Any

from bbf_util import braced, raw_attribute, raw_block, strings

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

RESOURCE_TYPE = re.compile(r"resource\.type\s*[=:]\s*['\"]?([A-Za-z0-9_.-]+)")
RESOURCE_ID = re.compile(r"resource\.id\s*[=:]")
PREDICATE = re.compile(r"\b(resource|instance|tag|request|target)\.[A-Za-z]")


def rule_ok(rule: str) -> bool:
    rule = rule.strip().strip('"').strip()
    if not re.match(r"^(ANY|ALL)\s*\{", rule, re.IGNORECASE):
        return False
    arms = braced(rule, "ALL")
    if not arms:
        return False
    for arm in arms:
        if set(RESOURCE_TYPE.findall(arm)) != {"fnfunc"} or not RESOURCE_ID.search(arm):
            return False
    rest = rule
    for arm in arms:
        rest = rest.replace(arm, "")
    return not PREDICATE.search(rest)


class DynamicGroupOnlyFunctions(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Dynamic group matches only these functions: every arm ALL {fnfunc, resource.id}",
            id="CKV_BBF_7",
            categories=[CheckCategories.IAM],
            supported_resources=["oci_identity_dynamic_group"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["matching_rule"]
        raw = raw_block(self.entity_path.split(":", 1)[0], conf)
        rule = raw_attribute(raw, "matching_rule") if raw is not None else None
        if rule is None:
            rule = " ".join(strings(conf.get("matching_rule")))
        return CheckResult.PASSED if rule_ok(rule) else CheckResult.FAILED


check = DynamicGroupOnlyFunctions()
