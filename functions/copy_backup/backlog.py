"""The newest few of a stream, the rest counted: what a reconcile keeps of the work it finds.

A reconcile finds its work while it lists (a copy a destination lacks, a copy to bring up to date, a copy
retention lets go) and starts it once every listing is done, newest first. It can only start so much in
one run (OCI's copy slots, the deadline), so it keeps the newest ``size`` items of each kind of work and
counts the others: the next reconcile plans afresh and finds them again.
"""

from __future__ import annotations

import heapq
import itertools
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


class Newest(Generic[T]):
    """At most ``size`` items, the newest by their time; ``left``: how many older ones were let go."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.left = 0
        self._heap: list[tuple[datetime, int, T]] = []  # oldest on top
        self._order = itertools.count()  # ties: the first one seen counts as newer, as a stable sort has it

    def add(self, at: datetime, item: T) -> None:
        entry = (at, -next(self._order), item)
        if len(self._heap) < self.size:
            heapq.heappush(self._heap, entry)
        elif self.size and entry[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, entry)
            self.left += 1
        else:
            self.left += 1

    def newest_first(self) -> list[T]:
        return [item for _at, _order, item in sorted(self._heap, key=lambda e: e[:2], reverse=True)]

    def __len__(self) -> int:
        return len(self._heap)
