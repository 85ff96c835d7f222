"""The pipeline every invocation goes through, whatever the function: prepare, authenticate, run, finish.

``process(environ, headers, body)`` is what the fdk adapter (``shared/fdk.py``) calls, and what tests
and the demo drive through the real fdk process. Per invocation:

1. **prepare**: config (validated once per container; keys the function does not know are logged and
   named in the first result's notes), the handler module (imported on first use), the client, the
   deadline (``Fn-Deadline`` minus ``DEADLINE_MARGIN_SECONDS``);
2. **authenticate** an API Gateway request (method, size, media type, the gateway's token and subject),
   then parse the body once into its trigger (``shared/triggers.py``); bad input -> 4xx JSON naming
   the field, nothing written; a trigger the handler does not take -> 400 naming it;
3. **run** the handler's method for that trigger (``on_event`` / ``on_schedule`` / ``on_request``),
   which fills a Report;
4. **finish**: one result document, returned as JSON and published to ``NOTIFICATION_TOPIC_ID`` as a
   digest, after the run's metrics went to Monitoring (``shared/metrics.py``); a read-only request
   (e.g. ``{"posture": true}``) does neither.
"""

import importlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from shared import log
from shared.app import HARD_MARGIN_SECONDS, HandlerSpec, Invocation, monotonic_deadline
from shared.errors import BadRequest, HttpError
from shared.notify import MEMORY, failure_signature, wants_digest
from shared.oci.client import OciClient
from shared.oci.credentials import CredentialsError
from shared.oci.errors import DeadlineExceeded, MessageTooLarge, NotAuthorizedOrNotFound, OciError
from shared.oci.notifications import get_topic, publish_message
from shared.oci.providers import resolve_credentials
from shared.oci.retry import Deadline
from shared.results import Item, ItemStatus, Report, RunResult, answer_json, digest
from shared.rules.idempotency import idempotency_key
from shared.rules.times import parse_time
from shared.settings import HANDLER_NAMES, CommonSettings, ConfigError
from shared.triggers import (
    EventTrigger,
    RequestTrigger,
    ScheduleTrigger,
    parse_gateway_request,
    parse_trigger,
)

Trigger = EventTrigger | ScheduleTrigger | RequestTrigger[Any]
Method = Callable[[Invocation[Any, Any]], None]


class Call(NamedTuple):
    """What arrived: the platform's headers, the gateway client's headers, the body; when, and its id."""

    headers: dict[str, str]
    client_headers: Mapping[str, str]
    body: bytes
    call_id: str
    started: float  # monotonic


class Answer(NamedTuple):
    status: int
    body: str
    headers: dict[str, str]


JSON_HEADERS = {"content-type": "application/json"}
_lock = threading.Lock()
_cache: dict[tuple[str, ...], Any] = {}
_first_notes: list[str] = []  # said once, in the first result of this container (under _notes_lock)
_notes_lock = threading.Lock()


def load_spec(environ: Mapping[str, str]) -> HandlerSpec[Any, Any]:
    name = environ.get("HANDLER", "")
    if name not in HANDLER_NAMES:
        shown = repr(name) if name else "missing"
        raise ConfigError("HANDLER", f"{shown}; set it to one of {', '.join(HANDLER_NAMES)}")
    module = importlib.import_module(f"functions.{name}")
    spec: HandlerSpec[Any, Any] = module.SPEC
    return spec


def _cached(key: tuple[str, ...], build: Any) -> Any:
    with _lock:
        if key not in _cache:
            _cache[key] = build()
        return _cache[key]


