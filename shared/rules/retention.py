"""Retention: which of one source's backups (or copies) may go. A pure decision, no I/O.

Rules, in order:
1. only backups carrying the tool's marker are ever candidates; others are never touched;
2. only AVAILABLE backups are deleted, and only AVAILABLE ones count as kept;
3. a backup goes when it is beyond ``keep_count`` (newest first) or older than ``max_age_days``;
4. whatever rules 3 says, the newest ``min_keep`` (at least 1) AVAILABLE backups stay: the last
   good backup of a source is never deleted;
5. a backup whose lock has not expired (``shared.rules.locks``) is never deleted: it is planned with
   its ``lock`` (the caller reports it skipped) and, like every backup that stays, counts as kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

from shared.oci.models import LifecycleState
from shared.rules.locks import Lock, lock_of
from shared.rules.tags import is_managed

if TYPE_CHECKING:
    from shared.oci.backup_record import BackupFacts


class Dated(Protocol):
    """What rules 3 and 4 read of a backup: which source it is of, and when it was taken."""

    @property
    def id(self) -> str: ...
    @property
    def source_id(self) -> str | None: ...
    @property
    def time_created(self) -> datetime: ...


D = TypeVar("D", bound=Dated)


@dataclass(frozen=True)
class RetentionPolicy:
    max_age_days: int = 0  # 0: no age limit
    keep_count: int = 0  # 0: no count limit
    min_keep: int = 1

    @property
    def active(self) -> bool:
        return self.max_age_days > 0 or self.keep_count > 0


@dataclass(frozen=True)
class Expired:
    backup: BackupFacts
    reason: str
    lock: Lock | None = None  # retention lets it go, but this lock keeps it: never sent a delete


def candidates(backups: Sequence[BackupFacts]) -> list[BackupFacts]:
    """The backups retention decides about (rules 1 and 2), newest first."""
    return sorted(
        (b for b in backups if b.lifecycle_state == LifecycleState.AVAILABLE and is_managed(b.freeform_tags)),
        key=lambda b: b.time_created,
        reverse=True,
    )


def locked_kept(backups: Sequence[BackupFacts], expired: Sequence[Expired], now: datetime) -> int:
    """How many of the backups retention keeps (not planned to go) carry a lock."""
    going = {e.backup.id for e in expired}
    return sum(1 for b in candidates(backups) if b.id not in going and lock_of(b, now) is not None)


def plan_pruning(backups: Sequence[BackupFacts], policy: RetentionPolicy, now: datetime) -> list[Expired]:
    """The backups of ONE source that the policy lets go, oldest first."""
    if not policy.active:
        return []
    going = _going(candidates(backups), policy, now)
    return [Expired(backup, reason, lock_of(backup, now)) for backup, reason in reversed(list(going))]


def kept(backups: Sequence[Dated], policy: RetentionPolicy, now: datetime) -> set[str]:
    """Ids of the backups (of any sources, whoever made them) that the policy would keep: rules 3 and 4 only."""
    if not policy.active:
        return {b.id for b in backups}
    by_source: dict[str, list[Dated]] = defaultdict(list)
    for backup in backups:
        by_source[backup.source_id or backup.id].append(backup)
    keep: set[str] = set()
    for same_source in by_source.values():
        newest_first = sorted(same_source, key=lambda b: b.time_created, reverse=True)
        going = {b.id for b, _ in _going(newest_first, policy, now)}
        keep.update(b.id for b in newest_first if b.id not in going)
    return keep


def _going(newest_first: Sequence[D], policy: RetentionPolicy, now: datetime) -> Iterator[tuple[D, str]]:
    """Rules 3 and 4 for the backups of one source, newest first: each that goes, and why."""
    guard = max(1, policy.min_keep)
    cutoff = now - timedelta(days=policy.max_age_days) if policy.max_age_days else None
    for position, backup in enumerate(newest_first):
        if position < guard:
            continue
        if policy.keep_count and position >= policy.keep_count:
            yield backup, f"beyond the newest {policy.keep_count}"
        elif cutoff is not None and backup.time_created < cutoff:
            yield backup, f"older than {policy.max_age_days} days"
