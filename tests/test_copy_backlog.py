"""copy-backup's backlog: the newest few of a stream kept in a stable newest-first order, the rest counted."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from functions.copy_backup.backlog import Newest

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def test_keeps_the_newest_as_a_stable_sort_would_and_counts_the_rest() -> None:
    rng = random.Random(7)
    stream = [(T0 + timedelta(minutes=rng.randrange(50)), n) for n in range(1000)]  # many equal times
    for size in (0, 1, 10, 999, 1000, 2000):
        newest: Newest[int] = Newest(size)
        for at, n in stream:
            newest.add(at, n)
        expected = [n for _at, n in sorted(stream, key=lambda e: e[0], reverse=True)][:size]
        assert newest.newest_first() == expected, size
        assert len(newest) == len(expected) and newest.left == len(stream) - len(expected)
