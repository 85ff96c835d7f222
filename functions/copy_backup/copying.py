"""One backup to one region: read, check, copy (or find the copy made earlier), tag the copy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from functions.copy_backup.limits import Limits, limits_for
from functions.copy_backup.settings import COPY_RETRY, Run
from functions.copy_backup.source import SourceBackup
from functions.copy_backup.upkeep import Updated, Upkeep, copy_name, made_by_tool, update_copy, upkeep_for
from shared.oci.blockstorage import BackupKind, Versioned
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
from shared.rules.idempotency import TOKEN_RENEWALS, renewed_token
from shared.rules.restore import TEST_RESTORE
from shared.triggers import OciEvent


def on_event(invocation: Run, event: OciEvent, kind: BackupKind) -> None:
    """A finished backup: copied to every destination region if it matches the copy selector."""
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
                status=ItemStatus.SKIPPED,
                action="copy",
                resource_id=backup_id,
                reason=f"not found in {invocation.region} (deleted since the event, or not visible to the function: "
                "check its IAM policy); nothing to copy",
                opc_request_id=exc.opc_request_id,
            )
        )
        return
    base = {"action": "copy", "resource_id": backup.id, "name": backup.display_name}
    if from_event and invocation.settings.is_test_restore(backup.compartment_id, backup.freeform_tags):
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason=TEST_RESTORE, **base))
        return
    if from_event and not invocation.settings.wants(backup):
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason="does not match the copy selector", **base))
        return
    if backup.copied_from:
        invocation.report.add(Item(status=ItemStatus.SKIPPED, reason="is itself a copy; not copied again", **base))
        return
    group_backup = backup.group_backup_id
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


class Destination(NamedTuple):
    """One backup's copies in one region, and what the tool's copy there lacks: worked out once."""

    region: str
    name: str  # the name the tool gives its copy there
    live: int  # copies neither gone nor broken
    replaced: int  # copies deleted or broken since
    copy_id: str | None  # the live copy the tool keeps up: its own, or one named as it names them
    copy: BackupBase | None  # that copy as listed (None in a reconcile: its update reads it again)
    upkeep: Upkeep  # what that copy lacks (empty without one)
    other: tuple[str, str] | None = None  # id and name of the newest live copy, when the tool keeps none up


class Seen:
    """One backup's copies in one region, taken one at a time in any order (a listing's): how many are live
    and how many gone, and the newest live copy the tool keeps up with what it lacks.

    ``lean``: keep of that copy only its id and what it lacks, in words (a reconcile, which keeps a ``Seen``
    of every backup it lists, never the copies themselves: an update reads the copy again anyway)."""

    __slots__ = ("_kept", "_newest", "backup", "invocation", "lean", "live", "name", "region", "replaced")

    def __init__(
        self, invocation: Run, kind: BackupKind, backup: SourceBackup, region: str, *, lean: bool = False
    ) -> None:
        self.invocation = invocation
        self.backup = backup
        self.region = region
        self.name = copy_name(invocation, kind, backup, region)
        self.lean = lean
        self.live = 0
        self.replaced = 0
        self._newest: tuple[datetime, str, str] | None = None  # when, id and name of the newest live copy
        self._kept: tuple[datetime, str, BackupBase | None, Upkeep] | None = None  # the copy the tool keeps up

    def add(self, copy: BackupBase) -> None:
        """A copy in the region (of another backup: passed over)."""
        if copy.copied_from != self.backup.id:
            return
        if copy.lifecycle_state in GONE_STATES or copy.lifecycle_state == LifecycleState.FAULTY:
            self.replaced += 1
            return
        self.live += 1
        at = copy.time_request_received or copy.time_created  # the newest wins; of equals, the first listed
        if not self.lean and (self._newest is None or at > self._newest[0]):
            self._newest = (at, copy.id, copy.display_name)
        if not (made_by_tool(copy) or copy.display_name == self.name):
            return
        if self._kept is None or at > self._kept[0]:
            upkeep = upkeep_for(self.invocation, self.backup, self.region, copy, self.name)
            if self.lean:
                self._kept = (at, copy.id, None, Upkeep(summary=upkeep.summary))
            else:
                self._kept = (at, copy.id, copy, upkeep)

    def destination(self) -> Destination:
        if self._kept is not None:
            _at, copy_id, copy, upkeep = self._kept
            return Destination(self.region, self.name, self.live, self.replaced, copy_id, copy, upkeep)
        other = self._newest[1:] if self._newest is not None else None
        return Destination(self.region, self.name, self.live, self.replaced, None, None, Upkeep(), other)


def destination(
    invocation: Run, kind: BackupKind, backup: SourceBackup, region: str, copies: Iterable[BackupBase]
) -> Destination:
    """What ``copies`` (copies in ``region``; those of other backups are passed over) hold for ``backup``."""
    seen = Seen(invocation, kind, backup, region)
    for copy in copies:
        seen.add(copy)
    return seen.destination()


def copy_token(kind: BackupKind, backup_id: str, region: str, replaced: int, renewal: int = 0) -> str:
    """From (source backup, destination); a copy that was deleted since gets a new token (OCI keeps one 24 h):
    one for each deleted copy still listed, and ``renewal`` more when OCI says the token's copy is gone."""
    key = "copy_backup" if not replaced else f"copy_backup#replaced-{replaced}"
    return renewed_token(key, f"Copy{kind.spec.name}", backup_id, region, renewal)


