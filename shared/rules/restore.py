"""The rules of a restore test (pure, no I/O): which backup to restore, the marker tags a test resource
carries, the two delete guards, the checks, the record on the source backup, expiry and the figures.

State lives in tags and nowhere else: a test resource carries ``restore-test`` (the run), the backup it
came from, when it started and when it expires; the source backup carries the last result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol, TypeVar

from shared.rules.times import parse_time, stamp

if TYPE_CHECKING:
    import random

RESTORE_TEST: Final = "restore-test"
RESTORE_SOURCE_BACKUP: Final = "restore-source-backup"
RESTORE_STARTED: Final = "restore-started"
RESTORE_EXPIRES: Final = "restore-expires"
RESTORE_VERIFIED_AT: Final = "restore-verified-at"
RESTORE_RESULT: Final = "restore-result"
RESTORE_SECONDS: Final = "restore-seconds"
TAGS: Final = (  # the names above: every tag restore-backup writes and reads back
    "RESTORE_TEST", "RESTORE_SOURCE_BACKUP", "RESTORE_STARTED", "RESTORE_EXPIRES",
    "RESTORE_VERIFIED_AT", "RESTORE_RESULT", "RESTORE_SECONDS",
)  # fmt: skip
VERIFIED: Final = "verified"
FAILED_PREFIX: Final = "failed:"
TEST_RESTORE: Final = "a test restore (in RESTORE_COMPARTMENT_ID or tagged restore-test): left to restore-backup"


class Pick(StrEnum):
    LATEST = "latest"
    OLDEST = "oldest"
    RANDOM = "random"


class BackupLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def time_created(self) -> datetime: ...
    @property
    def lifecycle_state(self) -> str: ...


B = TypeVar("B", bound=BackupLike)


def pick_backup(backups: Sequence[B], how: Pick, rng: random.Random | None = None) -> B | None:
    """One AVAILABLE backup: the newest, the oldest still kept, or one at random (None if there is none)."""
    available = sorted((b for b in backups if b.lifecycle_state == "AVAILABLE"), key=lambda b: (b.time_created, b.id))
    if not available:
        return None
    if how is Pick.OLDEST:
        return available[0]
    if how is Pick.RANDOM:
        if rng is None:
            import random  # only a RANDOM pick needs it

            rng = random.Random()
        return rng.choice(available)
    return available[-1]


# ---- the test resource's markers and the delete guards ---------------------------------------------------


def markers(run_id: str, backup_id: str, started: datetime, ttl_minutes: int) -> dict[str, str]:
    """The tags a test resource is created with."""
    return {
        RESTORE_TEST: run_id[:256],
        RESTORE_SOURCE_BACKUP: backup_id,
        RESTORE_STARTED: stamp(started),
        RESTORE_EXPIRES: stamp(started + timedelta(minutes=ttl_minutes)),
    }


def has_marker(freeform: Mapping[str, str]) -> bool:
    """Guard 1: the tool made it (it carries ``restore-test``)."""
    return bool(freeform.get(RESTORE_TEST))


def in_sandbox(compartment_id: str, sandbox_id: str) -> bool:
    """Guard 2: it lives in the sandbox compartment."""
    return bool(sandbox_id) and compartment_id == sandbox_id


def delete_refusal(compartment_id: str, freeform: Mapping[str, str], sandbox_id: str) -> str | None:
    """Why a delete must not be sent (None: both guards pass). Checked right before every delete."""
    if not in_sandbox(compartment_id, sandbox_id):
        return f"not in the sandbox compartment (it is in {compartment_id}): never deleted"
    if not has_marker(freeform):
        return f"carries no {RESTORE_TEST} tag: not a test restore, never deleted"
    return None


def is_test_restore(compartment_id: str, freeform: Mapping[str, str], sandbox_id: str | None) -> bool:
    """What create-backup and copy-backup never touch: anything in the sandbox or carrying the marker."""
    return has_marker(freeform) or (bool(sandbox_id) and compartment_id == sandbox_id)


def started_at(freeform: Mapping[str, str]) -> datetime | None:
    return parse_time(freeform.get(RESTORE_STARTED))


def is_expired(freeform: Mapping[str, str], now: datetime) -> bool:
    """Past ``restore-expires`` (a leftover, whatever its state). No readable expiry: expired."""
    expires = parse_time(freeform.get(RESTORE_EXPIRES))
    return expires is None or now >= expires


def is_timed_out(freeform: Mapping[str, str], now: datetime, timeout_minutes: int) -> bool:
    started = started_at(freeform)
    return started is None or now - started > timedelta(minutes=timeout_minutes)


# ---- the checks ----------------------------------------------------------------------------------


class Observed(NamedTuple):
    """What a run saw of a test resource that ended (AVAILABLE or FAULTY) and of its backup."""

    state: str
    size_in_gbs: int | None
    backup_size_in_gbs: int | None
    image_id: str | None = None
    backup_image_id: str | None = None
    member_states: tuple[str, ...] | None = None  # a volume group's members (None: not a group)
    backup_member_count: int | None = None
    seconds_to_available: float | None = None


def failure(observed: Observed, timeout_minutes: int) -> str | None:
    """The reason a restore failed its checks (None: verified)."""
    if observed.state == "FAULTY":
        return "FAULTY"
    if observed.state != "AVAILABLE":
        return f"ended {observed.state}"
    if observed.seconds_to_available is not None and observed.seconds_to_available > timeout_minutes * 60:
        return f"timed out (AVAILABLE after {observed.seconds_to_available / 60:.0f} min, limit {timeout_minutes} min)"
    size, backup_size = observed.size_in_gbs, observed.backup_size_in_gbs
    if size is not None and backup_size is not None and size < backup_size:
        return f"size ({size} GB, the backup has {backup_size} GB)"
    if observed.image_id and observed.backup_image_id and observed.image_id != observed.backup_image_id:
        return f"image ({observed.image_id}, the backup has {observed.backup_image_id})"
    if observed.member_states is not None:
        if observed.backup_member_count is not None and len(observed.member_states) != observed.backup_member_count:
            return (
                f"member count ({len(observed.member_states)} volumes, the backup has {observed.backup_member_count})"
            )
        not_available = [s for s in observed.member_states if s != "AVAILABLE"]
        if not_available:
            return f"member count ({len(not_available)} of {len(observed.member_states)} volumes not AVAILABLE)"
    return None


# ---- the record on the source backup ---------------------------------------------------------------


def result_tags(verified_at: datetime, reason: str | None, seconds: float | None) -> dict[str, str]:
    tags = {
        RESTORE_VERIFIED_AT: stamp(verified_at),
        RESTORE_RESULT: VERIFIED if reason is None else (FAILED_PREFIX + reason)[:256],
    }
    if seconds is not None:
        tags[RESTORE_SECONDS] = str(round(seconds))
    return tags


class LastResult(NamedTuple):
    at: datetime
    result: str
    seconds: float | None

    @property
    def verified(self) -> bool:
        return self.result == VERIFIED


def last_result(freeform: Mapping[str, str]) -> LastResult | None:
    at = parse_time(freeform.get(RESTORE_VERIFIED_AT))
    if at is None:
        return None
    try:
        seconds: float | None = float(freeform[RESTORE_SECONDS])
    except (KeyError, ValueError):
        seconds = None
    return LastResult(at, freeform.get(RESTORE_RESULT, ""), seconds)


def newest_result(tag_sets: Sequence[Mapping[str, str]]) -> LastResult | None:
    """The most recent result recorded on any of a source's backups."""
    results = [r for r in (last_result(tags) for tags in tag_sets) if r is not None]
    return max(results, key=lambda r: r.at) if results else None


def is_verified_within(result: LastResult | None, now: datetime, days: int) -> bool:
    return result is not None and result.verified and now - result.at <= timedelta(days=days)


# ---- figures --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
