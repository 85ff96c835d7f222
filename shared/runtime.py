"""The fdk entrypoint shared by the three functions: one image, ``HANDLER`` picks the handler.

``handler(ctx, data)`` adapts the fdk; ``process(environ, headers, body)`` does the work and is
what tests and the demo drive through the real fdk process. Per invocation:

1. config (validated once per process) and the handler module (imported on first use only);
2. the trigger kind, then the typed input: event / schedule / HTTP (method, size, media type,
   gateway authentication) / direct; bad input -> 4xx JSON naming the field, nothing written;
3. the deadline from ``Fn-Deadline`` minus ``DEADLINE_MARGIN_SECONDS``;
4. the handler's business function fills a Report;
5. one result document: returned as JSON and published to ``NOTIFICATION_TOPIC_ID`` as a digest,
   after the run's metrics went to Monitoring (``shared/metrics.py``); a read-only request (a
   request model whose ``read_only`` is true, e.g. ``{"posture": true}``) does neither.
"""

import importlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from shared import log
from shared.app import HARD_MARGIN_SECONDS, HandlerSpec, Invocation, monotonic_deadline
from shared.oci.client import OciClient
from shared.oci.credentials import CredentialsError
from shared.oci.errors import DeadlineExceeded, MessageTooLarge, NotAuthorizedOrNotFound, OciError
from shared.oci.notifications import get_topic, publish_message
from shared.oci.providers import resolve_credentials
from shared.oci.retry import Deadline
from shared.results import Item, ItemStatus, Report, RunResult, answer_json, digest
from shared.rules.idempotency import idempotency_key, schedule_slot
from shared.settings import HANDLER_NAMES, CommonSettings, ConfigError, NotifyOn
from shared.triggers import (
    InputError,
    TriggerKind,
    check_event_ids,
    check_request_ids,
    classify,
    parse_event,
    parse_request,
    parse_schedule,
)


class Answer(NamedTuple):
    status: int
    body: str
    headers: dict[str, str]


JSON_HEADERS = {"content-type": "application/json"}
_lock = threading.Lock()
_cache: dict[tuple[str, ...], Any] = {}


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


def error_answer(status: int, message: str, field: str | None = None, code: str | None = None) -> Answer:
    doc: dict[str, Any] = {"status": status, "code": code or _CODES.get(status, "Error"), "message": message}
    if field:
        doc["field"] = field
    return Answer(status, json.dumps({"status": status, "error": doc}), dict(JSON_HEADERS))


_CODES = {
    400: "InvalidParameter",
    401: "NotAuthenticated",
    403: "NotAuthorized",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    500: "InternalError",
}


def single_values(headers: Mapping[str, Any]) -> dict[str, str]:
    """Lower-case names, one string per header (the fdk gives a list for a repeated header)."""
    flat: dict[str, str] = {}
    for name, value in headers.items():
        if isinstance(value, list | tuple):
            value = value[-1] if value else ""
        flat[str(name).lower()] = str(value)
    return flat


def process(
    environ: Mapping[str, str], headers: Mapping[str, Any], body: bytes, http_headers: Mapping[str, Any] | None = None
) -> Answer:
    """Handle one invocation; never raises except for a broken deployment (bad config).

    ``headers`` are the fdk request headers, ``http_headers`` the gateway client's headers
    (the fdk's ``ctx.HTTPHeaders()``, ``Fn-Http-H-`` prefix removed).
    """
    headers = single_values(headers)
    client_headers = single_values(http_headers or {})
    log.configure()
    log.clear()
    call_id = headers.get("fn-call-id") or uuid.uuid4().hex
    log.bind(function=environ.get("HANDLER"), call_id=call_id, correlation_id=call_id)
    started = time.monotonic()
    kind = classify(body, headers)
    try:
        spec = _cached(("spec", environ.get("HANDLER", "")), lambda: load_spec(environ))
        settings: CommonSettings = _cached(
            ("settings", spec.name, *sorted(f"{k}={v}" for k, v in environ.items() if k.isupper())),
            lambda: spec.settings.from_environ(environ),
        )
    except ConfigError as exc:
        log.event("invalid function configuration", logging.ERROR, key=exc.key, problem=exc.problem)
        if kind is TriggerKind.HTTP:
            return error_answer(500, str(exc), exc.key, "InvalidConfiguration")
        raise
    logging.getLogger(log.LOGGER_NAME).setLevel(settings.log_level)
    try:
        invocation = _prepare(spec, settings, environ, headers, client_headers, body, kind, call_id, started)
    except InputError as exc:
        log.event("rejected input", logging.WARNING, trigger=kind.value, field=exc.field, reason=exc.message)
        return error_answer(exc.status, exc.message, exc.field)
    except CredentialsError as exc:
        log.event("no usable credentials", logging.ERROR, reason=str(exc))
        return error_answer(500, f"no usable OCI credentials: {exc}", code="InvalidConfiguration")
    except Exception:  # a bug in input handling: details in the logs, never in the answer
        logging.getLogger(log.LOGGER_NAME).exception("could not prepare the invocation")
        return error_answer(500, "internal error while reading the request; see the function logs")
    return _run(spec, invocation)


