"""OCI's tag limits, refused as OCI refuses them: 400 ``InvalidParameter``.

Limits (docs.oracle.com "Tagging Overview" and the tag key definition pages of the Roving Edge /
Private Cloud Appliance docs, which reproduce OCI's): at most 64 tags on one resource, free-form and
defined together; tag keys of at most 100 characters, defined tag namespaces and keys without a period
or a space; values of at most 256 characters.

Assumptions (not verified against a tenancy): the count applies to the resource as it will be (a backup
gets its source's tags plus the ones in the request, so the sum is checked, at create and at update);
the error code is ``InvalidParameter`` (the one OCI uses for a request field out of bounds); control
characters in free-form keys are not refused (not documented).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .exceptions import InvalidParameter

MAX_TAGS: Final = 64
MAX_KEY: Final = 100
MAX_VALUE: Final = 256


def check_tags(freeform: Mapping[str, Any], defined: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise ``InvalidParameter`` when a resource would carry tags OCI refuses."""
    count = len(freeform) + sum(len(values) for values in defined.values())
    if count > MAX_TAGS:
        raise InvalidParameter(f"A resource can have at most {MAX_TAGS} tags (free-form and defined); got {count}.")
    for key, value in freeform.items():
        _check_pair("freeformTags", key, value)
    for namespace, values in defined.items():
        if not namespace or len(namespace) > MAX_KEY or any(c in namespace for c in ". "):
            raise InvalidParameter(f"definedTags: invalid tag namespace {namespace[:120]!r}.")
        for key, value in values.items():
            if any(c in key for c in ". "):
                raise InvalidParameter(f"definedTags.{namespace}: tag key {key[:120]!r} has a period or a space.")
            _check_pair(f"definedTags.{namespace}", key, value)


def _check_pair(field: str, key: str, value: Any) -> None:
    if not key or len(key) > MAX_KEY:
        raise InvalidParameter(f"{field}: tag keys must be 1 to {MAX_KEY} characters; got {len(key)}.")
    if isinstance(value, str) and len(value) > MAX_VALUE:
        raise InvalidParameter(f"{field}.{key}: tag values must be at most {MAX_VALUE} characters; got {len(value)}.")
