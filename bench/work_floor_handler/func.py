"""The work floor: the stack floor plus the work every backup handler must do, and nothing more.

For a ``createvolume.end`` event it makes the same four API calls as ours and the SDK handler
(GetVolume, ListVolumeBackups, CreateVolumeBackup with a retry token, PublishMessage at the topic's
``apiEndpoint``), each signed with the resource-principal key (the ``Signature Version 1`` headers,
written inline), answers validated with minimal pydantic models (the fields it reads), on one
``requests`` session. No retries, no logs, no settings, no result document: the least a handler on
this stack (fdk + requests + pydantic + cryptography) pays to do this work. Ours above it is the
price of what it does beyond (checks, names, tags, retries, logs, the digest).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fdk import response
from pydantic import BaseModel, ConfigDict, Field

VERSION = {"iaas": "20160918", "notification": "20181201"}


class Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class Volume(Model):
    id: str
    compartment_id: str = Field(alias="compartmentId")
    display_name: str = Field(alias="displayName")


class Backup(Model):
    id: str
    lifecycle_state: str = Field(alias="lifecycleState")
    freeform_tags: dict[str, str] = Field(default_factory=dict, alias="freeformTags")


class Message(Model):
    message_id: str = Field(alias="messageId")


_state: dict[str, Any] = {}


def _signer() -> tuple[rsa.RSAPrivateKey, str, requests.Session]:
    if not _state:
        pem = os.environ["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"].encode()
        key = serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
        assert isinstance(key, rsa.RSAPrivateKey)
        _state.update(key=key, key_id="ST$" + os.environ["OCI_RESOURCE_PRINCIPAL_RPST"], session=requests.Session())
    return _state["key"], _state["key_id"], _state["session"]


def call(method: str, url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
    key, key_id, session = _signer()
    data = json.dumps(body).encode() if body is not None else b""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    signed = {"date": formatdate(usegmt=True), "host": parts.netloc, **(headers or {})}
    names = ["date", "(request-target)", "host"]
    if method in ("POST", "PUT"):
        signed.update({
            "content-length": str(len(data)),
            "content-type": "application/json",
            "x-content-sha256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        })  # fmt: skip
        names += ["content-length", "content-type", "x-content-sha256"]
    lines = [
        f"(request-target): {method.lower()} {target}" if n == "(request-target)" else f"{n}: {signed[n]}"
        for n in names
    ]
    signature = base64.b64encode(key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    signed["authorization"] = (
        f'Signature algorithm="rsa-sha256",headers="{" ".join(names)}",keyId="{key_id}",'
        f'signature="{signature}",version="1"'
    )
    answer = session.request(method, url, data=data or None, headers=signed, timeout=30)
    answer.raise_for_status()
    return answer.json()


def endpoint(service: str) -> str:
    region = os.environ["OCI_RESOURCE_PRINCIPAL_REGION"]
    return os.environ["OCI_ENDPOINT_TEMPLATE"].format(region=region, service=service) + "/" + VERSION[service]


def work(event: dict[str, Any]) -> dict[str, Any]:
    volume_id = event["data"]["resourceId"]
    iaas = endpoint("iaas")
    volume = Volume.model_validate(call("GET", f"{iaas}/volumes/{volume_id}"))
    listed = call("GET", f"{iaas}/volumeBackups?compartmentId={volume.compartment_id}&volumeId={volume_id}")
    history = [Backup.model_validate(b) for b in listed]
    key = hashlib.sha256(f"{event['eventID']}|{volume_id}".encode()).hexdigest()[:32]
    if any(b.freeform_tags.get("backup-run") == key for b in history):
        return {"status": "skipped"}
    details = {"volumeId": volume_id, "displayName": f"{volume.display_name}-full", "type": "FULL"}
    created = Backup.model_validate(call("POST", f"{iaas}/volumeBackups", details, {"opc-retry-token": key}))
    result: dict[str, Any] = {"status": "created", "backupId": created.id}
    topic = os.environ.get("NOTIFICATION_TOPIC_ID")
    if topic:
        publish = os.environ["NOTIFICATION_TOPIC_ENDPOINT"].rstrip("/") + f"/{VERSION['notification']}"
        message = {"title": "create_backup: 1 created", "body": json.dumps(result)}
        result["messageId"] = Message.model_validate(
            call("POST", f"{publish}/topics/{topic}/messages", message)
        ).message_id
    return result


def handler(ctx: Any, data: io.BytesIO | None = None) -> Any:
    result = work(json.loads(data.getvalue() if data is not None else b"{}"))
    return response.Response(ctx, response_data=json.dumps(result), headers={"content-type": "application/json"})
