"""The schedule sweep: list the sources and their backups, report the posture, protect each source.

One pass, page by page: each page of sources is protected as it is listed, each compartment's backups
of a kind listed when a source of it is first reached and kept as small records (``BackupRecord``), the
posture counted as it goes (``PostureTally``): what a run holds grows with a page and a compartment's
backups, not with the fleet. A run handed a ``cursor`` lists from where the last run stopped and
nothing before it. A run that meets its deadline, or whose listing fails on a transient error after it
made progress, hands the rest over as a cursor; a measuring run hands its posture tally over with it,
and the run that finishes the listing reports the whole scope's posture.
"""

from __future__ import annotations

import contextvars
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

from pydantic import ValidationError

from functions.create_backup.headroom import HEADROOM_KEY, HeadroomTally, headroom_section
from functions.create_backup.protect import protect
from functions.create_backup.settings import Run, Target
from shared.errors import BadRequest
from shared.oci.backup_record import BackupRecord
from shared.oci.blockstorage import BackupKind
from shared.oci.errors import DeadlineExceeded, OciError, OciServiceError, OciTransportError
from shared.oci.models import GONE_STATES, BackupType, LifecycleState, Tagged
from shared.posture import Coverage, PostureTally, ProtectionPosture, last_available
from shared.rules.tags import TOOL_KEYS
from shared.sweep import deferred_item, hand_over, hand_over_from, run_bounded, scope
from shared.triggers import SweepCursor

# sources left in a listing when the next one's backups start being listed in the background: listing 20,000
# backups takes about as long as 500 creates at 250/s (bench/RESULTS.md, The big fleet)
PREFETCH_WITHIN = 500


class Placed(NamedTuple):
    """A source to protect, its backups, and where the listing found it (the page's token)."""

    target: Target
    history: list[BackupRecord]
    page: str | None

    @property
    def cursor(self) -> SweepCursor:
        """Where a run goes on to list from this source on."""
        source = self.target.source
        return SweepCursor(
            compartment_id=source.compartment_id, kind=self.target.kind.word, page=self.page, start_id=source.id
        )


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
    carried: ProtectionPosture | None = None,
    carried_headroom: HeadroomTally | None = None,
) -> None:
    """Back up every matching source of ``compartments`` (default ``COMPARTMENT_IDS``) from ``cursor`` on;
    ``measure``: count the posture too (on top of ``carried``, what earlier runs of the chain counted),
    ``posture_only``: the posture and nothing else; the backup headroom with the posture (on top of
    ``carried_headroom``)."""
    settings = invocation.settings
    listing = FleetListing(
        invocation,
        scope(invocation, compartments),
        only,
        backup_type is BackupType.FULL,
        cursor,
        stop_on_error=not posture_only,
    )
    tally = PostureTally(settings.rpo_hours, invocation.now(), carried) if measure or posture_only else None
    backups = carried_headroom or HeadroomTally()
    if posture_only:
        assert tally is not None
        for placed in listing:
            tally.add(coverage(placed))
            backups.add(placed.history)
        invocation.report.add_section(tally.posture())
        invocation.report.add_section(headroom_section(invocation, backups))
        return
    first: list[Placed] = []
    started: set[str] = set()

    def protect_one(placed: Placed) -> None:
        if tally is not None:
            tally.add(coverage(placed))
            backups.add(placed.history)
        protect(invocation, placed.target, explicit=False, prune=prune, history=placed.history)

    def defer(placed: Placed) -> None:
        first.append(placed)

    def take() -> Iterator[Placed]:
        for placed in listing:
            yield placed
            started.add(placed.target.source.id)

    run_bounded(
        take(), protect_one, concurrency=settings.max_concurrency, deadline=invocation.deadline,
        on_deferred=defer, drain=False,
    )  # fmt: skip
    stop = listing.stop
    if stop is not None:
        if not started:  # no progress: handing over would only meet the same failure again
            raise stop.error
        invocation.report.note(f"the listing stopped on {stop.error}; the rest is handed over")
    if not first and stop is None:
        if tally is not None:
            invocation.report.add_section(tally.posture())
            invocation.report.add_section(headroom_section(invocation, backups))
        return
    deferred = [p.target for p in first] + listing.rest_of_page()
    for target in deferred:
        invocation.report.add(deferred_item("backup", target.source.id, target.source.display_name))
    if only is not None:  # a hand-over by ids: the ids not started
        hand_over(invocation, sorted(only - started), "resources")
        return
    resume = first[0].cursor if first else stop.cursor  # type: ignore[union-attr]
    carry = None
    if tally is not None:
        counted = tally.posture()
        carry = {**counted.document(), HEADROOM_KEY: backups.document()}
        invocation.report.note(
            f"posture: {counted.resources} resources counted so far; the run that finishes the listing reports it"
        )
    hand_over_from(invocation, resume, len(deferred), "resources and the rest of the listing", posture=carry)


