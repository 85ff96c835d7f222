"""One source: create its backup (named, tagged, locked) unless none is due, then prune its old ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.create_backup.settings import CREATE_RETRY, Run, Target
from shared.oci.blockstorage import BackupKind, BlockStorage, Versioned
from shared.oci.errors import (
    IncorrectState,
    InvalidatedRetryToken,
    LimitExceeded,
    OciError,
)
from shared.oci.models import (
    GONE_STATES,
    IN_PROGRESS_STATES,
    BackupBase,
    BackupType,
    BackupUpdate,
    LockRequest,
    TagsUpdate,
)
from shared.results import Item, ItemStatus, status_for
from shared.rules.idempotency import TOKEN_RENEWALS, renewed_token
from shared.rules.locks import lock_request
from shared.rules.naming import render
from shared.rules.tags import CALL_KEY, RUN_KEY, TRIGGER_KEY, copyable_defined, fit, is_managed, marker, run_tag
from shared.triggers import RequestTrigger

if TYPE_CHECKING:
    from shared.oci.backup_record import BackupFacts


def protect(
    invocation: Run,
    target: Target,
    *,
    explicit: bool,
    prune: bool = False,
    history: Sequence[BackupFacts] | None = None,
    first_backup: bool = False,
) -> None:
    """Back up one source (unless matched out, duplicated or busy), then prune its old backups.

    ``history`` is the source's backups when the caller listed them already (a sweep); otherwise
    they are listed here. A backup started since that listing is still caught: the retry token
    returns it for a duplicate, and OCI refuses a second backup in progress (``IncorrectState``)."""
    settings = invocation.settings
    source = target.source
    storage = invocation.storage
    base = {"action": "backup", "resource_id": source.id, "name": source.display_name}
    try:
        if (
            not explicit
            and settings.selector
            and not settings.selector.matches(source.freeform_tags, source.defined_tags)
        ):
            invocation.report.add(
                Item(status=ItemStatus.SKIPPED, reason=f"does not match SELECTOR {settings.selector}", **base)
            )
            return
        if history is None:
            history = list(storage.list_backups(target.kind, source.compartment_id, source_id=source.id))
        history = [b for b in history if b.lifecycle_state not in GONE_STATES and not is_group_member(b)]
        create_one(invocation, target, history, base, first_backup)
        if prune:
            prune_old(invocation, target, history)
    except OciError as exc:
        invocation.report.add(Item(status=status_for(exc), reason=str(exc), **base))


def is_group_member(backup: BackupFacts) -> bool:
    return bool(backup.group_backup_id)


def create_one(
    invocation: Run, target: Target, history: Sequence[BackupFacts], base: dict[str, Any], first_backup: bool = False
) -> None:
    settings = invocation.settings
    source = target.source
    mine = run_tag(invocation.idempotency_key)
    duplicate = next((b for b in history if b.freeform_tags.get(RUN_KEY) == mine), None)
    if duplicate is not None:
        invocation.report.add(
            Item(
                status=ItemStatus.SKIPPED,
                result_id=duplicate.id,
                reason="already backed up by this trigger",
                **base,
            )
        )
        return
    if first_backup:  # a creation event: one first backup, however many events announce the resource
        first = next(
            (b for b in history if is_managed(b.freeform_tags) and b.freeform_tags.get(TRIGGER_KEY) == "event"), None
        )
        if first is not None:
            invocation.report.add(
                Item(status=ItemStatus.SKIPPED, result_id=first.id, reason="already has its first backup", **base)
            )
            return
    busy = next((b for b in history if b.lifecycle_state in IN_PROGRESS_STATES), None)
    if busy is not None:
        invocation.report.add(
            Item(status=ItemStatus.SKIPPED, result_id=busy.id, reason="a backup is already in progress", **base)
        )
        return
    backup_type = BackupType.FULL if target.full or full_due(settings.full_every, history) else BackupType.INCREMENTAL
    now = invocation.now()
    name = render(settings.name_template, name_values(source.display_name, target.kind, invocation, backup_type, now))
    own = marker(invocation.kind.value, invocation.idempotency_key, source.id, invocation.call_id)
    tags = fit(source.freeform_tags, {}, own, source.defined_tags)  # OCI copies every defined tag itself
    left_out = f"; {tags.note()}" if tags.left_out else ""
    lock_days = lock_days_for(invocation)
    locked = f"; locked {lock_days} days ({settings.lock_mode})" if lock_days else ""
    if invocation.dry_run:
        invocation.report.add(
            Item(
                status=ItemStatus.PLANNED,
                region=invocation.region,
                reason=f"would create {backup_type.value} backup {name!r}{left_out}{locked}",
                **base,
            )
        )
        return
    defined = copyable_defined(source.defined_tags, settings.copy_defined_tag_namespaces)
    # OCI gives a backup its source's tags by itself: when they leave no room for the markers, the backup is
    # created with the source's tags alone, then its free-form tags are replaced by the fitted set.
    freeform = {} if tags.left_out else tags.freeform
    lock = lock_request(lock_days, settings.lock_mode)
    details = create_details(target.kind, source.id, name, backup_type, freeform, defined, lock)
    try:
        created = create_with_renewal(invocation, target, details)
    except IncorrectState as exc:
        invocation.report.add(
            Item(
                status=ItemStatus.SKIPPED,
                reason=f"busy: {exc.message}",
                opc_request_id=exc.opc_request_id,
                **base,
            )
        )
        return
    except LimitExceeded as exc:
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                reason=f"limit: {exc.message}",
                opc_request_id=exc.opc_request_id,
                **base,
            )
        )
        return
    if created is None:
        reason = (
            f"the backups this trigger made with {TOKEN_RENEWALS + 1} retry tokens were all deleted since; "
            "the next run backs it up"
        )
        invocation.report.add(Item(status=ItemStatus.FAILED, reason=reason, **base))
        return
    made_by = created.value.freeform_tags.get(CALL_KEY)
    if made_by and made_by != own.get(CALL_KEY, made_by):  # OCI replayed what another call of this trigger made
        reason = f"already backed up by this trigger (call {made_by})"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, result_id=created.value.id, reason=reason, **base))
        return
    if tags.left_out:
        try:
            update = TagsUpdate(freeform_tags=tags.freeform)
            invocation.storage.update_backup(target.kind, created.value.id, update)
        except OciError as exc:
            left_out = f"; its markers could not be set, so retention leaves it alone: {exc}"
    invocation.report.add(
        Item(
            status=ItemStatus.CREATED,
            result_id=created.value.id,
            region=invocation.region,
            reason=f"{backup_type.value} backup {created.value.display_name!r}{left_out}{locked}",
            opc_request_id=created.opc_request_id,
            **base,
        )
    )


def create_with_renewal(invocation: Run, target: Target, details: BackupUpdate) -> Versioned[BackupBase] | None:
    """Create the backup; when OCI says the backup an earlier call made with this token was deleted (409
    ``InvalidatedRetryToken``, or a replay answers it TERMINATING / TERMINATED), create it again with the
    next token (``renewed_token``). None when every token's backup was deleted."""
    operation = f"Create{target.kind.spec.name}"
    for renewal in range(TOKEN_RENEWALS + 1):
        token = renewed_token(invocation.idempotency_key, operation, target.source.id, invocation.region, renewal)
        try:
            created = invocation.storage.create_backup(target.kind, details, token, retry=CREATE_RETRY)
        except InvalidatedRetryToken:
            continue
        if created.value.lifecycle_state not in GONE_STATES:
            return created
    return None