def error_answer(
    status: int,
    message: str,
    field: str | None = None,
    code: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Answer:
    doc: dict[str, Any] = {"status": status, "code": code or _CODES.get(status, "Error"), "message": message}
    if field:
        doc["field"] = field
    return Answer(status, json.dumps({**(extra or {}), "status": status, "error": doc}), dict(JSON_HEADERS))


_CODES = {404: "NotFound", 500: "InternalError"}


def process(
    environ: Mapping[str, str], headers: Mapping[str, str], body: bytes, client_headers: Mapping[str, str] | None = None
) -> Answer:
    """Handle one invocation; never raises except for a broken deployment (bad config).

    ``headers`` are the platform's request headers, ``client_headers`` the gateway client's headers
    (the fdk's ``ctx.HTTPHeaders()``, ``Fn-Http-H-`` prefix removed); names in lower case.
    """
    headers = {name.lower(): value for name, value in headers.items()}
    log.configure()
    log.clear()
    call_id = headers.get("fn-call-id") or uuid.uuid4().hex
    log.bind(function=environ.get("HANDLER"), call_id=call_id, correlation_id=call_id)
    started = time.monotonic()
    via_gateway = headers.get("fn-intent", "").lower() == "httprequest"
    try:
        spec, settings = _configure(environ)
    except ConfigError as exc:
        log.event("invalid function configuration", logging.ERROR, key=exc.key, problem=exc.problem)
        if via_gateway:
            return error_answer(500, str(exc), exc.key, "InvalidConfiguration")
        raise
    logging.getLogger(log.LOGGER_NAME).setLevel(settings.log_level)
    try:
        call = Call(headers, client_headers or {}, body, call_id, started)
        invocation, method = _prepare(spec, settings, environ, call)
    except HttpError as exc:
        trigger = "http" if via_gateway else "-"
        log.event("rejected input", logging.WARNING, trigger=trigger, field=exc.field, reason=exc.message)
        return error_answer(exc.status, exc.message, exc.field, exc.code)
    except CredentialsError as exc:
        log.event("no usable credentials", logging.ERROR, reason=str(exc))
        return error_answer(500, f"no usable OCI credentials: {exc}", code="InvalidConfiguration")
    except Exception:  # a bug in input handling: details in the logs, never in the answer
        logging.getLogger(log.LOGGER_NAME).exception("could not prepare the invocation")
        return error_answer(500, "internal error while reading the request; see the function logs")
    return _run(method, invocation)


def _configure(environ: Mapping[str, str]) -> tuple[HandlerSpec[Any, Any], CommonSettings]:
    """The handler and its settings, once per container and config."""
    spec: HandlerSpec[Any, Any] = _cached(("spec", environ.get("HANDLER", "")), lambda: load_spec(environ))

    def build() -> CommonSettings:
        settings: CommonSettings = spec.settings.from_environ(environ)
        unknown = spec.settings.unknown_keys(environ)
        if unknown:
            log.event("unknown config keys", logging.WARNING, keys=unknown)
            with _notes_lock:  # build() runs under _lock
                _first_notes.append(
                    f"config keys this function does not know, ignored: {', '.join(unknown)} (misspelled?)"
                )
        return settings

    settings: CommonSettings = _cached(
        ("settings", spec.name, *sorted(f"{k}={v}" for k, v in environ.items() if k.isupper())), build
    )
    return spec, settings


def _prepare(
    spec: HandlerSpec[Any, Any], settings: CommonSettings, environ: Mapping[str, str], call: Call
) -> tuple[Invocation[Any, Any], Method]:
    now = datetime.now(UTC)
    client: OciClient = _cached(("client", *_credential_env(environ)), lambda: _build_client(environ, settings))
    trigger = _read_trigger(spec, settings, call, client.region, now)
    method = _method_for(spec, trigger)
    log.bind(correlation_id=trigger.correlation_id or call.call_id)
    wall_deadline = (
        parse_time(call.headers.get("fn-deadline"))
        or _detached_deadline(settings, call.headers)
        or _configured_deadline(settings, call.started)
    )
    deadline = monotonic_deadline(wall_deadline, settings.deadline_margin_seconds)
    call_deadline = monotonic_deadline(wall_deadline, HARD_MARGIN_SECONDS)
    function_id = environ.get("FN_FN_ID")
    dry_run = settings.dry_run or trigger.dry_run
    to_deadline = None if deadline.at is None else round(deadline.remaining(), 1)
    log.event("invocation", trigger=trigger.kind.value, seconds_to_deadline=to_deadline)
    invocation: Invocation[Any, Any] = Invocation(
        function=spec.name,
        trigger=trigger,
        settings=settings,
        client=client,
        region=client.region,
        deadline=deadline,
        call_deadline=call_deadline,
        report=Report(spec.name, trigger.kind.value, dry_run, now, call.call_id, client.region),
        idempotency_key=idempotency_key(spec.name, *trigger.key_parts),
        dry_run=dry_run,
        call_id=call.call_id,
        invoke_self=_self_invoker(client, settings, function_id, call_deadline) if function_id else None,
    )
    return invocation, method


def _read_trigger(
    spec: HandlerSpec[Any, Any], settings: CommonSettings, call: Call, region: str, now: datetime
) -> Trigger:
    """The body, parsed once; an API Gateway request is authenticated before its body is read."""
    headers, body, call_id = call.headers, call.body, call.call_id
    if headers.get("fn-intent", "").lower() != "httprequest":
        return parse_trigger(
            body, spec.request, region=region, now=now, slot_minutes=settings.schedule_slot_minutes, call_id=call_id
        )
    from shared.gateway import IDEMPOTENCY_HEADER, REQUEST_ID_HEADER, GatewayRequest, authenticate, check_shape

    gateway = GatewayRequest.from_fn_headers(headers, dict(call.client_headers))
    check_shape(gateway, body)
    subject = authenticate(gateway, settings.gateway_token_sha256, settings.http_allowed_subjects)
    log.bind(subject=subject)
    return parse_gateway_request(
        body,
        spec.request,
        region=region,
        call_id=call_id,
        idempotency_key=gateway.headers.get(IDEMPOTENCY_HEADER),
        request_id=gateway.headers.get(REQUEST_ID_HEADER),
        subject=subject,
    )


def _method_for(spec: HandlerSpec[Any, Any], trigger: Trigger) -> Method:
    """The handler's method for this trigger; a trigger it does not take is a 400 naming it."""
    if isinstance(trigger, EventTrigger):
        on_event, event = spec.on_event, trigger.event
        kind = spec.event_kinds.get(event.event_type)
        if on_event is None:
            raise BadRequest(f"this function takes no events ({spec.name})", "trigger")
        if kind is None:
            raise BadRequest(f"{event.event_type} is not an event this function handles", "eventType")
        return lambda invocation: on_event(invocation, event, kind)
    if isinstance(trigger, ScheduleTrigger):
        on_schedule, schedule = spec.on_schedule, trigger.schedule
        if on_schedule is None:
            raise BadRequest(f"this function takes no schedule ({spec.name})", "trigger")
        return lambda invocation: on_schedule(invocation, schedule)
    on_request, request = spec.on_request, trigger.request
    if on_request is None:
        raise BadRequest(f"this function takes no {trigger.kind.value} requests ({spec.name})", "trigger")
    return lambda invocation: on_request(invocation, request)


def _configured_deadline(settings: CommonSettings, started: float) -> datetime:
    """No usable ``Fn-Deadline``: the function's configured timeout, counted from when the call arrived."""
    spent = time.monotonic() - started
    return datetime.now(UTC) + timedelta(seconds=settings.function_timeout_seconds - spent)


def _credential_env(environ: Mapping[str, str]) -> list[str]:
    return sorted(f"{k}={v}" for k, v in environ.items() if k.startswith(("OCI_", "HOME")))


def _build_client(environ: Mapping[str, str], settings: CommonSettings) -> OciClient:
    return OciClient(
        resolve_credentials(environ),
        endpoint_template=settings.endpoint_template,
        pool_size=max(8, settings.max_concurrency * 2),
    )


def _detached_deadline(settings: CommonSettings, headers: Mapping[str, str]) -> datetime | None:
    """No usable ``Fn-Deadline`` on a detached invocation (platform header ``fn-invoke-type``): the
    function's detached timeout (``DETACHED_TIMEOUT_SECONDS``), longer than the synchronous one."""
    if headers.get("fn-invoke-type", "").lower() != "detached" or settings.detached_timeout_seconds is None:
        return None
    return datetime.now(UTC) + timedelta(seconds=settings.detached_timeout_seconds)


def _self_invoker(client: OciClient, settings: CommonSettings, function_id: str, deadline: Deadline) -> Any:
    def invoke(payload: dict[str, Any]) -> str | None:
        """Detached invocation of this very function (a sweep handing over its remainder), on the
        function's own invoke endpoint: ``SELF_INVOKE_ENDPOINT``, else GetFunction's
        ``invokeEndpoint`` (looked up once per container). Bounded by the invocation's deadline."""
        from shared.oci.functions import get_function, invoke_detached  # a hand-over only

        endpoint = settings.self_invoke_endpoint or _cached(
            ("invoke-endpoint", client.region, function_id),
            lambda: get_function(client, client.region, function_id, deadline).invoke_endpoint,
        )
        return invoke_detached(client, client.region, endpoint, function_id, payload, deadline)

    return invoke


def _topic_endpoint(invocation: Invocation[Any, Any], topic: str) -> str:
    """The topic's ``apiEndpoint``: ``NOTIFICATION_TOPIC_ENDPOINT``, else GetTopic (once per container)."""
    configured: str | None = invocation.settings.notification_topic_endpoint
    if configured:
        return configured
    client = invocation.client
    endpoint: str = _cached(
        ("topic-endpoint", invocation.region, topic),
        lambda: get_topic(client, invocation.region, topic, invocation.call_deadline).api_endpoint,
    )
    return endpoint


def _run(method: Method, invocation: Invocation[Any, Any]) -> Answer:
    try:
        method(invocation)
    except HttpError as exc:
        log.event("rejected request", logging.WARNING, field=exc.field, reason=exc.message)
        if exc.published:
            _publish_refusal(invocation, exc)
        return error_answer(exc.status, exc.message, exc.field, exc.code, exc.extra)
    except NotAuthorizedOrNotFound as exc:
        if isinstance(invocation.trigger, RequestTrigger) and not invocation.report.items():
            return error_answer(404, f"not found or not authorized: {exc.message}", code=exc.code)
        invocation.report.fail(str(exc))
    except DeadlineExceeded as exc:  # out of time before the work started: deferred, never an error
        log.event("run deferred", logging.WARNING, reason=str(exc))
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                action="run",
                resource_id=_target_of(invocation.trigger),
                reason=f"{exc}; call again (or the next run takes it)",
            )
        )
    except OciError as exc:
        log.event("run failed", logging.ERROR, error=str(exc))
        invocation.report.fail(str(exc))
    except Exception as exc:  # a bug: report it, answer 500, keep the details in the logs
        logging.getLogger(log.LOGGER_NAME).exception("handler crashed")
        invocation.report.fail(f"internal error ({type(exc).__name__}); see the function logs")
    return _finish(invocation)