def carried_posture(document: dict[str, Any] | None) -> ProtectionPosture | None:
    """The posture an earlier run of the chain counted (a hand-over body's ``posture``), validated."""
    if document is None:
        return None
    try:
        return ProtectionPosture.model_validate(document)
    except ValidationError as exc:
        raise BadRequest.from_validation(exc, "posture") from None


class Stop(NamedTuple):
    """A listing that ended early on a transient error: where to go on, and why it stopped."""

    cursor: SweepCursor
    error: OciError


class FleetListing:
    """The sources of a sweep in listing order (compartment, kind, page), from a cursor on.

    Iterating lists one page of sources at a time, and a compartment's backups of a kind once, when a
    source of that compartment and kind is first reached (one paged listing, 1,000 a page, instead of
    one per source), kept as records. ``rest_of_page``: what the current page holds that was not yet
    taken. With ``stop_on_error``, a listing call that fails on a transient error (a timeout, a 5xx or a
    429 left after the client's retries, the call deadline) ends the iteration and ``stop`` says where
    to go on (the last source given out, or the one whose backups could not be listed); other errors
    are raised.
    """

    def __init__(
        self,
        invocation: Run,
        compartments: list[str],
        only: set[str] | None,
        full: bool,
        cursor: SweepCursor | None,
        *,
        stop_on_error: bool = False,
    ) -> None:
        self.invocation = invocation
        self.compartments = compartments
        self.only = only
        self.full = full
        self.cursor = cursor
        self.stop_on_error = stop_on_error
        self.stop: Stop | None = None
        self._page: deque[Target] = deque()
        self._histories: dict[tuple[str, BackupKind], Future[dict[str, list[BackupRecord]]]] = {}

    def rest_of_page(self) -> list[Target]:
        rest = list(self._page)
        self._page.clear()
        return rest

    def __iter__(self) -> Iterator[Placed]:
        last: Placed | None = None
        try:
            for placed in self._walk():
                last = placed
                yield placed
        except OciError as exc:
            cause = exc.cause if isinstance(exc, _HistoryFailed) else exc
            where = exc.at if isinstance(exc, _HistoryFailed) else last
            if not (self.stop_on_error and transient(cause)) or where is None:  # None: no place to go on from
                raise cause from None
            self._page.clear()
            self.stop = Stop(where.cursor, cause)

    def _walk(self) -> Iterator[Placed]:
        storage = self.invocation.storage
        starts = list(self._starts())
        ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="obb-list")
        try:
            for n, (compartment, kind, page, start_id) in enumerate(starts):
                self._prefetch(ahead, starts[n : n + 1])
                following, given = starts[n + 1 : n + 2], 0
                for i, (token, listed) in enumerate(storage.source_pages(kind, compartment, page)):
                    sources = [s for s in listed if isinstance(s, Tagged)]
                    if i == 0 and start_id is not None:
                        sources = from_start(sources, start_id)
                    self._page = deque(self._targets(kind, sources))
                    while self._page:
                        target = self._page.popleft()
                        placed = Placed(target, [], token)
                        try:
                            history = self._history(target)
                        except OciError as exc:
                            raise _HistoryFailed(placed, exc) from exc
                        yield placed._replace(history=history)
                        given += 1
                        if following and self._left(compartment, kind, given) <= PREFETCH_WITHIN:
                            self._prefetch(ahead, starts[n : n + 2])
                            following = []
        finally:  # never wait for a listing ahead that is no longer needed (a run that stops early)
            ahead.shutdown(wait=False, cancel_futures=True)

    def _left(self, compartment: str, kind: BackupKind, given: int) -> int:
        """About how many sources of a listing are still to come (those with backups, less those given out)."""
        listed = self._histories.get((compartment, kind))
        return len(listed.result()) - given if listed is not None and listed.done() else PREFETCH_WITHIN + 1

    def _prefetch(
        self, ahead: ThreadPoolExecutor, starts: list[tuple[str, BackupKind, str | None, str | None]]
    ) -> None:
        """Have the backups of these listings listed in the background (and forget older ones): the next
        compartment's, asked for once the current one nears its end, are ready when its sources are
        reached instead of the workers waiting for them, and a run that stops before then lists none."""
        keys = [(compartment, kind) for compartment, kind, _page, _start in starts]
        self._histories = {key: listed for key, listed in self._histories.items() if key in keys}
        for compartment, kind in keys:
            if (compartment, kind) not in self._histories:
                context = contextvars.copy_context()  # its log lines carry the call's ids
                listing = ahead.submit(context.run, list_histories, self.invocation, compartment, kind)
                self._histories[(compartment, kind)] = listing

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

    def _history(self, target: Target) -> list[BackupRecord]:
        key = (target.source.compartment_id, target.kind)
        listed = self._histories.get(key)
        if listed is None:  # a source whose compartment is not its listing's: not expected, listed now
            listed = self._histories[key] = _done(list_histories(self.invocation, *key))
        return listed.result().get(target.source.id, [])


