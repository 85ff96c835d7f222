"""CloudEvents 0.1 envelopes as OCI Events delivers them to functions (https://docs.oracle.com/iaas/Content/Events/Reference/eventenvelopereference.htm).

Used by the emulator's recorder and directly by tests (like chalice's ``generate_*_event``)::

    make_event("createvolumebackup.end", backup_id, "nightly", compartment_id,
               freeform_tags={"dr-copy": "us-phoenix-1"},
               additional_details={"volumeId": volume_id, "sourceType": "MANUAL", "status": "operationSucceed"})
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from .core.clock import rfc3339

PREFIX = "com.oraclecloud.blockvolumes."
SUCCEEDED = "operationSucceed"
FAILED = "operationFailed"


def event_time(ts: float | None = None) -> str:
    """RFC 3339 in UTC with milliseconds, e.g. ``2026-11-22T10:02:41.077Z`` (default: now)."""
    return rfc3339(time.time() if ts is None else ts)


def full_event_type(event_type: str) -> str:
    """``createvolumebackup.end`` -> ``com.oraclecloud.blockvolumes.createvolumebackup.end``."""
    return event_type if event_type.startswith("com.oraclecloud.") else PREFIX + event_type


def make_event(
    event_type: str,
    resource_id: str,
    resource_name: str,
    compartment_id: str,
    freeform_tags: Mapping[str, str] | None = None,
    defined_tags: Mapping[str, Mapping[str, Any]] | None = None,
    additional_details: Mapping[str, Any] | None = None,
    event_id: str | None = None,
    compartment_name: str = "",
    *,
    event_time_ts: float | None = None,
    availability_domain: str = "",
    source: str = "BlockVolumes",
) -> dict[str, Any]:
    """One event envelope, fields in the order of the documented example events."""
    return {
        "eventType": full_event_type(event_type),
        "cloudEventsVersion": "0.1",
        "eventTypeVersion": "2.0",
        "source": source,
        "eventID": event_id or str(uuid.uuid4()),
        "eventTime": event_time(event_time_ts),
        "contentType": "application/json",
        "extensions": {"compartmentId": compartment_id},
        "data": {
            "compartmentId": compartment_id,
            "compartmentName": compartment_name,
            "resourceName": resource_name,
            "resourceId": resource_id,
            "availabilityDomain": availability_domain,
            "freeformTags": dict(freeform_tags or {}),
            "definedTags": {ns: dict(kv) for ns, kv in (defined_tags or {}).items()},
            "additionalDetails": dict(additional_details or {}),
        },
    }


def event_for_resource(
    event_type: str,
    resource: Mapping[str, Any],
    additional_details: Mapping[str, Any] | None = None,
    compartment_name: str = "",
    event_id: str | None = None,
) -> dict[str, Any]:
    """An envelope about a resource as the API returns it (Volume, VolumeBackup, ... JSON)."""
    return make_event(
        event_type,
        resource_id=resource["id"],
        resource_name=resource.get("displayName") or resource.get("name") or "",
        compartment_id=resource["compartmentId"],
        freeform_tags=resource.get("freeformTags"),
        defined_tags=resource.get("definedTags"),
        additional_details=additional_details,
        event_id=event_id,
        compartment_name=compartment_name,
        availability_domain=resource.get("availabilityDomain", ""),
    )


def backup_end_event(backup: Mapping[str, Any], compartment_name: str = "", status: str = SUCCEEDED) -> dict[str, Any]:
    """``create(boot)volumebackup.end`` for a VolumeBackup or BootVolumeBackup JSON."""
    is_boot = "bootVolumeId" in backup or str(backup.get("id", "")).startswith("ocid1.bootvolumebackup.")
    source = backup.get("bootVolumeId") if is_boot else backup.get("volumeId")
    details = {"volumeId": source, "sourceType": backup.get("sourceType", "MANUAL"), "status": status}
    kind = "createbootvolumebackup.end" if is_boot else "createvolumebackup.end"
    return event_for_resource(kind, backup, details, compartment_name)


def volume_group_backup_end_event(
    group_backup: Mapping[str, Any], compartment_name: str = "", status: str = SUCCEEDED
) -> dict[str, Any]:
    details = {
        "volumeGroupId": group_backup.get("volumeGroupId"),
        "sourceType": group_backup.get("sourceType", "MANUAL"),
        "status": status,
    }
    return event_for_resource("createvolumegroupbackup.end", group_backup, details, compartment_name)
