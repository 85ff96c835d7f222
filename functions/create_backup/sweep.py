"""The schedule sweep: list the sources and their backups, report the posture, protect each source.

A full run lists the whole scope first (the posture needs all of it); a run handed a ``cursor`` lists
page by page from where the last run stopped, each compartment's backups when it first needs them, and
nothing before the cursor. Either way a run that meets its deadline hands the rest over as a cursor.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import NamedTuple

from functions.create_backup.protect import protect
from functions.create_backup.settings import Run, Target
from shared.oci.blockstorage import BackupKind
from shared.oci.models import (
    BackupBase,
    BackupType,
    LifecycleState,
    Tagged,
)
from shared.posture import Coverage, ProtectionPosture, last_available, protection_posture
from shared.sweep import deferred_item, hand_over, hand_over_from, run_bounded, scope
from shared.triggers import SweepCursor


class Placed(NamedTuple):
    """A source to protect, its backups, and where the listing found it (the page's token)."""

    target: Target
    history: list[BackupBase]
    page: str | None


def sweep(
    invocation: Run,
    compartments: list[str] | None,
    *,
    only: set[str] | None,
    prune: bool,
    backup_type: BackupType | None,
    measure: bool = False,
    posture_only: bool = False,
    cursor: SweepCursor | None = None,
) -> None:
    """Back up every matching source of ``compartments`` (default ``COMPARTMENT_IDS``) from ``cursor`` on;
    ``measure``: the posture too, ``posture_only``: the posture and nothing else."""
    settings = invocation.settings
    listing = FleetListing(invocation, scope(invocation, compartments), only, backup_type is BackupType.FULL, cursor)
    work: Iterator[Placed] | list[Placed] = iter(listing)
    if measure or posture_only:
        work = list(work)
        invocation.report.add_section(fleet_posture(invocation, work))
        if posture_only:
            return
    deferred: list[Placed] = []

    def defer(placed: Placed) -> None:
        deferred.append(placed)

    def protect_one(placed: Placed) -> None:
        protect(invocation, placed.target, explicit=False, prune=prune, history=placed.history)

    lazy = not isinstance(work, list)
    run_bounded(
        work, protect_one, concurrency=settings.max_concurrency, deadline=invocation.deadline, on_deferred=defer,
        drain=not lazy,
    )  # fmt: skip
    if not deferred:
        return
    first = deferred[0]
    seen = [p.target for p in deferred] + (listing.rest_of_page() if lazy else [])
    for target in seen:
        invocation.report.add(deferred_item("backup", target.source.id, target.source.display_name))
    if only is not None:  # a hand-over by ids: the ids not started
        hand_over(invocation, [t.source.id for t in seen], "resources")
        return
    source = first.target.source
    resume = SweepCursor(
        compartment_id=source.compartment_id, kind=first.target.kind.word, page=first.page, start_id=source.id
    )
    hand_over_from(invocation, resume, len(seen), "resources and the rest of the listing")


class FleetListing:
    """The sources of a sweep in listing order (compartment, kind, page), from a cursor on.

    Iterating lists one page of sources at a time, and a compartment's backups of a kind once, when a
    source of that compartment and kind is first reached (one paged listing, 1,000 a page, instead of
    one per source). ``rest_of_page``: what the current page holds that was not yet taken.
    """

    def __init__(
        self, invocation: Run, compartments: list[str], only: set[str] | None, full: bool, cursor: SweepCursor | None
    ) -> None:
        self.invocation = invocation
        self.compartments = compartments
        self.only = only
        self.full = full
        self.cursor = cursor
        self._page: deque[Target] = deque()
        self._histories: tuple[tuple[str, BackupKind], dict[str, list[BackupBase]]] | None = None

    def rest_of_page(self) -> list[Target]:
        rest = list(self._page)
        self._page.clear()
        return rest

    def __iter__(self) -> Iterator[Placed]:
        storage = self.invocation.storage
        for compartment, kind, page, start_id in self._starts():
            for n, (token, listed) in enumerate(storage.source_pages(kind, compartment, page)):
                sources = [s for s in listed if isinstance(s, Tagged)]
                if n == 0 and start_id is not None:
                    sources = from_start(sources, start_id)
                self._page = deque(self._targets(kind, sources))
                while self._page:
                    target = self._page.popleft()
                    yield Placed(target, self._history(target), token)

    def _starts(self) -> Iterator[tuple[str, BackupKind, str | None, str | None]]:
        """(compartment, kind, first page, first source) of each listing, from the cursor on (all of them
        without one, or when the cursor's compartment or kind is no longer in scope)."""
        order = [(c, k) for c in self.compartments for k in self.invocation.settings.kinds]
        cursor = self.cursor
        at = None
        if cursor is not None:
            at = next(
                (i for i, (c, k) in enumerate(order) if c == cursor.compartment_id and k.word == cursor.kind), None
            )
        if cursor is None or at is None:
            for compartment, kind in order:
                yield compartment, kind, None, None
            return
        for i, (compartment, kind) in enumerate(order[at:]):
            yield (compartment, kind, cursor.page, cursor.start_id) if i == 0 else (compartment, kind, None, None)

    def _targets(self, kind: BackupKind, sources: list[Tagged]) -> list[Target]:
        settings = self.invocation.settings
        chosen = []
        for source in sources:
            if self.only is not None and source.id not in self.only:
                continue
            if source.lifecycle_state != LifecycleState.AVAILABLE:
                continue
            if settings.selector and not settings.selector.matches(source.freeform_tags, source.defined_tags):
                continue
            if settings.is_test_restore(source.compartment_id, source.freeform_tags):
                continue  # restore-backup's: never backed up
            chosen.append(Target(kind, source, self.full))
        return chosen

    def _history(self, target: Target) -> list[BackupBase]:
        key = (target.source.compartment_id, target.kind)
        if self._histories is None or self._histories[0] != key:
            self._histories = (key, list_histories(self.invocation, *key))
        return self._histories[1].get(target.source.id, [])


def from_start(sources: list[Tagged], start_id: str) -> list[Tagged]:
    """The page from the source ``start_id`` on (the whole page when it is gone: nothing is lost, and what
    was done already is found done by its run tag)."""
    ids = [s.id for s in sources]
    return sources[ids.index(start_id) :] if start_id in ids else sources


def list_histories(invocation: Run, compartment: str, kind: BackupKind) -> dict[str, list[BackupBase]]:
    """The backups of a compartment's sources of a kind, by source id, from one paged listing."""
    histories: dict[str, list[BackupBase]] = {}
    for backup in invocation.storage.list_backups(kind, compartment, limit=1000):
        if backup.source_id:
            histories.setdefault(backup.source_id, []).append(backup)
    return histories


def fleet_posture(invocation: Run, placed: list[Placed]) -> ProtectionPosture:
    """Which swept resources have a good backup within RPO_HOURS, from the listings made already."""
    coverages = (
        Coverage(
            resource_id=p.target.source.id,
            name=p.target.source.display_name,
            kind=p.target.kind.word,
            compartment_id=p.target.source.compartment_id,
            last_at=last_available(p.history),
        )
        for p in placed
    )
    return protection_posture(coverages, invocation.settings.rpo_hours, invocation.now())
