"""OCIDs and URL path segments: what may go into a request path.

An OCID is ``ocid1.<resource type>.<realm>.[region][.future use].<unique id>`` (lower-case letters,
digits; the region part may be empty for tenancy-wide resources such as compartments). Anything from
an event or a request is checked against it (kind, realm, region) before it reaches a URL, and the
client refuses path segments that are not plain ids (no ``/``, ``?``, ``#``, ``%``, no ``.``/``..``).
"""

import re
from collections.abc import Iterable
from typing import Final, NamedTuple

from shared.oci.regions import realm_of, region_name

MAX_OCID_LENGTH: Final = 255
_PART: Final = re.compile(r"^[a-z0-9]+$")
_REGION_PART: Final = re.compile(r"^[a-z0-9-]*$")
PLAIN_SEGMENT: Final = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$")


class Ocid(NamedTuple):
    resource_type: str  # "volume", "volumebackup", "compartment", ...
    realm: str  # "oc1"
    region: str  # "iad", or "" for tenancy-wide resources
    unique: str


def parse_ocid(value: str) -> Ocid | None:
    """The parts of an OCID, or None when ``value`` is not one."""
    if not isinstance(value, str) or len(value) > MAX_OCID_LENGTH:
        return None
    parts = value.split(".")
    if len(parts) not in (5, 6) or parts[0] != "ocid1":
        return None
    resource_type, realm, region, *rest = parts[1:]
    unique = rest[-1]
    future = rest[0] if len(rest) == 2 else ""
    if not (_PART.match(resource_type) and _PART.match(realm) and _PART.match(unique)):
        return None
    if not (_REGION_PART.match(region) and _REGION_PART.match(future)):
        return None
    return Ocid(resource_type, realm, region, unique)


def ocid_problem(
    value: str, *, kinds: Iterable[str] = (), region: str | None = None, any_region: bool = False
) -> str | None:
    """Why ``value`` is not an OCID of one of ``kinds`` in ``region``'s realm (and region); None if it is.

    The region is checked only when the OCID names one (regional resources) and ``any_region`` is False.
    """
    parsed = parse_ocid(value)
    if parsed is None:
        return "must be an OCID (ocid1.<type>.<realm>.<region>.<id>)"
    wanted = tuple(kinds)
    if wanted and parsed.resource_type not in wanted:
        return f"must be the OCID of a {' or '.join(wanted)}, not of a {parsed.resource_type}"
    if region is None:
        return None
    if parsed.realm != realm_of(region):
        return f"is in realm {parsed.realm}, not in this function's realm {realm_of(region)}"
    if parsed.region and not any_region and region_name(parsed.region) != region_name(region):
        return f"is in region {region_name(parsed.region)}, not in this function's region {region_name(region)}"
    return None


def is_plain_segment(segment: str) -> bool:
    """A URL path segment that is a plain id or word (``volumes``, an OCID, ``actions``)."""
    return bool(PLAIN_SEGMENT.match(segment))
