"""One backup to one region: read, check, copy (or find the copy made earlier), tag the copy."""

from __future__ import annotations

from typing import Any

from functions.copy_backup.limits import Limits, limits_for
from functions.copy_backup.settings import COPY_RETRY, EVENT_KINDS, Run
from functions.copy_backup.upkeep import Updated, copy_name, made_by_tool, update_copy, upkeep_for
from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.errors import (
    DeadlineExceeded,
    IncorrectState,
    InvalidatedRetryToken,
    InvalidParameter,
    LimitExceeded,
    NotAuthorizedOrNotFound,
    OciError,
    OciServiceError,
    TooManyRequests,
)
from shared.oci.models import (
    GONE_STATES,
    IN_PROGRESS_STATES,
    BackupBase,
    CopyBackupDetails,
    LifecycleState,
)
from shared.results import Item, ItemStatus
from shared.rules.idempotency import retry_token


def on_event(invocation: Run) -> None:
    event = invocation.event
    assert event is not None
    kind = EVENT_KINDS[event.event_type]
    if not event.succeeded:
        invocation.report.add(
            Item(
                status=ItemStatus.SKIPPED,
                action="copy",
                resource_id=event.data.resource_id,
                name=event.data.resource_name,
                reason=f"the backup did not succeed ({event.status}); nothing to copy",
            )
        )
        return
    copy_now(invocation, kind, event.data.resource_id, invocation.settings.destination_regions, from_event=True)


def copy_now(invocation: Run, kind: BackupKind, backup_id: str, regions: list[str], *, from_event: bool) -> None:
    """Event and HTTP/direct: one backup, read first, copied to each region that has no copy yet."""
    try:
        backup = invocation.storage.get_backup(kind, backup_id).value
    except NotAuthorizedOrNotFound as exc:
        if not from_event:
            raise  # HTTP / direct: 404 for the caller
        invocation.report.add(
            Item(
                status=ItemStatus.FAILED,
                action="copy",
                resource_id=backup_id,
                reason=f"not found in {invocation.region} (deleted, or not visible to the function)",
                opc_request_id=exc.opc_request_id,
            )
        )
        return
    base = {"action": "copy", "resource_id": backup.id, "name": backup.display_name}
    if from_event and not invocation.settings.wants(backup):
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason="does not match the copy selector", **base))
        return
    if backup.copied_from:
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason="is itself a copy; not copied again", **base))
        return
    group_backup = getattr(backup, "volume_group_backup_id", None)
    if group_backup:
        reason = f"is a member of volume group backup {group_backup}; it is copied with the group, never alone"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason=reason, **base))
        return
    state = backup.lifecycle_state
    if state in IN_PROGRESS_STATES:
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                reason=f"backup is {state}, not AVAILABLE yet; the next reconcile copies it",
                **base,
            )
        )
        return
    if state != LifecycleState.AVAILABLE:
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason=f"backup is {state}; nothing to copy", **base))
        return
    destinations = []
    for region in regions:
        if region == invocation.region:
            invocation.report.add(
                Item(status=ItemStatus.SKIPPED, region=region, reason="destination is the source region", **base)
            )
        else:
            destinations.append(region)
    if not destinations:
        return
    limits = limits_for(invocation, kind, backup, destinations)
    for region in destinations:
        copy_to(invocation, kind, backup, region, limits)


def live_copies(storage: BlockStorage, kind: BackupKind, backup: BackupBase) -> tuple[list[BackupBase], int]:
    """Copies of ``backup`` in ``storage``'s region (newest first), and how many were deleted or broke."""
    live: list[BackupBase] = []
    replaced = 0
    for copy in storage.list_backups(kind, backup.compartment_id, copied_from=backup.id):
        if copy.copied_from != backup.id:
            continue
        if copy.lifecycle_state in GONE_STATES or copy.lifecycle_state == LifecycleState.FAULTY:
            replaced += 1
        else:
            live.append(copy)
    live.sort(key=lambda c: c.time_request_received or c.time_created, reverse=True)
    return live, replaced


def copy_token(kind: BackupKind, backup_id: str, region: str, replaced: int) -> str:
    """From (source backup, destination); a copy that was deleted since gets a new token (OCI keeps one 24 h)."""
    key = "copy_backup" if not replaced else f"copy_backup#replaced-{replaced}"
    return retry_token(key, f"Copy{kind.spec.name}", backup_id, region)


def copy_to(invocation: Run, kind: BackupKind, backup: BackupBase, region: str, limits: Limits) -> None:
    """Copy one backup to one region, unless a copy is there already; never raises for OCI errors."""
    base: dict[str, Any] = {"action": "copy", "resource_id": backup.id, "name": backup.display_name, "region": region}
    name = copy_name(invocation, kind, backup, region)
    try:
        live, replaced = live_copies(invocation.storage_in(region), kind, backup)
        if live:
            existing_copy(invocation, kind, backup, region, live[0], name, base)
            return
        waiting = limits.claim(kind, backup)
        if waiting:
            invocation.report.add(Item(status=ItemStatus.DEFERRED, reason=waiting, **base))
            return
        key_id = invocation.settings.kms_key_ids.get(region)
        if invocation.dry_run:
            with_key = f" with Vault key {key_id}" if key_id else ""
            invocation.report.add(Item(status=ItemStatus.PLANNED, reason=f"would copy as {name!r}{with_key}", **base))
            return
        details = CopyBackupDetails(destination_region=region, display_name=name, kms_key_id=key_id)
        token = copy_token(kind, backup.id, region, replaced)
        try:
            copied = invocation.storage.copy_backup(kind, backup.id, details, token, retry=COPY_RETRY)
        except OciServiceError as exc:
            refused(invocation, kind, backup, limits, exc, base)
            return
        after_copy(invocation, kind, backup, region, copied.value, copied.opc_request_id, base)
    except DeadlineExceeded as exc:
        invocation.report.add(Item(status=ItemStatus.DEFERRED, reason=f"{exc}; the next reconcile copies it", **base))
    except OciError as exc:
        invocation.report.add(Item(status=ItemStatus.FAILED, reason=str(exc), **base))


