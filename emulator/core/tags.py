"""Who may write which defined-tag namespace.

OCI refuses a create or update that applies defined tags of a namespace the caller may not use
(``use tag-namespaces``) with 400 ``RelatedResourceNotAuthorizedOrNotFound`` "The following tag
namespaces / keys are not authorized or not found: 'oracle-tags'" (seen in
oracle/terraform-provider-oci#1969). ``Oracle-Tags`` (``CreatedBy``, ``CreatedOn``) is set by OCI itself
and never writable. The control API grants namespaces per tenancy (``POST /_emulator/tag-namespaces``);
nothing is granted by default, as in a deployment without the grant.

Assumption: an update is checked only for the namespaces whose keys/values it changes (a namespace
sent back unchanged is not a new write).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .exceptions import RelatedResourceNotAuthorizedOrNotFound

ORACLE_TAGS = "Oracle-Tags"


def check_defined_tag_writes(
    granted: set[str],
    written: Mapping[str, Mapping[str, Any]] | None,
    current: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Raise unless every namespace the request writes is granted (and none is Oracle-Tags)."""
    refused = []
    for namespace, values in (written or {}).items():
        if current is not None and dict((current or {}).get(namespace, {})) == dict(values or {}):
            continue
        if namespace.lower() == ORACLE_TAGS.lower() or namespace.lower() not in granted:
            refused.append(namespace.lower())
    if refused:
        names = ", ".join(f"'{name}'" for name in sorted(refused))
        raise RelatedResourceNotAuthorizedOrNotFound(
            f"The following tag namespaces / keys are not authorized or not found: {names}"
        )
