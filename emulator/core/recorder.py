"""Append-only, thread-safe logs read with a cursor (events, invocations)."""

from __future__ import annotations

import threading
from typing import Any


class Recorder:
    """``since(n)`` returns entries n.. and the cursor to pass next time."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def record(self, item: dict[str, Any]) -> int:
        with self._lock:
            self._items.append(item)
            return len(self._items)

    def since(self, cursor: int = 0) -> tuple[list[dict[str, Any]], int]:
        with self._lock:
            start = max(0, cursor)
            return list(self._items[start:]), len(self._items)

    def reset(self) -> None:
        with self._lock:
            self._items = []

    def __len__(self) -> int:
        return len(self._items)
