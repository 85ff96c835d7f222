"""Compute routes (Core API, ``iaas`` host)."""

from __future__ import annotations

from .responses import ComputeResponse

response_class = ComputeResponse
V = "/20160918"

url_paths: dict[str, dict[str, tuple[str, str]]] = {
    f"{V}/bootVolumeAttachments": {"GET": ("ListBootVolumeAttachments", "list_boot_volume_attachments")},
}
