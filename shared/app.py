"""How a handler declares itself, and what it gets when it runs.

A handler module in ``functions/`` defines ``SPEC = HandlerSpec(...)``: its name (the ``HANDLER``
config value), its settings model, its HTTP/direct request model, the event types it takes (each
mapped to the kind of resource it acts on), and one method per trigger it takes: ``on_event``,
``on_schedule``, ``on_request``. Each adds items to ``invocation.report``. A trigger a handler leaves
out is answered 400 naming it. Everything else (parsing, auth, deadline, notifications, the response)
is the runtime's.
"""

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Generic, NamedTuple, TypeVar

from pydantic import BaseModel

from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.client import OciClient
from shared.oci.retry import Deadline
from shared.results import Report
from shared.settings import CommonSettings
from shared.triggers import EventTrigger, OciEvent, RequestTrigger, ScheduleRequest, ScheduleTrigger, TriggerKind

S = TypeVar("S", bound=CommonSettings)
R = TypeVar("R", bound=BaseModel)


class Invocation(NamedTuple, Generic[S, R]):
    """Everything one run of a handler needs; built by the runtime."""

    function: str
    trigger: "EventTrigger | ScheduleTrigger | RequestTrigger[R]"
    settings: S
    client: OciClient
    region: str
    deadline: Deadline  # stop STARTING new work after this (Fn-Deadline minus the safety margin)
    call_deadline: Deadline  # calls in flight may run until this (Fn-Deadline minus a second)
    report: Report
    idempotency_key: str
    dry_run: bool
    call_id: str = ""
    invoke_self: Callable[[dict[str, Any]], str | None] | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def kind(self) -> TriggerKind:
        return self.trigger.kind

    @property
    def storage(self) -> BlockStorage:
        return BlockStorage(self.client, self.region, self.call_deadline)

    def storage_in(self, region: str) -> BlockStorage:
        return BlockStorage(self.client, region, self.call_deadline)


class HandlerSpec(NamedTuple, Generic[S, R]):
    name: str
    settings: type[S]
    request: type[R]
    event_kinds: Mapping[str, BackupKind]  # the event types taken, each with the kind of resource it acts on
    on_event: "Callable[[Invocation[S, R], OciEvent, BackupKind], None] | None" = None
    on_schedule: "Callable[[Invocation[S, R], ScheduleRequest], None] | None" = None
    on_request: "Callable[[Invocation[S, R], R], None] | None" = None
    route: str = ""  # the API Gateway route path segment, e.g. "create-backup"


HARD_MARGIN_SECONDS = 1.0


def monotonic_deadline(wall_deadline: datetime | None, margin: float) -> Deadline:
    """Turn ``Fn-Deadline`` (wall clock) minus a safety margin into a monotonic Deadline."""
    if wall_deadline is None:
        return Deadline(None)
    remaining = (wall_deadline - datetime.now(UTC)).total_seconds() - margin
    return Deadline(time.monotonic() + remaining)