def _prepare(
    spec: HandlerSpec[Any, Any],
    settings: CommonSettings,
    environ: Mapping[str, str],
    headers: dict[str, str],
    client_headers: dict[str, str],
    body: bytes,
    kind: TriggerKind,
    call_id: str,
    started: float,
) -> Invocation[Any, Any]:
    function = spec.name
    event = schedule = request = None
    dry_run = settings.dry_run
    now = datetime.now(UTC)
    key_source: tuple[Any, ...]
    if kind is TriggerKind.HTTP:
        from shared.gateway import IDEMPOTENCY_HEADER, GatewayRequest, authenticate, check_shape  # HTTP only

        gateway = GatewayRequest.from_fn_headers(headers, client_headers)
        check_shape(gateway, body)
        subject = authenticate(gateway, settings.gateway_token_sha256, settings.http_allowed_subjects)
        request = parse_request(body or b"{}", spec.request)
        correlation = gateway.headers.get("opc-request-id") or call_id
        key_source = _manual_key(gateway.headers.get(IDEMPOTENCY_HEADER), call_id)
        log.bind(correlation_id=correlation, subject=subject)
    elif kind is TriggerKind.EVENT:
        event = parse_event(body)
        if event.event_type not in spec.event_types:
            raise InputError(f"{event.event_type} is not an event this function handles", "eventType")
        key_source = (event.event_id, event.data.resource_id)
        log.bind(correlation_id=event.event_id)
    elif kind is TriggerKind.SCHEDULE:
        schedule = parse_schedule(body)
        if not schedule.slot:
            schedule = schedule.model_copy(update={"slot": schedule_slot(now, settings.schedule_slot_minutes)})
        key_source = (schedule.schedule, schedule.slot)
        dry_run = dry_run or schedule.dry_run
    else:
        request = parse_request(body, spec.request)
        key_source = _manual_key(None, call_id)
    if request is not None:
        dry_run = dry_run or bool(getattr(request, "dry_run", False))
    client = _cached(("client", *_credential_env(environ)), lambda: _build_client(environ, settings))
    if event is not None:
        check_event_ids(event, client.region)
    if request is not None:
        check_request_ids(request, client.region)
    wall_deadline = (
        _parse_deadline(headers.get("fn-deadline"))
        or _detached_deadline(settings, headers)
        or _configured_deadline(settings, started)
    )
    deadline = monotonic_deadline(wall_deadline, settings.deadline_margin_seconds)
    call_deadline = monotonic_deadline(wall_deadline, HARD_MARGIN_SECONDS)
    function_id = environ.get("FN_FN_ID")
    to_deadline = None if deadline.at is None else round(deadline.remaining(), 1)
    log.event("invocation", trigger=kind.value, seconds_to_deadline=to_deadline)
    return Invocation(
        function=function,
        kind=kind,
        settings=settings,
        client=client,
        region=client.region,
        deadline=deadline,
        call_deadline=call_deadline,
        report=Report(function, kind.value, dry_run, now),
        idempotency_key=idempotency_key(function, *key_source),
        dry_run=dry_run,
        event=event,
        schedule=schedule,
        request=request,
        call_id=call_id,
        invoke_self=_self_invoker(client, settings, function_id, call_deadline) if function_id else None,
        read_only=bool(getattr(request, "read_only", False)),
    )


def _manual_key(idempotency_key: str | None, call_id: str) -> tuple[str, ...]:
    """A manual request is a new request unless it says otherwise: the caller's ``Idempotency-Key``
    names it, else the platform's call id does (a retry of the same call is still recognised)."""
    return ("idempotency-key", idempotency_key) if idempotency_key else ("call", call_id)


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


