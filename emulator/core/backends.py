"""State containers: one backend per tenancy per region, created lazily under a lock (moto's BackendDict)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from .state import World

GLOBAL = ""  # the "region" of tenancy-wide backends (identity)


class BaseBackend:
    """A service's state in one tenancy and region. Subclasses set up their dicts in ``__init__``."""

    def __init__(self, world: World, tenancy_id: str, region: str) -> None:
        self.world = world
        self.tenancy_id = tenancy_id
        self.region = region

    def reset(self) -> None:
        """Structural reset: wipe everything and re-run ``__init__``."""
        world, tenancy_id, region = self.world, self.tenancy_id, self.region
        self.__dict__.clear()
        self.__init__(world, tenancy_id, region)  # type: ignore[misc]


B = TypeVar("B", bound=BaseBackend)


class BackendDict(Generic[B]):
    """tenancy -> region -> backend, each created on first use."""

    def __init__(self, factory: Callable[[World, str, str], B], world: World) -> None:
        self._factory = factory
        self._world = world
        self._backends: dict[str, dict[str, B]] = {}
        self._lock = threading.Lock()

    def get(self, tenancy_id: str, region: str) -> B:
        regions = self._backends.get(tenancy_id)
        if regions is not None and region in regions:
            return regions[region]
        with self._lock:
            regions = self._backends.setdefault(tenancy_id, {})
            if region not in regions:
                regions[region] = self._factory(self._world, tenancy_id, region)
            return regions[region]

    def __iter__(self) -> Iterator[B]:
        with self._lock:
            items = [b for regions in self._backends.values() for b in regions.values()]
        return iter(items)

    def reset(self) -> None:
        with self._lock:
            self._backends = {}