def copy_with_renewal(
    invocation: Run, kind: BackupKind, backup: SourceBackup, details: CopyBackupDetails, replaced: int
) -> Versioned[BackupBase] | None:
    """Copy; when OCI says the copy an earlier call made with this token was deleted (409
    ``InvalidatedRetryToken``, or a replay answers it TERMINATING / TERMINATED), copy again with the
    next token. None when every token's copy was deleted."""
    for renewal in range(TOKEN_RENEWALS + 1):
        token = copy_token(kind, backup.id, details.destination_region, replaced, renewal)
        try:
            copied = invocation.storage.copy_backup(kind, backup.id, details, token, retry=COPY_RETRY)
        except InvalidatedRetryToken:
            continue
        if copied.value.lifecycle_state not in GONE_STATES:
            return copied
    return None


def copy_to(
    invocation: Run,
    kind: BackupKind,
    backup: SourceBackup,
    region: str,
    limits: Limits,
    seen: Destination | None = None,
) -> BackupBase | None:
    """Copy one backup to one region, unless a copy is there already; never raises for OCI errors.

    ``seen``: the region's copies of the backup as a reconcile listed them, not listed again (a copy made
    by an event run since is the answer to the same retry token). Returns the copy as this call left it
    (None: none made or changed)."""
    base: dict[str, Any] = {"action": "copy", "resource_id": backup.id, "name": backup.display_name, "region": region}
    try:
        if seen is None:
            listed = invocation.storage_in(region).list_backups(kind, backup.compartment_id, copied_from=backup.id)
            seen = destination(invocation, kind, backup, region, listed)
        if seen.live:
            return existing_copy(invocation, kind, backup, seen, base)
        waiting = limits.claim(kind, backup)
        if waiting:
            invocation.report.add(Item(status=ItemStatus.DEFERRED, reason=waiting, **base))
            return None
        key_id = invocation.settings.kms_key_ids.get(region)
        if invocation.dry_run:
            with_key = f" with Vault key {key_id}" if key_id else ""
            reason = f"would copy as {seen.name!r}{with_key}"
            invocation.report.add(Item(status=ItemStatus.PLANNED, reason=reason, **base))
            return None
        details = CopyBackupDetails(destination_region=region, display_name=seen.name, kms_key_id=key_id)
        try:
            copied = copy_with_renewal(invocation, kind, backup, details, seen.replaced)
        except OciServiceError as exc:
            refused(invocation, kind, backup, limits, exc, base)
            return None
        if copied is None:
            limits.release(kind, backup)
            reason = (
                f"the copies made with {TOKEN_RENEWALS + 1} retry tokens were all deleted since; the next run retries"
            )
            invocation.report.add(Item(status=ItemStatus.FAILED, reason=reason, **base))
            return None
        return after_copy(invocation, kind, backup, seen, copied.value, copied.opc_request_id, base)
    except DeadlineExceeded as exc:
        invocation.report.add(Item(status=ItemStatus.DEFERRED, reason=f"{exc}; the next reconcile copies it", **base))
    except OciError as exc:
        invocation.report.add(Item(status=ItemStatus.FAILED, reason=str(exc), **base))
    return None


