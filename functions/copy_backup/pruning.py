"""Each destination's retention: only the copies the tool made from this region, per source volume."""

from __future__ import annotations

from collections import defaultdict

from functions.copy_backup.copying import made_by_tool
from functions.copy_backup.settings import Run
from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.errors import OciError
from shared.oci.models import BackupBase
from shared.results import ALREADY_DELETED, Item, ItemStatus, status_for
from shared.rules.retention import plan_pruning
from shared.rules.tags import SOURCE_REGION_KEY


def prune(invocation: Run, region: str, kind: BackupKind, compartment: str) -> None:
    """Retention of one destination: only copies the tool made from this region, per source volume."""
    policy = invocation.settings.retention(region)
    if not policy.active:
        return
    storage = invocation.storage_in(region)
    by_volume: dict[str, list[BackupBase]] = defaultdict(list)
    try:
        for copy in storage.list_backups(kind, compartment):
            if made_by_tool(copy) and copy.freeform_tags.get(SOURCE_REGION_KEY) == invocation.region:
                by_volume[copy.source_id or copy.copied_from or copy.id].append(copy)
    except OciError as exc:
        invocation.report.add(
            Item(
                status=ItemStatus.FAILED,
                action="prune-copy",
                resource_id=compartment,
                region=region,
                reason=f"could not list the copies: {exc}",
            )
        )
        return
    for copies in by_volume.values():
        for expired in plan_pruning(copies, policy, invocation.now()):
            delete_copy(invocation, storage, kind, expired.backup, expired.reason)


def delete_copy(invocation: Run, storage: BlockStorage, kind: BackupKind, copy: BackupBase, why: str) -> None:
    base = {"action": "prune-copy", "resource_id": copy.id, "name": copy.display_name, "region": storage.region}
    if invocation.dry_run:
        invocation.report.add(Item(status=ItemStatus.PLANNED, reason=f"would delete: {why}", **base))
        return
    try:
        request_id = storage.delete_backup_once(kind, copy.id)
    except OciError as exc:
        invocation.report.add(Item(status=status_for(exc), reason=str(exc), **base))
        return
    if request_id is None:
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason=ALREADY_DELETED, **base))
        return
    invocation.report.add(Item(status=ItemStatus.DELETED, reason=why, opc_request_id=request_id, **base))
