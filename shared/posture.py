"""Protection posture: is every resource in scope covered by a recent enough backup (RPO), and every
source by a recent enough copy in each DR region (DR RPO)?

Pure rules and the models of the result document's ``posture`` / ``drPosture``: the handlers feed in
what their runs listed anyway (no call of its own), this module decides, orders and cuts.

- A resource is *protected* when its newest AVAILABLE backup was taken (``timeCreated``, the
  snapshot's point in time) within ``RPO_HOURS`` of the run; in-progress backups do not count.
- A source is *DR-protected* in a destination when an AVAILABLE copy there of one of its backups was
  taken within ``DR_RPO_HOURS`` (a copy keeps its source backup's ``timeCreated``).

Unprotected lists are ordered worst first (never backed up, then the oldest) and cut at
``LIST_LIMIT`` entries; ``unprotectedNotListed`` counts the rest.

Each posture is a section of the report (``shared.results.Section``): its document, its digest lines
and its gauges (``resources_protected`` / ``resources_unprotected``; per destination
``dr_sources_protected`` / ``dr_sources_unprotected``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from shared.oci.models import LifecycleState
from shared.results import Gauge

if TYPE_CHECKING:
    from shared.oci.backup_record import BackupFacts

LIST_LIMIT: Final = 50  # unprotected entries kept in the result document (the rest are counted)
DIGEST_NAMES: Final = 10  # unprotected names spelled out in a digest line
RESOURCES_PROTECTED: Final = "resources_protected"
RESOURCES_UNPROTECTED: Final = "resources_unprotected"
DR_SOURCES_PROTECTED: Final = "dr_sources_protected"
DR_SOURCES_UNPROTECTED: Final = "dr_sources_unprotected"


class _Document(BaseModel):
    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class UnprotectedResource(_Document):
    resource_id: str = Field(alias="resourceId")
    name: str
    kind: str
    compartment_id: str = Field(alias="compartmentId")
    last_backup_at: datetime | None = Field(alias="lastBackupAt")

    @model_serializer(mode="wrap")
    def _keep_never(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        data.setdefault("lastBackupAt", None)  # null means never, also when the document drops nulls
        return data


class ProtectionPosture(_Document):
    rpo_hours: int = Field(alias="rpoHours")
    resources: int
    protected: int
    unprotected: list[UnprotectedResource] = Field(default_factory=list)
    unprotected_not_listed: int = Field(default=0, alias="unprotectedNotListed")

    KEY: ClassVar[str] = "posture"

    @property
    def key(self) -> str:
        return self.KEY

    def digest_lines(self, now: datetime) -> list[str]:
        """One line, read at a glance: "Protection: 118 of 120 protected within 24 h; unprotected: web-07
        (last backup 31 h ago), db-02 (never)"."""
        listed = [(u.name or u.resource_id, u.last_backup_at) for u in self.unprotected]
        return [
            "Protection: "
            + _summary(self.resources, self.protected, self.rpo_hours, "resources")
            + _names(listed, self.unprotected_not_listed, "last backup", now)
        ]

    def gauges(self) -> list[Gauge]:
        return [
            Gauge(RESOURCES_PROTECTED, self.protected, {}),
            Gauge(RESOURCES_UNPROTECTED, self.resources - self.protected, {}),
        ]


