"""Identifiers: OCIDs, etags, request ids, UUIDs."""

from __future__ import annotations

import base64
import secrets
import uuid

from .regions import Region

DEFAULT_TENANCY = "ocid1.tenancy.oc1..aaaaaaaaemulatortenancy"


def _unique(length: int = 60) -> str:
    raw = base64.b32encode(secrets.token_bytes(40)).decode("ascii").lower()
    return ("a" + raw)[:length]


def new_ocid(resource_type: str, region: Region | None, realm: str = "oc1") -> str:
    """``ocid1.<type>.<realm>.<region key or empty>.<unique>``; tenancy-wide types pass ``region=None``."""
    if region is None:
        return f"ocid1.{resource_type}.{realm}..{_unique()}"
    return f"ocid1.{resource_type}.{region.realm}.{region.key.lower()}.{_unique()}"


def new_etag() -> str:
    return secrets.token_hex(16)


def new_request_id(client_request_id: str | None = None) -> str:
    """Server request id, prefixed by the client's ``opc-request-id`` when one was sent."""
    server_id = uuid.uuid4().hex.upper()
    return f"{client_request_id}/{server_id}" if client_request_id else server_id


def new_uuid() -> str:
    return str(uuid.uuid4())