def refused(
    invocation: Run, kind: BackupKind, backup: SourceBackup, limits: Limits, exc: OciServiceError, base: dict[str, Any]
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
    if isinstance(exc, InvalidParameter) and kind is BackupKind.BOOT_VOLUME:
        reason = f"OCI cannot copy this boot volume backup: {exc.message}"
    else:
        reason = str(exc)
    invocation.report.add(Item(status=ItemStatus.FAILED, reason=reason, opc_request_id=request_id, **base))


def after_copy(
    invocation: Run,
    kind: BackupKind,
    backup: SourceBackup,
    seen: Destination,
    copy: BackupBase,
    request_id: str | None,
    base: dict[str, Any],
) -> BackupBase:
    """Report the new copy and tag it in its destination region (read there, updated there)."""
    region = seen.region
    if copy.lifecycle_state in GONE_STATES:
        reason = f"OCI answered with copy {copy.id}, which is {copy.lifecycle_state}; the next reconcile retries"
        invocation.report.add(Item(status=ItemStatus.FAILED, reason=reason, opc_request_id=request_id, **base))
        return copy
    try:
        done = update_copy(invocation, kind, region, backup, seen.name, copy.id)
        state = done.state
        outcome = _done_words(done, invocation.settings.lock_days_for(region))
        copy = done.copy or copy
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
    return copy


def _done_words(done: Updated, lock_days: int) -> str:
    words = f"tagged and locked {lock_days} days" if lock_days else "tagged"
    until = done.copy.time_retention_expires_at if done.copy is not None else None
    if lock_days and until is not None:
        words += f" (until {until:%Y-%m-%dT%H:%M:%SZ})"
    if done.waiting:
        words = f"tagged; not locked yet ({done.waiting})"
    return words


def existing_copy(
    invocation: Run, kind: BackupKind, backup: SourceBackup, seen: Destination, base: dict[str, Any]
) -> BackupBase | None:
    """Already copied: nothing to do, bring the tool's copy up to date (tags, lock, its source's name and
    tags), or leave someone else's copy alone."""
    copy_id, copy, upkeep = seen.copy_id, seen.copy, seen.upkeep
    if copy_id is None:
        other_id, other_name = seen.other or ("", "")
        reason = f"a copy made outside this tool exists ({other_name!r}); not copied again, left alone"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, result_id=other_id or None, reason=reason, **base))
        return None
    if not upkeep:
        reason = f"already copied ({copy.lifecycle_state})" if copy is not None else "already copied"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, result_id=copy_id, reason=reason, **base))
        return None
    tag_item = base | {"action": "tag-copy"}
    if invocation.dry_run:
        reason = "would " + "; ".join(upkeep.summary) + " (the copy made earlier)"
        invocation.report.add(Item(status=ItemStatus.PLANNED, result_id=copy_id, reason=reason, **tag_item))
        return None
    listed = (copy, upkeep) if copy is not None else None
    done = update_copy(invocation, kind, seen.region, backup, seen.name, copy_id, listed)
    if not done.summary:
        reason = f"already copied ({done.state}); {done.waiting}" if done.waiting else f"already copied ({done.state})"
        invocation.report.add(Item(status=ItemStatus.SKIPPED, result_id=copy_id, reason=reason, **base))
        return done.copy
    reason = "; ".join(done.summary) + " (the copy made earlier)"
    if done.waiting:
        reason += f"; not locked yet ({done.waiting})"
    invocation.report.add(
        Item(status=ItemStatus.UPDATED, result_id=copy_id, reason=reason, opc_request_id=done.request_id, **tag_item)
    )
    return done.copy
