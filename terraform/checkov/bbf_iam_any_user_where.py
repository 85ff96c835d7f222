"""IAM policies: an ``any-user``/``any-group`` statement always narrows the principal with ``where``.

``Allow any-user to ... in compartment ...`` without a condition grants every principal of every
tenancy that can reach OCI; the service grants here (ApiGateway, resourceschedule) must say which
principal they are for (``request.principal.type`` / ``request.principal.id``).
"""

from __future__ import annotations

import re
from typing import Any

from bbf_util import policy_statements

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

ANY_PRINCIPAL = re.compile(r"(?i)^\W*allow\s+any-(user|group)\b")
NARROWED = re.compile(r"(?i)\swhere\s.*\brequest\.principal\.(type|id)\s*=")


class IamAnyUserNarrowed(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="IAM `allow any-user` statements have a where clause on request.principal",
            id="CKV_BBF_8",
            categories=[CheckCategories.IAM],
            supported_resources=["oci_identity_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["statements"]
        for statement in policy_statements(conf):
            if ANY_PRINCIPAL.search(statement) and not NARROWED.search(statement):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = IamAnyUserNarrowed()
