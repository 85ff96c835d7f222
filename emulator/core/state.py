"""The world: every piece of emulator state, reachable from one object and reset in one call; its state
containers: one backend per tenancy per region, created lazily under a lock (moto's BackendDict)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from .clock import EmulatorClock
from .faults import FaultInjector
from .keys import KeyStore
from .lifecycle import Scheduler
from .recorder import Recorder
from .settings import Settings

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


class World:
    """Shared by all threads; ``lock`` serialises state changes (held while a request is handled)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.lock = threading.RLock()
        self.startup_settings = settings or Settings()
        self.settings = self.startup_settings.model_copy()
        self.clock = EmulatorClock()
        self.scheduler = Scheduler()
        self.keys = KeyStore()
        self.events = Recorder()
        self.invocations = Recorder()
        self.calls: Counter[str] = Counter()  # "<region> <Operation>" -> authenticated API requests
        self.refused: Counter[str] = Counter()  # "<region> <Operation> <status>" -> injected faults answered
        self.connections = 0  # TCP connections accepted since the server started (a reset keeps the count)
        self.faults = FaultInjector()
        self.tag_grants: dict[str, set[str]] = {}  # tenancy -> defined-tag namespaces it may write (lower case)
        self.resource_availability_grants: set[str] = set()  # tenancies whose callers may read limits' usage
        self._dicts: dict[type[BaseBackend], BackendDict[Any]] = {}
        self._dicts_lock = threading.Lock()

    def backend(self, cls: type[B], tenancy_id: str, region: str) -> B:
        """The ``cls`` backend of this tenancy and region (created lazily)."""
        bd = self._dicts.get(cls)
        if bd is None:
            with self._dicts_lock:
                bd = self._dicts.setdefault(cls, BackendDict(cls, self))
        backend: B = bd.get(tenancy_id, region)
        return backend

    def backends(self, cls: type[B]) -> list[B]:
        bd = self._dicts.get(cls)
        return list(bd) if bd is not None else []

    def tick(self) -> int:
        """Apply every lifecycle transition the clock has reached."""
        with self.lock:
            return self.scheduler.run_due(self.clock.now())

    def reset(self) -> None:
        with self.lock:
            for bd in self._dicts.values():
                bd.reset()
            self.settings = self.startup_settings.model_copy()
            self.clock.reset()
            self.scheduler.reset()
            self.keys.reset()
            self.events.reset()
            self.invocations.reset()
            self.calls.clear()
            self.refused.clear()
            self.faults.reset()
            self.tag_grants.clear()
            self.resource_availability_grants.clear()
