"""What every sweep shares: its scope, a bounded worker pool, the hand-over of what did not fit.

A schedule run (create-backup's sweep, copy-backup's reconcile, retag-group-backup's sweep) works
through many resources within one deadline:

- ``scope``: the compartments to sweep, ``COMPARTMENT_IDS`` (refused when empty) and, with
  ``INCLUDE_SUBCOMPARTMENTS``, their subtrees;
- ``run_bounded``: at most ``MAX_CONCURRENCY`` in flight, nothing new started after the deadline;
- ``deferred_item`` and ``hand_over``: what was not started is reported ``deferred`` and handed to
  detached invocations of the same function, same schedule and slot: by its ids (``resourceIds``), or
  (``hand_over_from``) by where the sweep had reached (``cursor``), so the next run lists only the rest.
"""

import contextvars
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from shared import log
from shared.app import Invocation
from shared.errors import BadRequest
from shared.oci.errors import OciError
from shared.oci.identity import compartment_tree
from shared.oci.retry import Deadline
from shared.results import Item, ItemStatus
from shared.triggers import MAX_RESOURCE_IDS, ScheduleTrigger, SweepCursor

T = TypeVar("T")
HANDED_OVER = "not started before the deadline; handed over"


def scope(invocation: Invocation[Any, Any], compartments: list[str] | None = None) -> list[str]:
    """``compartments`` (default ``COMPARTMENT_IDS``), and their subtrees with ``INCLUDE_SUBCOMPARTMENTS``.

    A request's ``compartments`` must lie within ``COMPARTMENT_IDS`` or below them (400 naming
    ``compartmentId`` otherwise): the function's configuration is its scope, whatever IAM would allow
    (IAM stays the outer boundary)."""
    settings = invocation.settings
    if compartments is not None:
        within_scope(invocation, compartments)
    chosen = settings.compartment_ids if compartments is None else compartments
    if not chosen:
        raise BadRequest("no compartments in scope: set COMPARTMENT_IDS", "COMPARTMENT_IDS")
    if not settings.include_subcompartments:
        return list(chosen)
    return compartment_tree(invocation.client, invocation.region, list(chosen), invocation.call_deadline)


def within_scope(invocation: Invocation[Any, Any], compartments: list[str], field: str = "compartmentId") -> None:
    """Each of a request's ``compartments`` is one of ``COMPARTMENT_IDS`` or below one, else a 400 naming
    ``field``."""
    configured = invocation.settings.compartment_ids
    outside = [c for c in compartments if c not in configured]
    if outside and configured:  # below a configured compartment? (one walk of the configured subtrees)
        tree = set(compartment_tree(invocation.client, invocation.region, list(configured), invocation.call_deadline))
        outside = [c for c in outside if c not in tree]
    if outside:
        raise BadRequest(
            f"{outside[0]} is not in COMPARTMENT_IDS or below them; a request acts within the function's scope",
            field,
        )


def deferred_item(
    action: str, resource_id: str, name: str | None, reason: str = HANDED_OVER, region: str | None = None
) -> Item:
    return Item(
        status=ItemStatus.DEFERRED, action=action, resource_id=resource_id, name=name, region=region, reason=reason
    )


def run_bounded(
    work: Iterable[T],
    action: Callable[[T], None],
    *,
    concurrency: int,
    deadline: Deadline,
    on_deferred: Callable[[T], None],
    drain: bool = True,
) -> int:
    """Run ``action`` over ``work`` with at most ``concurrency`` in flight.

    Nothing new starts once the deadline has passed: every item not started is handed to
    ``on_deferred`` (reported, handed over), so the function is never killed mid-flight. With
    ``drain=False`` only the first item not started goes to ``on_deferred`` and ``work`` is not iterated
    further (a lazy listing, which would list the rest only to hand it over, says where it stopped).
    Each worker takes its next item itself, one at a time (``work`` is iterated under a lock): no thread
    hands the items out, so a worker that finishes one starts the next without waiting for another thread
    to wake. Each worker, and each item, runs in a copy of the caller's context, so what a worker logs
    carries the call's ``function``, ``call_id`` and ``correlation_id`` (``shared.log.bind``) like the
    caller's lines. What ``work`` or ``action`` raises (actions report their own failures: anything raised
    is a bug) stops the taking, and is raised here once the items started have ended. Returns how many
    items were started.
    """
    pool = _Pool(iter(work), deadline, on_deferred, drain)

    def worker() -> None:  # in a copy of the caller's context: ``work`` (a lazy listing) logs from here too
        while (taken := pool.take()) is not None:
            try:
                contextvars.copy_context().run(action, taken[0])
            except BaseException as exc:  # raised in the caller's thread below
                pool.stop(exc)
                return

    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(worker,), name=f"obb-{n}")
        for n in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if pool.errors:
        raise pool.errors[0]
    return pool.started


