"""What a schedule run retags: the recent AVAILABLE group backups of the scope, page by page from a cursor on.

Iterating lists one page of a compartment's volume group backups at a time (``PAGE`` a page); each
backup comes with the token of the page that listed it, so a run that meets its deadline can say where
the next one goes on (``cursor``): the compartment, that page and the first backup not started. What the
page holds that was not taken yet is ``rest_of_page``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from functions.retag_group_backup.settings import Run
from shared.oci.blockstorage import BackupKind
from shared.oci.models import BackupBase, LifecycleState
from shared.triggers import SweepCursor

PAGE = 100  # group backups a page: a run that stops mid-page lists at most this many twice
KIND = BackupKind.VOLUME_GROUP


class Placed(NamedTuple):
    """A group backup to retag, and where the listing found it."""

    backup: BackupBase
    compartment: str
    page: str | None  # the token that lists its page (None: the first page)


class GroupBackups:
    """The group backups a schedule run acts on, in listing order (compartment, page), from ``cursor`` on."""

    def __init__(
        self,
        invocation: Run,
        compartments: list[str],
        cutoff: datetime,
        only: set[str] | None,
        cursor: SweepCursor | None,
    ) -> None:
        self.invocation = invocation
        self.compartments = compartments
        self.cutoff = cutoff
        self.only = only
        self.cursor = cursor
        self._page: deque[Placed] = deque()

    def rest_of_page(self) -> list[Placed]:
        rest = list(self._page)
        self._page.clear()
        return rest

    def __iter__(self) -> Iterator[Placed]:
        storage = self.invocation.storage
        for compartment, page, start_id in self._starts():
            for n, (token, listed) in enumerate(storage.backup_pages(KIND, compartment, page, PAGE)):
                if n == 0 and start_id is not None:
                    ids = [b.id for b in listed]
                    listed = listed[ids.index(start_id) :] if start_id in ids else listed  # gone: the whole page
                self._page = deque(Placed(b, compartment, token) for b in listed if self._wanted(b))
                while self._page:
                    yield self._page.popleft()

    def _wanted(self, backup: BackupBase) -> bool:
        return (
            backup.lifecycle_state == LifecycleState.AVAILABLE
            and backup.time_created >= self.cutoff
            and (self.only is None or backup.id in self.only)
        )

    def _starts(self) -> Iterator[tuple[str, str | None, str | None]]:
        """(compartment, first page, first backup) of each listing, from the cursor on (every compartment
        without one, or when the cursor's compartment is no longer in scope)."""
        cursor = self.cursor
        if cursor is None or cursor.kind != KIND.word or cursor.compartment_id not in self.compartments:
            for compartment in self.compartments:
                yield compartment, None, None
            return
        at = self.compartments.index(cursor.compartment_id)
        yield cursor.compartment_id, cursor.page, cursor.start_id
        for compartment in self.compartments[at + 1 :]:
            yield compartment, None, None

    @staticmethod
    def cursor_at(placed: Placed) -> SweepCursor:
        """Where a run goes on that starts with ``placed``."""
        backup_id = placed.backup.id
        return SweepCursor(compartment_id=placed.compartment, kind=KIND.word, page=placed.page, start_id=backup_id)
