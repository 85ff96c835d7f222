"""OCI regions and realms: region key <-> identifier, realm of a region, realm second-level domain.

The built-in table is the OCI Python SDK 2.189.0's ``oci/regions_definitions.py`` (85 regions in 20
realms; docs.oracle.com/iaas/Content/General/Concepts/regions.htm lists them). Regions the table does not
know can be described at run time with ``register_region`` or ``register_region_metadata`` (the JSON the
Functions runtime puts in ``OCI_REGION_METADATA``). Like the SDK, a region nobody registered is assumed
to be in realm ``oc1``.
"""

from __future__ import annotations

import json
import threading
from typing import Final

DEFAULT_REALM: Final = "oc1"

# realm key -> second-level domain of its endpoints (``<service>.<region>.<domain>``)
REALM_DOMAINS: dict[str, str] = {
    "oc1": "oraclecloud.com",
    "oc2": "oraclegovcloud.com",
    "oc3": "oraclegovcloud.com",
    "oc4": "oraclegovcloud.uk",
    "oc8": "oraclecloud8.com",
    "oc9": "oraclecloud9.com",
    "oc10": "oraclecloud10.com",
    "oc14": "oraclecloud14.com",
    "oc15": "oraclecloud15.com",
    "oc19": "oraclecloud.eu",
    "oc20": "oraclecloud20.com",
    "oc21": "oraclecloud21.com",
    "oc23": "oraclecloud23.com",
    "oc24": "oraclecloud24.com",
    "oc26": "oraclecloud26.com",
    "oc29": "oraclecloud29.com",
    "oc35": "oraclecloud35.com",
    "oc42": "oraclecloud42.com",
    "oc51": "oraclecloud51.com",
    "oc52": "oraclecloud52.com",
}

# realm key -> {upper-case region key -> region identifier}
_REALM_REGIONS: Final[dict[str, dict[str, str]]] = {
    "oc1": {
        "LEJ": "af-casablanca-1",
        "JNB": "af-johannesburg-1",
        "HSG": "ap-batam-1",
        "YNY": "ap-chuncheon-1",
        "ONM": "ap-delhi-1",
        "HYD": "ap-hyderabad-1",
        "JBP": "ap-kulai-2",
        "MEL": "ap-melbourne-1",
        "BOM": "ap-mumbai-1",
        "KIX": "ap-osaka-1",
        "ICN": "ap-seoul-1",
        "SIN": "ap-singapore-1",
        "XSP": "ap-singapore-2",
        "SYD": "ap-sydney-1",
        "NRT": "ap-tokyo-1",
        "YUL": "ca-montreal-1",
        "YYZ": "ca-toronto-1",
        "AMS": "eu-amsterdam-1",
        "FRA": "eu-frankfurt-1",
        "MAD": "eu-madrid-1",
        "ORF": "eu-madrid-3",
        "MRS": "eu-marseille-1",
        "LIN": "eu-milan-1",
        "CDG": "eu-paris-1",
        "ARN": "eu-stockholm-1",
        "NRQ": "eu-turin-1",
        "ZRH": "eu-zurich-1",
        "MTZ": "il-jerusalem-1",
        "AUH": "me-abudhabi-1",
        "DXB": "me-dubai-1",
        "JED": "me-jeddah-1",
        "RUH": "me-riyadh-1",
        "MTY": "mx-monterrey-1",
        "QRO": "mx-queretaro-1",
        "BOG": "sa-bogota-1",
        "SCL": "sa-santiago-1",
        "GRU": "sa-saopaulo-1",
        "VAP": "sa-valparaiso-1",
        "VCP": "sa-vinhedo-1",
        "CWL": "uk-cardiff-1",
        "LHR": "uk-london-1",
        "IAD": "us-ashburn-1",
        "ORD": "us-chicago-1",
        "PHX": "us-phoenix-1",
        "AGA": "us-saltlake-2",
        "SJC": "us-sanjose-1",
    },
    "oc2": {
        "LFI": "us-langley-1",
        "LUF": "us-luke-1",
    },
    "oc3": {
        "RIC": "us-gov-ashburn-1",
        "PIA": "us-gov-chicago-1",
        "TUS": "us-gov-phoenix-1",
    },
    "oc4": {
        "BRS": "uk-gov-cardiff-1",
        "LTN": "uk-gov-london-1",
    },
    "oc8": {
        "NJA": "ap-chiyoda-1",
        "UKB": "ap-ibaraki-1",
    },
    "oc9": {
        "MCT": "me-dcc-muscat-1",
        "IBR": "me-ibri-1",
    },
    "oc10": {
        "WGA": "ap-dcc-canberra-1",
    },
    "oc14": {
        "ORK": "eu-dcc-dublin-1",
        "SNN": "eu-dcc-dublin-2",
        "BGY": "eu-dcc-milan-1",
        "MXP": "eu-dcc-milan-2",
        "DUS": "eu-dcc-rating-1",
        "DTM": "eu-dcc-rating-2",
    },
    "oc15": {
        "DAC": "ap-dcc-gazipur-1",
    },
    "oc19": {
        "STR": "eu-frankfurt-2",
        "VLL": "eu-madrid-2",
    },
    "oc20": {
        "BEG": "eu-jovanovac-1",
    },
    "oc21": {
        "VVE": "me-alrayyan-1",
        "DOH": "me-dcc-doha-1",
    },
    "oc23": {
        "EBB": "us-somerset-1",
        "EBL": "us-thames-1",
    },
    "oc24": {
        "AVF": "eu-crissier-1",
        "AVZ": "eu-dcc-zurich-1",
    },
    "oc26": {
        "AHU": "me-abudhabi-3",
        "RBA": "me-alain-1",
    },
    "oc29": {
        "RKT": "me-abudhabi-2",
        "SHJ": "me-abudhabi-4",
    },
    "oc35": {
        "BNO": "ap-chuncheon-2",
        "DTZ": "ap-seoul-2",
        "DLN": "ap-suwon-1",
    },
    "oc42": {
        "YXJ": "us-ashburn-2",
        "PGC": "us-newark-1",
    },
    "oc51": {
        "JSK": "eu-budapest-1",
    },
    "oc52": {
        "HNW": "sa-riodejaneiro-1",
    },
}