def lock_days_for(invocation: Run) -> int:
    """The configured lock, or the request's when it asks for a longer one (a shorter one was refused)."""
    trigger = invocation.trigger
    asked = trigger.request.lock_days if isinstance(trigger, RequestTrigger) else None
    return max(invocation.settings.lock_days, asked or 0)


def full_due(full_every: int, history: Sequence[BackupFacts]) -> bool:
    """FULL when ``full_every`` backups (this one included) have passed since the last FULL."""
    if full_every <= 0:
        return False
    since_full = 0
    for backup in sorted(history, key=lambda b: b.time_created, reverse=True):
        if not is_managed(backup.freeform_tags):
            continue
        if backup.type == BackupType.FULL:
            break
        since_full += 1
    else:
        return True  # no FULL among the tool's backups yet
    return since_full + 1 >= full_every


def name_values(name: str, kind: BackupKind, invocation: Run, backup_type: BackupType, now: datetime) -> dict[str, str]:
    return {
        "name": name or kind.word,
        "kind": kind.word,
        "trigger": invocation.kind.value,
        "type": backup_type.value.lower(),
        "date": now.strftime("%Y-%m-%d"),
        "time": now.strftime("%H%M"),
        "region": invocation.region,
    }


def create_details(
    kind: BackupKind,
    source_id: str,
    name: str,
    backup_type: BackupType,
    freeform: dict[str, str],
    defined: dict[str, dict[str, Any]],
    lock: LockRequest,
) -> BackupUpdate:
    """The kind's ``Create*BackupDetails``: the source (``volumeId``, ``bootVolumeId`` or ``volumeGroupId``),
    name, type, tags and the lock, which goes in the create call itself."""
    spec = kind.spec
    fields: dict[str, Any] = {
        spec.source_filter: source_id,
        "display_name": name,
        "type": backup_type,
        "freeform_tags": freeform,
        "defined_tags": defined or None,
        **{field: value for field, value in lock if value is not None},
    }
    return spec.create_details(**fields)


def prune_old(invocation: Run, target: Target, history: Sequence[BackupFacts]) -> None:
    from shared.pruning import prune_backups  # a sweep only: not on the event path

    storage: BlockStorage = invocation.storage
    prune_backups(invocation, storage, target.kind, history, invocation.settings.retention, "prune")
