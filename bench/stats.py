"""Medians and the alternating order of the two sides."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


def alternating(sides: Sequence[T], runs: int) -> list[T]:
    """``runs`` rounds of every side once, in order and then reversed (AB BA ..., ABCD DCBA ...): each side
    runs as often early as late in a round, and the sides of a round meet the same machine, so drift
    and warm-up cancel out of their ratios."""
    order: list[T] = []
    for i in range(runs):
        order += list(sides) if i % 2 == 0 else list(reversed(sides))
    return order


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


@dataclass
class Samples:
    """Named lists of measurements and a count of failed operations."""

    values: dict[str, list[float]] = field(default_factory=dict)
    failures: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        return median(self.values.get(name, []))

    def fail(self, problem: str) -> None:
        self.failures += 1
        if len(self.problems) < 20:
            self.problems.append(problem)
