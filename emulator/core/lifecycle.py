"""Timed lifecycle transitions on the emulator clock (like moto's ManagedState, by time).

Transitions are scheduled at creation and applied lazily: ``Scheduler.run_due(now)`` runs, in due
order, every transition whose time has come. The app calls it before each request and when the
clock is advanced, so a read always sees the state the clock implies.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Action = Callable[[float], None]


@dataclass(order=True)
class _Entry:
    due: float
    seq: int
    action: Action = field(compare=False)


class Scheduler:
    """A heap of (due time, action); not thread-safe on its own (runs under the world lock)."""

    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._seq = itertools.count()

    def at(self, due: float, action: Action) -> None:
        heapq.heappush(self._heap, _Entry(due, next(self._seq), action))

    def run_due(self, now: float) -> int:
        ran = 0
        while self._heap and self._heap[0].due <= now:
            entry = heapq.heappop(self._heap)
            entry.action(entry.due)
            ran += 1
        return ran

    def reset(self) -> None:
        self._heap = []

    def __len__(self) -> int:
        return len(self._heap)


@dataclass(frozen=True)
class Stage:
    state: str
    after: float  # seconds after the start


def plan(stages: Sequence[Stage]) -> list[Stage]:
    """Stages in order, each no later than the next: the last stage's time wins (0 makes all immediate)."""
    result: list[Stage] = []
    ceiling = float("inf")
    for stage in reversed(stages):
        ceiling = min(ceiling, stage.after)
        result.append(Stage(stage.state, ceiling))
    return list(reversed(result))


def schedule(
    scheduler: Scheduler,
    start: float,
    stages: Sequence[Stage],
    enter: Callable[[str, float], None],
) -> None:
    """Schedule ``enter(state, at)`` for each stage at ``start + after``."""
    for stage in plan(stages):
        scheduler.at(start + stage.after, _bind(enter, stage.state))


def _bind(enter: Callable[[str, float], None], state: str) -> Action:
    def action(at: float) -> None:
        enter(state, at)

    return action
