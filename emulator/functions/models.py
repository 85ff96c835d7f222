"""Functions (created through the control API) and the invocation log: every InvokeFunction call, in
order, across tenancies and regions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from ..core.clock import rfc3339
from ..core.exceptions import NotAuthorizedOrNotFound
from ..core.ids import new_etag, new_ocid
from ..core.regions import find_region
from ..core.state import BaseBackend, World

HIDDEN_HEADERS = frozenset({"authorization"})
INVOKE_HOST_PREFIX = "fn"


@dataclass
class Function:
    id: str
    display_name: str
    compartment_id: str
    application_id: str
    invoke_host: str  # the host label of its own invokeEndpoint, e.g. fn-3f9a...
    invoke_endpoint: str
    time_created: float
    etag: str = field(default_factory=new_etag)
    socket_path: str | None = None  # the fdk process a sync invoke runs on (agent.py); None: recorded only

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "displayName": self.display_name,
            "lifecycleState": "ACTIVE",
            "applicationId": self.application_id,
            "compartmentId": self.compartment_id,
            "image": "iad.ocir.io/emulator/oci-block-backup:latest",
            "memoryInMBs": 256,
            "timeoutInSeconds": 300,
            "config": {},
            "invokeEndpoint": self.invoke_endpoint,
            "freeformTags": {},
            "definedTags": {},
            "timeCreated": rfc3339(self.time_created),
            "timeUpdated": rfc3339(self.time_created),
        }


class FunctionsBackend(BaseBackend):
    def __init__(self, world: World, tenancy_id: str, region: str) -> None:
        super().__init__(world, tenancy_id, region)
        self.functions: dict[str, Function] = {}
        self.count = 0

    def create_function(
        self,
        base_url: str,
        compartment_id: str,
        display_name: str,
        application_id: str | None = None,
        socket_path: str | None = None,
    ) -> Function:
        region = find_region(self.region)
        host = f"{INVOKE_HOST_PREFIX}-{secrets.token_hex(6)}"
        function = Function(
            id=new_ocid("fnfunc", region),
            display_name=display_name,
            compartment_id=compartment_id,
            application_id=application_id or new_ocid("fnapp", region),
            invoke_host=host,
            invoke_endpoint=f"{base_url.rstrip('/')}/{host}/{self.region}",
            time_created=self.world.clock.now(),
            socket_path=socket_path,
        )
        self.functions[function.id] = function
        return function

    def get_function(self, function_id: str) -> Function:
        function = self.functions.get(function_id)
        if function is None:
            raise NotAuthorizedOrNotFound()
        return function

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