def _parse_deadline(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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


def _run(spec: HandlerSpec[Any, Any], invocation: Invocation[Any, Any]) -> Answer:
    status = 200
    try:
        spec.run(invocation)
    except InputError as exc:
        log.event("rejected request", logging.WARNING, field=exc.field, reason=exc.message)
        return error_answer(exc.status, exc.message, exc.field)
    except NotAuthorizedOrNotFound as exc:
        if invocation.kind in (TriggerKind.HTTP, TriggerKind.DIRECT) and not invocation.report.items():
            return error_answer(404, f"not found or not authorized: {exc.message}", code=exc.code)
        invocation.report.fail(str(exc))
    except DeadlineExceeded as exc:  # out of time before the work started: deferred, never an error
        log.event("run deferred", logging.WARNING, reason=str(exc))
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                action="run",
                resource_id=_target_of(invocation),
                reason=f"{exc}; call again (or the next run takes it)",
            )
        )
    except OciError as exc:
        log.event("run failed", logging.ERROR, error=str(exc))
        invocation.report.fail(str(exc))
    except Exception as exc:  # a bug: report it, answer 500, keep the details in the logs
        logging.getLogger(log.LOGGER_NAME).exception("handler crashed")
        invocation.report.fail(f"internal error ({type(exc).__name__}); see the function logs")
    result = invocation.report.finish(datetime.now(UTC))
    if result.error or result.all_failed:
        status = 500
    elif result.has_deferred:
        status = 202
    result.status = status
    if not invocation.read_only:
        if invocation.settings.metrics_namespace:
            from shared.metrics import publish_metrics  # Monitoring's models only when metrics are on

            publish_metrics(invocation.client, invocation.region, invocation.settings, result, invocation.call_deadline)
        _notify(invocation, result)
    log.event("run finished", counts=result.counts, status=status, dry_run=result.dry_run)
    return Answer(status, answer_json(result), dict(JSON_HEADERS))


def _target_of(invocation: Invocation[Any, Any]) -> str:
    """What a run was about: the event's resource, the request's target id, or the schedule."""
    if invocation.event is not None:
        return str(invocation.event.data.resource_id)
    request = invocation.request
    if request is not None:
        ids = [v for k, v in request.model_dump().items() if k.endswith("_id") and isinstance(v, str)]
        if ids:
            return ids[0]
    return invocation.schedule.schedule if invocation.schedule is not None else invocation.kind.value


def _notify(invocation: Invocation[Any, Any], result: RunResult) -> None:
    """Publish the digest, within the invocation's deadline; what does not fit is logged and noted."""
    settings: CommonSettings = invocation.settings
    topic = settings.notification_topic_id
    if not topic or settings.notify_on is NotifyOn.NEVER:
        return
    if settings.notify_on is NotifyOn.FAILURES and not result.has_failures:
        return
    title, body = digest(result)
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


def platform_headers(ctx: Any) -> dict[str, str]:
    """The Fn platform's own request headers, never a client's.

    In gateway mode the fdk's ``ctx.Headers()`` merges the client's ``Fn-Http-H-*`` headers with the
    platform's (fdk ``headers.decap_headers``): a client header ``Fn-Intent``, ``Fn-Deadline`` or
    ``Fn-Call-Id`` would shadow the platform's, turning an HTTP request into a "direct" call that
    skips gateway authentication. So a merged header is kept only where no client header has its
    name, and the values that matter come from the accessors that read the raw request: ``CallID()``,
    ``Deadline()``, ``Method()``, ``RequestURL()``. The fdk decides gateway mode on the raw
    ``Fn-Intent`` and only then fills ``HTTPHeaders()``, so client headers imply an HTTP request.
    """
    client = single_values(ctx.HTTPHeaders() or {})
    merged = single_values(ctx.Headers() or {})
    gateway = bool(client) or merged.get("fn-intent", "").lower() == "httprequest"
    platform = {name: value for name, value in merged.items() if name not in client}
    platform.pop("fn-intent", None)
    raw = {
        "fn-call-id": ctx.CallID(),
        "fn-http-method": ctx.Method(),
        "fn-http-request-url": ctx.RequestURL(),
        "fn-intent": "httprequest" if gateway else None,
        # Deadline() reads the raw header; when the platform sent none it makes one up (now + 30 s),
        # which we do not want: without a platform deadline the configured timeout applies.
        "fn-deadline": ctx.Deadline() if "fn-deadline" in platform or "fn-deadline" in client else None,
    }
    platform.update({name: str(value) for name, value in raw.items() if value})
    for name in [name for name, value in raw.items() if not value]:
        platform.pop(name, None)
    return platform


def handler(ctx: Any, data: Any = None) -> Any:
    """The fdk entrypoint (``fdk func.py handler``)."""
    from fdk import response

    body = data.getvalue() if data is not None else b""
    headers = platform_headers(ctx)
    answer = process(os.environ, headers, body, dict(ctx.HTTPHeaders() or {}))
    reply = response.Response(ctx, response_data=answer.body, headers=answer.headers, status_code=answer.status)
    if headers.get("fn-intent") == "httprequest" and "fn-http-status" not in ctx.GetResponseHeaders():
        # The fdk judged gateway mode on its merged headers, which a client's Fn-Intent shadowed: wrap the
        # status and headers for the gateway ourselves, so the client still sees the real status.
        from fdk.headers import encap_headers

        ctx.SetResponseHeaders(encap_headers(answer.headers, status=answer.status), answer.status)
    return reply
