"""How a handler declares itself, and what it gets when it runs.

A handler module in ``functions/`` defines ``SPEC = HandlerSpec(...)``: its name (the ``HANDLER``
config value), its settings model, its HTTP/direct request model, the event types it accepts and
its business function ``run(invocation) -> None``, which adds items to ``invocation.report``.
Everything else (trigger parsing, auth, deadline, notifications, the response) is the runtime's.
"""

import contextvars
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from pydantic import BaseModel

from shared import log
from shared.oci.blockstorage import BlockStorage
from shared.oci.client import OciClient
from shared.oci.errors import OciError
from shared.oci.retry import Deadline
from shared.results import Report
from shared.settings import CommonSettings
from shared.triggers import MAX_RESOURCE_IDS, OciEvent, ScheduleRequest, TriggerKind

if TYPE_CHECKING:
    from concurrent.futures import Future

S = TypeVar("S", bound=CommonSettings)
R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")


class HandlerSpec(NamedTuple, Generic[S, R]):
    name: str
    settings: type[S]
    request: type[R]
    event_types: frozenset[str]
    run: "Callable[[Invocation[S, R]], None]"  # Invocation is defined below
    route: str = ""  # the API Gateway route path segment, e.g. "create-backup"


class Invocation(NamedTuple, Generic[S, R]):
    """Everything one run of a handler needs; built by the runtime."""

    function: str
    kind: TriggerKind
    settings: S
    client: OciClient
    region: str
    deadline: Deadline  # stop STARTING new work after this (Fn-Deadline minus the safety margin)
    call_deadline: Deadline  # calls in flight may run until this (Fn-Deadline minus a second)
    report: Report
    idempotency_key: str
    dry_run: bool
    event: OciEvent | None = None
    schedule: ScheduleRequest | None = None
    request: R | None = None
    call_id: str = ""
    invoke_self: Callable[[dict[str, Any]], str | None] | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    read_only: bool = False  # a question ({"posture": true}): answered, nothing published, no metrics

    @property
    def storage(self) -> BlockStorage:
        return BlockStorage(self.client, self.region, self.call_deadline)

    def storage_in(self, region: str) -> BlockStorage:
        return BlockStorage(self.client, region, self.call_deadline)

    def hand_over(self, deferred: list[str], what: str) -> None:
        """Give what a schedule run could not start to detached invocations of this function.

        A hand-over carries the same schedule and slot, so its retry tokens and run tags are the
        ones this run would have used: nothing is done twice. It is split into invocations of at
        most ``MAX_RESOURCE_IDS`` ids (what a schedule body accepts), each resource in exactly one.
        Without a way to invoke (dry run, no function id, not a schedule run) the next schedule
        takes the rest, noted; a hand-over that fails is the run's error (the digest says FAILED).
        """
        schedule = self.schedule
        if self.dry_run or self.invoke_self is None or schedule is None:
            self.report.note(f"{len(deferred)} {what} left for the next run (not started before the deadline)")
            return
        request_ids: list[str] = []
        handed = 0
        for start in range(0, len(deferred), MAX_RESOURCE_IDS):
            chunk = deferred[start : start + MAX_RESOURCE_IDS]
            payload = {
                "trigger": "schedule",
                "schedule": schedule.schedule,
                "slot": schedule.slot,
                "resourceIds": chunk,
            }
            try:
                request_ids.append(self.invoke_self(payload) or "-")
            except OciError as exc:
                left = len(deferred) - handed
                log.event("hand-over failed", logging.ERROR, handed=handed, not_handed=left, error=str(exc))
                self.report.fail(
                    f"could not hand over {left} of {len(deferred)} {what} ({exc}); the next schedule takes them"
                )
                break
            handed += len(chunk)
        if handed:
            self.report.note(
                f"handed {handed} {what} to {len(request_ids)} detached invocation(s) of this function"
                f" (opc-request-id {', '.join(request_ids)})"
            )


def run_bounded(
    work: Iterable[T],
    action: Callable[[T], None],
    *,
    concurrency: int,
    deadline: Deadline,
    on_deferred: Callable[[T], None],
) -> int:
    """Run ``action`` over ``work`` with at most ``concurrency`` in flight.

    Nothing new starts once the deadline has passed: every item not started is handed to
    ``on_deferred`` (reported, handed over), so the function is never killed mid-flight.
    Each task runs in a copy of the caller's context, so what a worker logs carries the call's
    ``function``, ``call_id`` and ``correlation_id`` (``shared.log.bind``) like the caller's lines.
    Returns how many items were started.
    """
    from concurrent.futures import ThreadPoolExecutor  # sweeps only: an event runs no pool

    started = 0
    items: Iterator[T] = iter(work)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="obb") as pool:
        running: set[Future[None]] = set()
        for item in items:
            while len(running) >= concurrency:
                running = _wait_some(running)
            if deadline.expired():
                on_deferred(item)
                for rest in items:
                    on_deferred(rest)
                break
            running.add(pool.submit(contextvars.copy_context().run, action, item))
            started += 1
        for future in running:
            future.result()
    return started


def _wait_some(running: "set[Future[None]]") -> "set[Future[None]]":
    from concurrent.futures import FIRST_COMPLETED, wait

    done, pending = wait(running, return_when=FIRST_COMPLETED)
    for future in done:
        future.result()  # actions report their own failures; anything raised here is a bug
    return pending


HARD_MARGIN_SECONDS = 1.0


def monotonic_deadline(wall_deadline: datetime | None, margin: float) -> Deadline:
    """Turn ``Fn-Deadline`` (wall clock) minus a safety margin into a monotonic Deadline."""
    if wall_deadline is None:
        return Deadline(None)
    remaining = (wall_deadline - datetime.now(UTC)).total_seconds() - margin
    return Deadline(time.monotonic() + remaining)
