"""Functions: the image comes from a variable (built and pushed before apply), never a literal."""

from __future__ import annotations

import re
from typing import Any

from bbf_util import first, raw_block

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

IMAGE_LINE = re.compile(r"(?m)^\s*image\s*=\s*(.+?)\s*$")


class FunctionImageFromVariable(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Function image is a variable, not a hard-coded reference",
            id="CKV_BBF_6",
            categories=[CheckCategories.SUPPLY_CHAIN],
            supported_resources=["oci_functions_function"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["image"]
        # checkov substitutes variables from *.tfvars, so judge the source text where possible.
        scanned_file = self.entity_path.split(":", 1)[0]
        raw = raw_block(scanned_file, conf)
        if raw is not None:
            match = IMAGE_LINE.search(raw)
            return CheckResult.PASSED if match and re.match(r"^var\.\w+$", match.group(1)) else CheckResult.FAILED
        value = str(first(conf.get("image")))
        return CheckResult.PASSED if value.startswith(("var.", "${var.")) else CheckResult.FAILED


check = FunctionImageFromVariable()
