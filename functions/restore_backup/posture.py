"""The restore posture: how many resources in scope have a passed restore test within VERIFY_EVERY_DAYS
(in every region of RESTORE_REGIONS), the ones that do not, and how long restores take, by kind."""

from datetime import datetime
from typing import Any, NamedTuple

from functions.restore_backup.coverage import Unit, backup_size
from shared.results import Gauge
from shared.rules import restore as rules
from shared.rules.naming import clean
from shared.rules.times import stamp

KEY = "restorePosture"  # the result document's field
RESOURCES_RESTORE_UNVERIFIED = "resources_restore_unverified"
LISTED = 50  # entries of "unverified" in the result; the rest are counted
NAMED = 10  # names in the digest line


class Unverified(NamedTuple):
    resource_id: str
    name: str
    kind: str
    last_verified_at: datetime | None
    last_result: str | None


class Slowest(NamedTuple):
    name: str
    seconds: float
    size_in_gbs: int


class RestorePosture(NamedTuple):
    verify_every_days: int
    resources: int
    verified: int
    unverified: list[Unverified]
    seconds_by_kind: dict[str, list[float]]
    failed: list[tuple[str, str, str]]  # (name, backup id, reason)
    slowest: Slowest | None

    key: str = KEY

    def document(self) -> dict[str, Any]:
        return {
            "verifyEveryDays": self.verify_every_days,
            "resources": self.resources,
            "verified": self.verified,
            "unverified": [
                {
                    "resourceId": u.resource_id,
                    "name": u.name,
                    "kind": u.kind,
                    "lastVerifiedAt": stamp(u.last_verified_at) if u.last_verified_at else None,
                    "lastResult": u.last_result,
                }
                for u in self.unverified[:LISTED]
            ],
            "unverifiedNotListed": max(0, len(self.unverified) - LISTED),
            "restoreSeconds": {
                kind: {
                    "p50": rules.percentile(values, 0.5),
                    "p90": rules.percentile(values, 0.9),
                    "max": max(values),
                }
                for kind, values in sorted(self.seconds_by_kind.items())
                if values
            },
        }

    def gauges(self) -> list[Gauge]:
        return [Gauge(RESOURCES_RESTORE_UNVERIFIED, float(len(self.unverified)), {})]

    def digest_lines(self, now: datetime) -> list[str]:
        line = (
            f"Restore tests: {self.verified} of {self.resources} restore-verified within {self.verify_every_days} days"
        )
        if self.failed:
            shown = [
                f"{clean(name)} (backup {backup} came up {reason})" for name, backup, reason in self.failed[:NAMED]
            ]
            more = f" and {len(self.failed) - NAMED} more" if len(self.failed) > NAMED else ""
            line += "; failed: " + ", ".join(shown) + more
        never = [u for u in self.unverified if u.last_verified_at is None]
        if never:
            names = ", ".join(clean(u.name) for u in never[:NAMED])
            line += f"; never tested: {names}" + (f" and {len(never) - NAMED} more" if len(never) > NAMED else "")
        everything = [s for values in self.seconds_by_kind.values() for s in values]
        median = rules.percentile(everything, 0.5)
        if median is not None:
            line += f"; median restore {_minutes(median)}"
        slowest = self.slowest
        if slowest is not None:
            line += f", slowest {_minutes(slowest.seconds)} {clean(slowest.name)} {_size(slowest.size_in_gbs)}"
        return [line]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _size(gbs: int) -> str:
    return f"{gbs / 1024:.0f} TB" if gbs >= 1024 and gbs % 1024 == 0 else f"{gbs} GB"


def measure(units: list[Unit], now: datetime, days: int) -> RestorePosture:
    """The posture from the units of one run (measured before the run starts anything)."""
    by_source: dict[str, list[Unit]] = {}
    for unit in units:
        by_source.setdefault(unit.source.resource.id, []).append(unit)
    unverified: list[Unverified] = []
    seconds: dict[str, list[float]] = {}
    failed: list[tuple[str, str, str]] = []
    slowest: Slowest | None = None
    for source_units in by_source.values():
        worst = min(source_units, key=lambda u: (u.last is not None and u.last.verified, u.last.at if u.last else now))
        if not all(rules.is_verified_within(u.last, now, days) for u in source_units):
            unverified.append(
                Unverified(
                    worst.source.resource.id,
                    worst.name,
                    worst.source.kind.word,
                    worst.last.at if worst.last else None,
                    worst.last.result if worst.last else None,
                )
            )
        for unit in source_units:
            last = unit.last
            if last is None:
                continue
            tested = next((b for b in unit.backups if rules.last_result(b.freeform_tags) == last), None)
            if not last.verified:
                reason = last.result.removeprefix(rules.FAILED_PREFIX)
                failed.append((unit.name, tested.id if tested else "?", reason))
            elif last.seconds is not None and rules.is_verified_within(last, now, days):
                seconds.setdefault(unit.source.kind.word, []).append(last.seconds)
                if slowest is None or last.seconds > slowest.seconds:
                    slowest = Slowest(unit.name, last.seconds, backup_size(tested) if tested else 0)
    unverified.sort(key=lambda u: (u.last_verified_at is not None, u.last_verified_at or now, u.name))
    return RestorePosture(days, len(by_source), len(by_source) - len(unverified), unverified, seconds, failed, slowest)
