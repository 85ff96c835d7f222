"""The realm table (as ``shared/oci/regions.py``, from the SDK): region identifiers, their keys and realms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Region:
    name: str  # region identifier, e.g. us-ashburn-1
    key: str  # upper-case region key, e.g. IAD
    realm: str  # e.g. oc1


_REALMS: Final[dict[str, str]] = {
    "oc1": "LEJ:af-casablanca-1 JNB:af-johannesburg-1 HSG:ap-batam-1 YNY:ap-chuncheon-1 ONM:ap-delhi-1 "
    "HYD:ap-hyderabad-1 JBP:ap-kulai-2 MEL:ap-melbourne-1 BOM:ap-mumbai-1 KIX:ap-osaka-1 ICN:ap-seoul-1 "
    "SIN:ap-singapore-1 XSP:ap-singapore-2 SYD:ap-sydney-1 NRT:ap-tokyo-1 YUL:ca-montreal-1 YYZ:ca-toronto-1 "
    "AMS:eu-amsterdam-1 FRA:eu-frankfurt-1 MAD:eu-madrid-1 ORF:eu-madrid-3 MRS:eu-marseille-1 LIN:eu-milan-1 "
    "CDG:eu-paris-1 ARN:eu-stockholm-1 NRQ:eu-turin-1 ZRH:eu-zurich-1 MTZ:il-jerusalem-1 AUH:me-abudhabi-1 "
    "DXB:me-dubai-1 JED:me-jeddah-1 RUH:me-riyadh-1 MTY:mx-monterrey-1 QRO:mx-queretaro-1 BOG:sa-bogota-1 "
    "SCL:sa-santiago-1 GRU:sa-saopaulo-1 VAP:sa-valparaiso-1 VCP:sa-vinhedo-1 CWL:uk-cardiff-1 LHR:uk-london-1 "
    "IAD:us-ashburn-1 ORD:us-chicago-1 PHX:us-phoenix-1 AGA:us-saltlake-2 SJC:us-sanjose-1",
    "oc2": "LFI:us-langley-1 LUF:us-luke-1",
    "oc3": "RIC:us-gov-ashburn-1 PIA:us-gov-chicago-1 TUS:us-gov-phoenix-1",
    "oc4": "BRS:uk-gov-cardiff-1 LTN:uk-gov-london-1",
    "oc8": "NJA:ap-chiyoda-1 UKB:ap-ibaraki-1",
    "oc9": "MCT:me-dcc-muscat-1 IBR:me-ibri-1",
    "oc10": "WGA:ap-dcc-canberra-1",
    "oc14": "ORK:eu-dcc-dublin-1 SNN:eu-dcc-dublin-2 BGY:eu-dcc-milan-1 MXP:eu-dcc-milan-2 DUS:eu-dcc-rating-1 "
    "DTM:eu-dcc-rating-2",
    "oc15": "DAC:ap-dcc-gazipur-1",
    "oc19": "STR:eu-frankfurt-2 VLL:eu-madrid-2",
    "oc20": "BEG:eu-jovanovac-1",
    "oc21": "VVE:me-alrayyan-1 DOH:me-dcc-doha-1",
    "oc23": "EBB:us-somerset-1 EBL:us-thames-1",
    "oc24": "AVF:eu-crissier-1 AVZ:eu-dcc-zurich-1",
    "oc26": "AHU:me-abudhabi-3 RBA:me-alain-1",
    "oc29": "RKT:me-abudhabi-2 SHJ:me-abudhabi-4",
    "oc35": "BNO:ap-chuncheon-2 DTZ:ap-seoul-2 DLN:ap-suwon-1",
    "oc42": "YXJ:us-ashburn-2 PGC:us-newark-1",
    "oc51": "JSK:eu-budapest-1",
    "oc52": "HNW:sa-riodejaneiro-1",
}


def _build() -> dict[str, Region]:
    table: dict[str, Region] = {}
    for realm, pairs in _REALMS.items():
        for pair in pairs.split():
            key, name = pair.split(":")
            table[name] = Region(name=name, key=key, realm=realm)
    return table


REGIONS: Final[dict[str, Region]] = _build()


def find_region(name: str) -> Region | None:
    """The region with this identifier, or None if it is not in the realm table."""
    return REGIONS.get(name)


def regions_of_realm(realm: str) -> list[Region]:
    return [r for r in REGIONS.values() if r.realm == realm]
