"""The comparison: the create-backup event path written the usual way, on the official ``oci`` SDK.

Runs in its own virtualenv (``bench/.venv-sdk``: ``oci`` + ``fdk``) as ``fdk func.py handler``. It does
the same API work as our ``create_backup`` for a ``createvolume.end`` event: GetVolume,
ListVolumeBackups (the duplicate and in-progress checks), CreateVolumeBackup (FULL, the volume's tags plus
a marker, a retry token) and PublishMessage of a one-line digest, signing with the SDK's resource
principal signer. ``OCI_ENDPOINT_TEMPLATE`` (``{base}/{service}/{region}``) points the SDK clients at
the emulator; the SDK appends the API version path itself. PublishMessage goes to the topic's own
``apiEndpoint``, as its documentation requires: ``NOTIFICATION_TOPIC_ENDPOINT`` when set (the benchmark
sets it, as Terraform does for ours), else from GetTopic once per container.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from datetime import UTC, datetime
from typing import Any

import oci
from fdk import response

_clients: dict[str, Any] = {}


def clients() -> tuple[Any, Any, str]:
    """Signer and clients built once per container, as SDK-based functions usually do, with the SDK's
    default retry strategy (the SDK applies none unless asked; the product retries, so this side does too)."""
    if not _clients:
        signer = oci.auth.signers.get_resource_principals_signer()
        region = os.environ["OCI_RESOURCE_PRINCIPAL_REGION"]
        template = os.environ.get("OCI_ENDPOINT_TEMPLATE")

        def endpoint(service: str) -> str | None:
            return template.format(region=region, service=service) if template else None

        retry = oci.retry.DEFAULT_RETRY_STRATEGY
        config = {"region": region}
        _clients["storage"] = oci.core.BlockstorageClient(
            config, signer=signer, service_endpoint=endpoint("iaas"), retry_strategy=retry
        )
        topic = os.environ.get("NOTIFICATION_TOPIC_ID")
        api_endpoint = os.environ.get("NOTIFICATION_TOPIC_ENDPOINT")
        if topic and not api_endpoint:
            control = oci.ons.NotificationControlPlaneClient(
                config, signer=signer, service_endpoint=endpoint("notification"), retry_strategy=retry
            )
            api_endpoint = control.get_topic(topic).data.api_endpoint
        _clients["ons"] = oci.ons.NotificationDataPlaneClient(
            config, signer=signer, service_endpoint=api_endpoint, retry_strategy=retry
        )
        _clients["region"] = region
    return _clients["storage"], _clients["ons"], _clients["region"]


def create_backup(event: dict[str, Any]) -> dict[str, Any]:
    storage, ons, region = clients()
    volume_id = event["data"]["resourceId"]
    volume = storage.get_volume(volume_id).data
    key = hashlib.sha256(f"{event['eventID']}|{volume_id}".encode()).hexdigest()[:32]
    history = storage.list_volume_backups(compartment_id=volume.compartment_id, volume_id=volume_id).data
    duplicate = next((b for b in history if (b.freeform_tags or {}).get("backup-run") == key), None)
    if duplicate is not None:
        return {"status": "skipped", "reason": "already backed up by this event", "backupId": duplicate.id}
    busy = next((b for b in history if b.lifecycle_state in ("REQUEST_RECEIVED", "CREATING")), None)
    if busy is not None:
        return {"status": "skipped", "reason": "a backup is already in progress", "backupId": busy.id}
    now = datetime.now(UTC)
    details = oci.core.models.CreateVolumeBackupDetails(
        volume_id=volume_id,
        display_name=f"{volume.display_name}-full-{now:%Y-%m-%d-%H%M}",
        type="FULL",
        freeform_tags={**(volume.freeform_tags or {}), "backup-run": key, "backup-source": volume_id},
        defined_tags=volume.defined_tags or None,
    )
    created = storage.create_volume_backup(details, opc_retry_token=key).data
    result = {"status": "created", "backupId": created.id, "name": created.display_name, "region": region}
    topic = os.environ.get("NOTIFICATION_TOPIC_ID")
    if topic:
        message = oci.ons.models.MessageDetails(title="create_backup: 1 created", body=json.dumps(result))
        result["messageId"] = ons.publish_message(topic, message).data.message_id
    return result


def handler(ctx: Any, data: io.BytesIO | None = None) -> Any:
    body = data.getvalue() if data is not None else b""
    try:
        result = create_backup(json.loads(body))
        status = 200
    except oci.exceptions.ServiceError as exc:
        result, status = {"error": {"status": exc.status, "code": exc.code, "message": exc.message}}, 500
    return response.Response(
        ctx, response_data=json.dumps(result), headers={"content-type": "application/json"}, status_code=status
    )