class _Pool(Generic[T]):
    """The items of ``run_bounded``, taken one at a time by its workers."""

    def __init__(self, items: Iterator[T], deadline: Deadline, on_deferred: Callable[[T], None], drain: bool) -> None:
        self.items, self.deadline, self.on_deferred, self.drain = items, deadline, on_deferred, drain
        self.lock = threading.Lock()
        self.started = 0
        self.stopped = False
        self.errors: list[BaseException] = []

    def take(self) -> tuple[T] | None:
        """The next item to start (in a tuple: an item may be None), or None when there is none to start."""
        with self.lock:
            if self.stopped:
                return None
            try:
                item = next(self.items)
                if self.deadline.expired():
                    self.stopped = True
                    self.on_deferred(item)
                    for rest in self.items if self.drain else ():
                        self.on_deferred(rest)
                    return None
            except StopIteration:
                self.stopped = True
                return None
            except BaseException as exc:  # a listing that failed: raised in the caller's thread
                self.stopped = True
                self.errors.append(exc)
                return None
            self.started += 1
            return (item,)

    def stop(self, error: BaseException) -> None:
        with self.lock:
            self.stopped = True
            self.errors.append(error)


def hand_over_from(
    invocation: Invocation[Any, Any],
    cursor: SweepCursor,
    left: int,
    what: str,
    *,
    posture: dict[str, Any] | None = None,
) -> None:
    """Give the rest of a sweep to one detached invocation that goes on from ``cursor``.

    The body carries where to go on, not the ids of what is left: the next run lists only the rest.
    ``left``: how many this run saw and did not start (said in the note; the next run may find more).
    ``posture``: the posture counted so far (a posture document), which the next run goes on counting."""
    body: dict[str, Any] = {"cursor": cursor.model_dump(by_alias=True, exclude_none=True)}
    if posture is not None:
        body["posture"] = posture
    _hand_over(invocation, [body], [left], what)


def hand_over(invocation: Invocation[Any, Any], deferred: list[str], what: str) -> None:
    """Give what a schedule run could not start to detached invocations of this function.

    A hand-over carries the same schedule and slot, so its retry tokens and run tags are the
    ones this run would have used: nothing is done twice. It is split into invocations of at
    most ``MAX_RESOURCE_IDS`` ids (what a schedule body accepts), each resource in exactly one.
    Without a way to invoke (dry run, no function id, not a schedule run) the next schedule
    takes the rest, noted; a hand-over that fails is the run's error (the digest says FAILED).
    """
    chunks = [deferred[start : start + MAX_RESOURCE_IDS] for start in range(0, len(deferred), MAX_RESOURCE_IDS)]
    _hand_over(invocation, [{"resourceIds": chunk} for chunk in chunks], [len(chunk) for chunk in chunks], what)


def _hand_over(invocation: Invocation[Any, Any], bodies: list[dict[str, Any]], sizes: list[int], what: str) -> None:
    """One detached invocation per body (the schedule and slot added), ``sizes``: how many each hands over."""
    report = invocation.report
    trigger = invocation.trigger
    total = sum(sizes)
    if invocation.dry_run or invocation.invoke_self is None or not isinstance(trigger, ScheduleTrigger):
        report.note(f"{total} {what} left for the next run (not started before the deadline)")
        return
    schedule = trigger.schedule
    request_ids: list[str] = []
    handed = 0
    for body, size in zip(bodies, sizes, strict=True):
        payload = {"trigger": "schedule", "schedule": schedule.schedule, "slot": schedule.slot, **body}
        try:
            request_ids.append(invocation.invoke_self(payload) or "-")
        except OciError as exc:
            left = total - handed
            log.event("hand-over failed", logging.ERROR, handed=handed, not_handed=left, error=str(exc))
            report.fail(f"could not hand over {left} of {total} {what} ({exc}); the next schedule takes them")
            break
        handed += size
    if request_ids:
        report.note(
            f"handed {handed} {what} to {len(request_ids)} detached invocation(s) of this function"
            f" (opc-request-id {', '.join(request_ids)})"
        )