def from_start(sources: list[Tagged], start_id: str) -> list[Tagged]:
    """The page from the source ``start_id`` on (the whole page when it is gone: nothing is lost, and what
    was done already is found done by its run tag)."""
    ids = [s.id for s in sources]
    return sources[ids.index(start_id) :] if start_id in ids else sources


def list_histories(invocation: Run, compartment: str, kind: BackupKind) -> dict[str, list[BackupRecord]]:
    """The live backups of a compartment's sources of a kind, by source id, from one paged listing, as
    records (members of a volume group backup left out: they are their group's)."""
    histories: dict[str, list[BackupRecord]] = {}
    for backup in invocation.storage.list_backups(kind, compartment, limit=1000):
        if backup.source_id and backup.lifecycle_state not in GONE_STATES and not backup.group_backup_id:
            histories.setdefault(backup.source_id, []).append(BackupRecord.of(backup, TOOL_KEYS))
    return histories


def _done(value: dict[str, list[BackupRecord]]) -> Future[dict[str, list[BackupRecord]]]:
    future: Future[dict[str, list[BackupRecord]]] = Future()
    future.set_result(value)
    return future


def transient(error: OciError) -> bool:
    """A listing failure the next run may not meet: a timeout or lost connection, a 5xx or 429 left
    after the client's retries, the call deadline."""
    if isinstance(error, OciTransportError | DeadlineExceeded):
        return True
    return isinstance(error, OciServiceError) and (error.status >= 500 or error.status == 429)


class _HistoryFailed(OciError):
    """Listing the backups of ``at``'s compartment failed with ``cause``."""

    def __init__(self, at: Placed, cause: OciError) -> None:
        super().__init__(str(cause))
        self.at = at
        self.cause = cause


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