def _finish(invocation: Invocation[Any, Any]) -> Answer:
    with _notes_lock:
        first_notes, _first_notes[:] = list(_first_notes), []
    for note in first_notes:
        invocation.report.note(note)
    result = invocation.report.finish(datetime.now(UTC))
    status = 200
    if result.error or result.all_failed:
        status = 500
    elif result.has_deferred:
        status = 202
    result.status = status
    if not invocation.trigger.read_only:
        _notify(invocation, result)  # first: a slow Monitoring endpoint never costs the digest
        if invocation.settings.metrics_namespace:
            from shared.metrics import metrics_deadline, publish_metrics  # Monitoring's models only when metrics are on

            deadline = metrics_deadline(invocation.call_deadline)
            publish_metrics(invocation.client, invocation.region, invocation.settings, result, deadline)
    log.event("run finished", counts=result.counts, status=status, dry_run=result.dry_run)
    return Answer(status, answer_json(result), dict(JSON_HEADERS))


def _publish_refusal(invocation: Invocation[Any, Any], exc: HttpError) -> None:
    """A refusal on record: the run's digest says what was refused and why (nothing was done)."""
    invocation.report.fail(f"refused ({exc.status} {exc.code}): {exc.message}")
    result = invocation.report.finish(datetime.now(UTC))
    result.status = exc.status
    _notify(invocation, result)