# upper-case region key -> region identifier, every realm (``PHX`` -> ``us-phoenix-1``)
REGION_KEYS: dict[str, str] = {key: name for regions in _REALM_REGIONS.values() for key, name in regions.items()}

# region identifier -> realm key (``us-phoenix-1`` -> ``oc1``)
REGION_REALMS: dict[str, str] = {name: realm for realm, regions in _REALM_REGIONS.items() for name in regions.values()}

_METADATA_FIELDS: Final = ("regionIdentifier", "realmKey", "realmDomainComponent", "regionKey")
_lock = threading.Lock()


def register_region(region_identifier: str, realm_key: str, realm_domain: str, region_key: str | None = None) -> str:
    """Make a region known (or re-home it); returns its canonical identifier.

    ``realm_domain`` is the realm's second-level domain (``oraclecloud.com``); ``region_key`` the short
    key (``PHX``), optional.
    """
    name = region_identifier.strip().lower()
    realm = realm_key.strip().lower()
    domain = realm_domain.strip().lower().strip(".")
    if not name or not realm or not domain:
        raise ValueError("a region needs a non-empty identifier, realm key and realm domain")
    with _lock:
        REALM_DOMAINS.setdefault(realm, domain)  # a known realm keeps its domain
        REGION_REALMS[name] = realm
        if region_key and region_key.strip():
            REGION_KEYS[region_key.strip().upper()] = name
    return name


def register_region_metadata(text: str) -> str:
    """Register the region described by ``OCI_REGION_METADATA`` JSON; returns its identifier.

    The JSON needs the string fields ``regionIdentifier``, ``realmKey``, ``realmDomainComponent`` and
    ``regionKey``; ``ValueError`` names what is wrong.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at position {exc.pos})") from None
    if not isinstance(doc, dict):
        raise ValueError("must be a JSON object")
    missing = [f for f in _METADATA_FIELDS if not isinstance(doc.get(f), str) or not doc[f].strip()]
    if missing:
        raise ValueError(f"missing or non-string field(s): {', '.join(missing)}")
    return register_region(doc["regionIdentifier"], doc["realmKey"], doc["realmDomainComponent"], doc["regionKey"])


def region_name(value: str) -> str:
    """A region identifier from an identifier or a short key, any case (``phx``/``PHX`` -> ``us-phoenix-1``).

    Unknown values are returned stripped and lower-cased (a region newer than this table is still usable).
    """
    text = value.strip()
    return REGION_KEYS.get(text.upper(), text.lower())


def realm_of(region: str) -> str:
    """The realm key of a region identifier or key; ``oc1`` for a region nobody registered (as the SDK does)."""
    return REGION_REALMS.get(region_name(region), DEFAULT_REALM)


def realm_domain(region: str) -> str:
    """The second-level domain of the region's realm (``oraclecloud.com`` for ``us-phoenix-1``)."""
    return REALM_DOMAINS.get(realm_of(region), REALM_DOMAINS[DEFAULT_REALM])
