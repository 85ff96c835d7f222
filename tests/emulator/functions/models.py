"""The invocation log: every InvokeFunction call, in order, across tenancies and regions."""

from __future__ import annotations

from typing import Any

from ..core.backends import BaseBackend
from ..core.clock import rfc3339
from ..core.state import World

HIDDEN_HEADERS = frozenset({"authorization"})


class FunctionsBackend(BaseBackend):
    def __init__(self, world: World, tenancy_id: str, region: str) -> None:
        super().__init__(world, tenancy_id, region)
        self.count = 0

    def invoke(self, function_id: str, detached: bool, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        record = {
            "functionId": function_id,
            "region": self.region,
            "tenancyId": self.tenancy_id,
            "invokeType": "detached" if detached else "sync",
            "body": body.decode("utf-8", errors="replace"),
            "headers": {k: v for k, v in headers.items() if k not in HIDDEN_HEADERS},
            "time": rfc3339(self.world.clock.now()),
        }
        self.world.invocations.record(record)
        self.count += 1
        return record