class UnprotectedSource(_Document):
    resource_id: str = Field(alias="resourceId")
    name: str
    kind: str
    last_copy_at: datetime | None = Field(alias="lastCopyAt")

    @model_serializer(mode="wrap")
    def _keep_never(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        data.setdefault("lastCopyAt", None)
        return data


class DestinationPosture(_Document):
    sources: int
    protected: int
    unprotected: list[UnprotectedSource] = Field(default_factory=list)
    unprotected_not_listed: int = Field(default=0, alias="unprotectedNotListed")


class DrPosture(_Document):
    rpo_hours: int = Field(alias="rpoHours")
    destinations: dict[str, DestinationPosture] = Field(default_factory=dict)

    KEY: ClassVar[str] = "drPosture"

    @property
    def key(self) -> str:
        return self.KEY

    def digest_lines(self, now: datetime) -> list[str]:
        if not self.destinations:
            return ["DR protection: no destination could be checked"]
        lines = []
        for region, view in self.destinations.items():
            listed = [(u.name or u.resource_id, u.last_copy_at) for u in view.unprotected]
            lines.append(
                f"DR protection in {region}: "
                + _summary(view.sources, view.protected, self.rpo_hours, "sources")
                + _names(listed, view.unprotected_not_listed, "last copy", now)
            )
        return lines

    def gauges(self) -> list[Gauge]:
        gauges = []
        for destination, view in self.destinations.items():
            gauges.append(Gauge(DR_SOURCES_PROTECTED, view.protected, {"destination": destination}))
            gauges.append(Gauge(DR_SOURCES_UNPROTECTED, view.sources - view.protected, {"destination": destination}))
        return gauges


@dataclass(frozen=True)
class Coverage:
    """One resource (or DR source) in scope and the time of its newest good backup (or copy)."""

    resource_id: str
    name: str
    kind: str
    compartment_id: str
    last_at: datetime | None  # None: never


def last_available(backups: Iterable[BackupFacts]) -> datetime | None:
    """When the newest AVAILABLE backup was taken; None when there is none."""
    times = [b.time_created for b in backups if b.lifecycle_state == LifecycleState.AVAILABLE]
    return max(times) if times else None


def _worst_first(now: datetime) -> Callable[[Coverage], tuple[bool, datetime, str, str]]:
    return lambda c: (c.last_at is not None, c.last_at or now, c.name, c.resource_id)


def _split(coverages: Iterable[Coverage], rpo_hours: int, now: datetime) -> tuple[int, list[Coverage]]:
    """(how many are in scope, the unprotected ones worst first)."""
    cutoff = now - timedelta(hours=rpo_hours)
    every = list(coverages)
    stale = [c for c in every if c.last_at is None or c.last_at < cutoff]
    stale.sort(key=_worst_first(now))
    return len(every), stale


class PostureTally:
    """The protection posture counted as a listing goes: counts and the worst ``LIST_LIMIT`` unprotected
    resources, however large the scope (a sweep adds one resource at a time, from any thread).

    ``carried``: what earlier runs of a hand-over chain counted (the posture document they handed over),
    so the run that finishes the listing reports the whole scope's posture."""

    def __init__(self, rpo_hours: int, now: datetime, carried: ProtectionPosture | None = None) -> None:
        self.rpo_hours = rpo_hours
        self.now = now
        self._cutoff = now - timedelta(hours=rpo_hours)
        self._lock = threading.Lock()
        self.resources = 0
        self.protected = 0
        self._stale = 0
        self._worst: list[Coverage] = []
        if carried is not None:
            self.resources, self.protected = carried.resources, carried.protected
            self._stale = carried.resources - carried.protected
            self._worst = [
                Coverage(u.resource_id, u.name, u.kind, u.compartment_id, u.last_backup_at) for u in carried.unprotected
            ]

    def add(self, coverage: Coverage) -> None:
        with self._lock:
            self.resources += 1
            if coverage.last_at is not None and coverage.last_at >= self._cutoff:
                self.protected += 1
                return
            self._stale += 1
            self._worst.append(coverage)
            if len(self._worst) > 2 * LIST_LIMIT:
                self._cut()

    def _cut(self) -> None:
        self._worst.sort(key=_worst_first(self.now))
        del self._worst[LIST_LIMIT:]

    def posture(self) -> ProtectionPosture:
        with self._lock:
            self._cut()
            return ProtectionPosture(
                rpo_hours=self.rpo_hours,
                resources=self.resources,
                protected=self.protected,
                unprotected=[
                    UnprotectedResource(
                        resource_id=c.resource_id,
                        name=c.name,
                        kind=c.kind,
                        compartment_id=c.compartment_id,
                        last_backup_at=c.last_at,
                    )
                    for c in self._worst
                ],
                unprotected_not_listed=self._stale - len(self._worst),
            )


def protection_posture(coverages: Iterable[Coverage], rpo_hours: int, now: datetime) -> ProtectionPosture:
    tally = PostureTally(rpo_hours, now)
    for coverage in coverages:
        tally.add(coverage)
    return tally.posture()


def destination_posture(coverages: Iterable[Coverage], rpo_hours: int, now: datetime) -> DestinationPosture:
    total, stale = _split(coverages, rpo_hours, now)
    return DestinationPosture(
        sources=total,
        protected=total - len(stale),
        unprotected=[
            UnprotectedSource(resource_id=c.resource_id, name=c.name, kind=c.kind, last_copy_at=c.last_at)
            for c in stale[:LIST_LIMIT]
        ],
        unprotected_not_listed=max(0, len(stale) - LIST_LIMIT),
    )


# --- the digest lines ---------------------------------------------------------------------------------------


def _summary(total: int, protected: int, rpo_hours: int, what: str) -> str:
    if not total:
        return f"no {what} in scope"
    return f"{protected} of {total} protected within {rpo_hours} h"


def _names(listed: list[tuple[str, datetime | None]], not_listed: int, last: str, now: datetime) -> str:
    if not listed:
        return ""
    shown = [f"{name} ({_ago(at, now, last)})" for name, at in listed[:DIGEST_NAMES]]
    more = len(listed) - len(shown) + not_listed
    return "; unprotected: " + ", ".join(shown) + (f", and {more} more" if more else "")


def _ago(at: datetime | None, now: datetime, last: str) -> str:
    if at is None:
        return "never"
    hours = max(0.0, (now - at).total_seconds() / 3600)
    return f"{last} {hours:.0f} h ago" if hours < 72 else f"{last} {hours / 24:.0f} d ago"
