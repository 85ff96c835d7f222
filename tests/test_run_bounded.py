"""``run_bounded``: at most ``concurrency`` items in flight, nothing started after the deadline, errors raised."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from shared import log
from shared.oci.retry import NO_DEADLINE, Deadline
from shared.sweep import run_bounded


def never(item: int) -> None:
    pytest.fail(f"item {item} deferred without a deadline")


class Flight:
    """Counts the items in flight and the most ever in flight at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.done: list[int] = []

    def __call__(self, item: int) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.005)
        with self.lock:
            self.now -= 1
            self.done.append(item)


def test_every_item_runs_once_with_at_most_concurrency_in_flight() -> None:
    flight = Flight()
    started = run_bounded(range(60), flight, concurrency=4, deadline=NO_DEADLINE, on_deferred=never)
    assert started == 60
    assert sorted(flight.done) == list(range(60))
    assert flight.most == 4


def test_after_the_deadline_nothing_starts_and_the_rest_is_deferred() -> None:
    ticks = iter([100.0, 101.0, 102.0, 103.0])  # deadline at 105: three items start, then the clock is past it
    deadline = Deadline.after(5, clock=lambda: next(ticks, 200.0))
    deferred: list[int] = []
    flight = Flight()
    started = run_bounded(range(10), flight, concurrency=3, deadline=deadline, on_deferred=deferred.append)
    assert (started, sorted(flight.done), deferred) == (3, [0, 1, 2], list(range(3, 10)))


def test_without_drain_only_the_first_item_not_started_is_deferred_and_the_rest_is_not_listed() -> None:
    listed: list[int] = []

    def lazy() -> Iterator[int]:
        for n in range(10):
            listed.append(n)
            yield n

    deferred: list[int] = []
    expired = Deadline(0.0, clock=lambda: 1.0)
    started = run_bounded(lazy(), Flight(), concurrency=3, deadline=expired, on_deferred=deferred.append, drain=False)
    assert (started, deferred, listed) == (0, [0], [0])


def test_what_the_listing_or_an_action_raises_is_raised_to_the_caller() -> None:
    def failing_listing() -> Iterator[int]:
        yield 1
        raise RuntimeError("listing failed")

    with pytest.raises(RuntimeError, match="listing failed"):
        run_bounded(failing_listing(), Flight(), concurrency=2, deadline=NO_DEADLINE, on_deferred=never)

    def broken(item: int) -> None:
        if item == 3:
            raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        run_bounded(range(8), broken, concurrency=2, deadline=NO_DEADLINE, on_deferred=never)


def test_the_listing_and_the_actions_run_in_the_callers_context() -> None:
    log.clear()
    log.bind(call_id="call-1")
    seen: list[str | None] = []

    def listing() -> Iterator[int]:
        for n in range(6):
            seen.append(log._context.get().get("call_id"))
            yield n

    def action(item: int) -> None:
        seen.append(log._context.get().get("call_id"))

    run_bounded(listing(), action, concurrency=3, deadline=NO_DEADLINE, on_deferred=never)
    log.clear()
    assert seen == ["call-1"] * 12