def _target_of(trigger: Trigger) -> str:
    """What a run was about: the event's resource, the request's target id, or the schedule."""
    if trigger.target_ids and not isinstance(trigger, ScheduleTrigger):
        return trigger.target_ids[0]
    return trigger.schedule.schedule if isinstance(trigger, ScheduleTrigger) else trigger.kind.value


def _notify(invocation: Invocation[Any, Any], result: RunResult) -> None:
    """Publish the digest, within the invocation's deadline, unless ``shared.notify`` holds it back (who
    publishes; one message per kind of failure per window); what does not fit is logged and noted."""
    settings: CommonSettings = invocation.settings
    topic = settings.notification_topic_id
    if not topic or not wants_digest(
        result.trigger, result.has_failures, settings.notify_on, settings.notify_on_events
    ):
        return
    extra: list[str] = []
    if result.has_failures:
        failed = [(i.action, i.reason or "") for i in result.items if i.status is ItemStatus.FAILED]
        signature = failure_signature(result.function, result.trigger, result.error, failed)
        admitted = MEMORY.admit(signature, datetime.now(UTC), settings.notify_failure_window_seconds)
        window = admitted.window.strftime("%Y-%m-%dT%H:%MZ")
        if not admitted.publish:
            log.event("digest held back: the same failure was published in this window", failure_key=signature)
            result.notes.append(f"digest held back: failure {signature} was published in the window of {window}")
            return
        extra.append(f"Failure key: {signature} (window {window}; the same failure is published once a window).")
        if admitted.held_back:
            since = admitted.held_since.isoformat(timespec="seconds") if admitted.held_since else "-"
            extra.append(
                f"Held back: {admitted.held_back} more runs failed the same way since {since} (this function "
                "container); each is in the function logs and the run_items / run_failed metrics."
            )
    title, body = digest(result, settings.deployment, extra)
    try:
        endpoint = _topic_endpoint(invocation, topic)
        published = publish_message(
            invocation.client,
            invocation.region,
            topic,
            title,
            body,
            api_endpoint=endpoint,
            deadline=invocation.call_deadline,
        )
        result.digest_message_id = published.message_id
        log.event("published digest", message_id=published.message_id)
    except (OciError, MessageTooLarge) as exc:
        log.event("could not publish the digest", logging.ERROR, error=str(exc))
        result.notes.append(f"digest not published: {exc}")
