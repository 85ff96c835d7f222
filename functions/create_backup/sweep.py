"""The schedule sweep: list the sources and their backups, report the posture, protect each source.

One pass, page by page: each page of sources is protected as it is listed, each compartment's backups
of a kind listed when a source of it is first reached. A full run measures the posture on the way (and
goes on listing after its deadline, since the posture needs the whole scope); a run handed a ``cursor``
lists from where the last run stopped and nothing before it. A run that meets its deadline hands the
rest over as a cursor.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import NamedTuple

from functions.create_backup.protect import protect
from functions.create_backup.settings import Run, Target
from shared.oci.blockstorage import BackupKind
from shared.oci.errors import DeadlineExceeded
from shared.oci.models import (
    BackupBase,
    BackupType,
    LifecycleState,
    Tagged,
)
from shared.posture import Coverage, last_available, protection_posture
from shared.sweep import deferred_item, hand_over, hand_over_from, run_bounded, scope
from shared.triggers import SweepCursor

POSTURE_RESERVE_SECONDS = 10.0  # a measuring run stops listing for the posture this long before its calls' deadline


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
    ``measure``: the posture too, ``posture_only``: the posture and nothing else.

    One pass over the listing, page by page: what is kept across pages is one line per source for the
    posture (``Coverage``) and per source not started its id and name, never the listed models."""
    settings = invocation.settings
    listing = FleetListing(invocation, scope(invocation, compartments), only, backup_type is BackupType.FULL, cursor)
    coverages: list[Coverage] = []
    measured = measure or posture_only
    whole = [True]  # the listing reached the end of the scope

    def tapped() -> Iterator[Placed]:
        stream = iter(listing)
        taken = False
        while True:
            late = measure and invocation.deadline.expired() and taken  # only listing for the posture now
            if late and invocation.call_deadline.remaining() < POSTURE_RESERVE_SECONDS:
                whole[0] = False  # the hand-over and the digest need the time left
                return
            try:
                placed = next(stream)
            except StopIteration:
                return
            except DeadlineExceeded:
                if not late:
                    raise
                whole[0] = False  # a listing for the posture did not fit: the hand-over and the digest first
                return
            if measured:
                coverages.append(coverage(placed))
            taken = True
            yield placed

    if posture_only:
        for _placed in tapped():
            pass
        invocation.report.add_section(protection_posture(coverages, settings.rpo_hours, invocation.now()))
        return
    first: list[Placed] = []
    deferred: list[tuple[str, str | None]] = []

    def defer(placed: Placed) -> None:
        if not first:
            first.append(placed)
        deferred.append((placed.target.source.id, placed.target.source.display_name))

    def protect_one(placed: Placed) -> None:
        protect(invocation, placed.target, explicit=False, prune=prune, history=placed.history)

    # a measuring run goes on listing after its deadline (the posture needs the whole scope); others stop
    run_bounded(
        tapped(), protect_one, concurrency=settings.max_concurrency, deadline=invocation.deadline,
        on_deferred=defer, drain=measured,
    )  # fmt: skip
    if measured and whole[0]:
        invocation.report.add_section(protection_posture(coverages, settings.rpo_hours, invocation.now()))
    elif measured:
        invocation.report.note(
            f"posture not measured: listing the whole scope did not fit before the deadline ({len(coverages)} "
            "resources listed); a posture request measures it"
        )
    if not first:
        return
    deferred += [(t.source.id, t.source.display_name) for t in listing.rest_of_page()]
    for resource_id, name in deferred:
        invocation.report.add(deferred_item("backup", resource_id, name))
    if only is not None:  # a hand-over by ids: the ids not started
        hand_over(invocation, [resource_id for resource_id, _name in deferred], "resources")
        return
    source = first[0].target.source
    resume = SweepCursor(
        compartment_id=source.compartment_id, kind=first[0].target.kind.word, page=first[0].page, start_id=source.id
    )
    hand_over_from(invocation, resume, len(deferred), "resources and the rest of the listing")


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


def coverage(placed: Placed) -> Coverage:
    """One line of the posture: the source and when its newest good backup was taken."""
    source = placed.target.source
    return Coverage(
        resource_id=source.id,
        name=source.display_name,
        kind=placed.target.kind.word,
        compartment_id=source.compartment_id,
        last_at=last_available(placed.history),
    )