def refused(
    invocation: Run, kind: BackupKind, backup: BackupBase, limits: Limits, exc: OciServiceError, base: dict[str, Any]
) -> None:
    """OCI refused the copy: "not now" is deferred, anything else failed with OCI's reason."""
    request_id = exc.opc_request_id
    if isinstance(exc, LimitExceeded):
        if kind is not BackupKind.BOOT_VOLUME:
            limits.exhaust()  # keep the boot volume claimed too: it is busy
        reason = f"OCI copy limit reached ({exc.message}); the next reconcile copies it"
        invocation.report.add(Item(status=ItemStatus.DEFERRED, reason=reason, opc_request_id=request_id, **base))
        return
    limits.release(kind, backup)
    if isinstance(exc, IncorrectState | TooManyRequests):
        reason = f"OCI said not now ({exc.status} {exc.code}: {exc.message}); the next reconcile copies it"
        invocation.report.add(Item(status=ItemStatus.DEFERRED, reason=reason, opc_request_id=request_id, **base))
        return
    if isinstance(exc, InvalidatedRetryToken):
        reason = (
            "a copy of this backup to this region was requested in the last 24 h with other details (name "
            f"template or Vault key changed?); OCI refused the retry token: {exc.message}"
        )
    elif isinstance(exc, InvalidParameter) and kind is BackupKind.BOOT_VOLUME:
        reason = f"OCI cannot copy this boot volume backup: {exc.message}"
    else:
        reason = str(exc)
    invocation.report.add(Item(status=ItemStatus.FAILED, reason=reason, opc_request_id=request_id, **base))


def after_copy(
    invocation: Run,
    kind: BackupKind,
    backup: BackupBase,
    region: str,
    copy: BackupBase,
    request_id: str | None,
    base: dict[str, Any],
) -> None:
    """Report the new copy and tag it in its destination region (read there, updated there)."""
    if copy.lifecycle_state in GONE_STATES:
        reason = f"OCI answered with copy {copy.id}, which is {copy.lifecycle_state}; the next reconcile retries"
        invocation.report.add(Item(status=ItemStatus.FAILED, reason=reason, opc_request_id=request_id, **base))
        return
    try:
        done = update_copy(invocation, kind, region, copy.id, backup)
        state = done.state
        outcome = _done_words(done, invocation.settings.lock_days_for(region))
    except OciError as exc:
        state = str(copy.lifecycle_state)
        outcome = "not tagged or locked yet, the next reconcile does it"
        invocation.report.note(f"copy {copy.id} in {region} not tagged or locked yet: {exc}")
    invocation.report.add(
        Item(
            status=ItemStatus.COPIED,
            result_id=copy.id,
            reason=f"copy {copy.display_name!r} is {state}; {outcome}",
            opc_request_id=request_id,
            **base,
        )
    )


def _done_words(done: Updated, lock_days: int) -> str:
    words = f"tagged and locked {lock_days} days" if lock_days else "tagged"
    if done.waiting:
        words = f"tagged; not locked yet ({done.waiting})"
    return words


def existing_copy(
    invocation: Run,
    kind: BackupKind,
    backup: BackupBase,
    region: str,
    copy: BackupBase,
    name: str,
    base: dict[str, Any],
) -> None:
    """Already copied: nothing to do, bring the tool's copy up to date (tags, lock, its source's name and
    tags), or leave someone else's copy alone."""
    if not made_by_tool(copy) and copy.display_name != name:
        reason = f"a copy made outside this tool exists ({copy.display_name!r}); not copied again, left alone"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, result_id=copy.id, reason=reason, **base))
        return
    upkeep = upkeep_for(invocation, kind, backup, region, copy)
    if not upkeep:
        reason = f"already copied ({copy.lifecycle_state})"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, result_id=copy.id, reason=reason, **base))
        return
    tag_item = base | {"action": "tag-copy"}
    if invocation.dry_run:
        reason = "would " + "; ".join(upkeep.summary) + " (the copy made earlier)"
        invocation.report.add(Item(status=ItemStatus.PLANNED, result_id=copy.id, reason=reason, **tag_item))
        return
    done = update_copy(invocation, kind, region, copy.id, backup)
    if not done.summary:
        reason = f"already copied ({done.state}); {done.waiting}" if done.waiting else f"already copied ({done.state})"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, result_id=copy.id, reason=reason, **base))
        return
    reason = "; ".join(done.summary) + " (the copy made earlier)"
    if done.waiting:
        reason += f"; not locked yet ({done.waiting})"
    invocation.report.add(
        Item(status=ItemStatus.UPDATED, result_id=copy.id, reason=reason, opc_request_id=done.request_id, **tag_item)
    )
