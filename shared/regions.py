"""OCI regions: short keys, realms and their domains (from the SDK's region table, 85 regions).

Regions the table does not know can be described at run time (``OCI_REGION_METADATA``) with
``register_region``.
"""

from __future__ import annotations

import json
from typing import Final

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

# upper-case region key -> (region identifier, realm)
_REGIONS: Final[dict[str, tuple[str, str]]] = {
    "LEJ": ("af-casablanca-1", "oc1"),
    "JNB": ("af-johannesburg-1", "oc1"),
    "HSG": ("ap-batam-1", "oc1"),
    "YNY": ("ap-chuncheon-1", "oc1"),
    "ONM": ("ap-delhi-1", "oc1"),
    "HYD": ("ap-hyderabad-1", "oc1"),
    "JBP": ("ap-kulai-2", "oc1"),
    "MEL": ("ap-melbourne-1", "oc1"),
    "BOM": ("ap-mumbai-1", "oc1"),
    "KIX": ("ap-osaka-1", "oc1"),
    "ICN": ("ap-seoul-1", "oc1"),
    "SIN": ("ap-singapore-1", "oc1"),
    "XSP": ("ap-singapore-2", "oc1"),
    "SYD": ("ap-sydney-1", "oc1"),
    "NRT": ("ap-tokyo-1", "oc1"),
    "YUL": ("ca-montreal-1", "oc1"),
    "YYZ": ("ca-toronto-1", "oc1"),
    "AMS": ("eu-amsterdam-1", "oc1"),
    "FRA": ("eu-frankfurt-1", "oc1"),
    "MAD": ("eu-madrid-1", "oc1"),
    "ORF": ("eu-madrid-3", "oc1"),
    "MRS": ("eu-marseille-1", "oc1"),
    "LIN": ("eu-milan-1", "oc1"),
    "CDG": ("eu-paris-1", "oc1"),
    "ARN": ("eu-stockholm-1", "oc1"),
    "NRQ": ("eu-turin-1", "oc1"),
    "ZRH": ("eu-zurich-1", "oc1"),
    "MTZ": ("il-jerusalem-1", "oc1"),
    "AUH": ("me-abudhabi-1", "oc1"),
    "DXB": ("me-dubai-1", "oc1"),
    "JED": ("me-jeddah-1", "oc1"),
    "RUH": ("me-riyadh-1", "oc1"),
    "MTY": ("mx-monterrey-1", "oc1"),
    "QRO": ("mx-queretaro-1", "oc1"),
    "BOG": ("sa-bogota-1", "oc1"),
    "SCL": ("sa-santiago-1", "oc1"),
    "GRU": ("sa-saopaulo-1", "oc1"),
    "VAP": ("sa-valparaiso-1", "oc1"),
    "VCP": ("sa-vinhedo-1", "oc1"),
    "CWL": ("uk-cardiff-1", "oc1"),
    "LHR": ("uk-london-1", "oc1"),
    "IAD": ("us-ashburn-1", "oc1"),
    "ORD": ("us-chicago-1", "oc1"),
    "PHX": ("us-phoenix-1", "oc1"),
    "AGA": ("us-saltlake-2", "oc1"),
    "SJC": ("us-sanjose-1", "oc1"),
    "LFI": ("us-langley-1", "oc2"),
    "LUF": ("us-luke-1", "oc2"),
    "RIC": ("us-gov-ashburn-1", "oc3"),
    "PIA": ("us-gov-chicago-1", "oc3"),
    "TUS": ("us-gov-phoenix-1", "oc3"),
    "BRS": ("uk-gov-cardiff-1", "oc4"),
    "LTN": ("uk-gov-london-1", "oc4"),
    "NJA": ("ap-chiyoda-1", "oc8"),
    "UKB": ("ap-ibaraki-1", "oc8"),
    "MCT": ("me-dcc-muscat-1", "oc9"),
    "IBR": ("me-ibri-1", "oc9"),
    "WGA": ("ap-dcc-canberra-1", "oc10"),
    "ORK": ("eu-dcc-dublin-1", "oc14"),
    "SNN": ("eu-dcc-dublin-2", "oc14"),
    "BGY": ("eu-dcc-milan-1", "oc14"),
    "MXP": ("eu-dcc-milan-2", "oc14"),
    "DUS": ("eu-dcc-rating-1", "oc14"),
    "DTM": ("eu-dcc-rating-2", "oc14"),
    "DAC": ("ap-dcc-gazipur-1", "oc15"),
    "STR": ("eu-frankfurt-2", "oc19"),
    "VLL": ("eu-madrid-2", "oc19"),
    "BEG": ("eu-jovanovac-1", "oc20"),
    "VVE": ("me-alrayyan-1", "oc21"),
    "DOH": ("me-dcc-doha-1", "oc21"),
    "EBB": ("us-somerset-1", "oc23"),
    "EBL": ("us-thames-1", "oc23"),
    "AVF": ("eu-crissier-1", "oc24"),
    "AVZ": ("eu-dcc-zurich-1", "oc24"),
    "AHU": ("me-abudhabi-3", "oc26"),
    "RBA": ("me-alain-1", "oc26"),
    "RKT": ("me-abudhabi-2", "oc29"),
    "SHJ": ("me-abudhabi-4", "oc29"),
    "BNO": ("ap-chuncheon-2", "oc35"),
    "DTZ": ("ap-seoul-2", "oc35"),
    "DLN": ("ap-suwon-1", "oc35"),
    "YXJ": ("us-ashburn-2", "oc42"),
    "PGC": ("us-newark-1", "oc42"),
    "JSK": ("eu-budapest-1", "oc51"),
    "HNW": ("sa-riodejaneiro-1", "oc52"),
}
REGION_KEYS: dict[str, str] = {key: name for key, (name, _) in _REGIONS.items()}
_REALM_OF: dict[str, str] = {name: realm for name, realm in _REGIONS.values()}


def register_region(region_identifier: str, realm_key: str, realm_domain: str, region_key: str | None = None) -> None:
    """Teach the tables a region they do not know (``OCI_REGION_METADATA``)."""
    REALM_DOMAINS.setdefault(realm_key, realm_domain)
    _REALM_OF[region_identifier] = realm_key
    if region_key:
        REGION_KEYS[region_key.upper()] = region_identifier


def register_region_metadata(metadata_json: str) -> str:
    """Register ``OCI_REGION_METADATA`` (JSON with regionIdentifier, realmKey, realmDomainComponent,
    regionKey); returns the region identifier."""
    try:
        data = json.loads(metadata_json)
        region = str(data["regionIdentifier"])
        register_region(region, str(data["realmKey"]), str(data["realmDomainComponent"]), data.get("regionKey"))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"OCI_REGION_METADATA is not valid region metadata: {exc}") from None
    return region


def region_name(key_or_name: str) -> str:
    """``phx`` / ``PHX`` -> ``us-phoenix-1``; a region identifier is returned as it is."""
    return REGION_KEYS.get(key_or_name.strip().upper(), key_or_name.strip().lower())


def realm_of(region: str) -> str:
    """The realm of a region; unknown regions are assumed to be in the commercial realm ``oc1``."""
    return _REALM_OF.get(region, "oc1")
