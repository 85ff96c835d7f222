"""The one HTTP path to OCI: sign, send, retry, page, and turn errors into typed exceptions.

Every attempt is prepared and signed afresh (new Date), carries an ``opc-request-id`` and, for
create/copy POSTs, the same ``opc-retry-token`` as the attempts before it. Each attempt first takes
its turn from the operation's adaptive rate limiter (``shared/oci/ratelimit.py``), shared by the threads
that use this client.
"""

import json
import logging
import os
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel

from shared.oci import log
from shared.oci.endpoints import Service, service_endpoint
from shared.oci.errors import OciTransportError, UnsafePath, service_error
from shared.oci.ocid import is_plain_segment
from shared.oci.ratelimit import RateLimiters
from shared.oci.retry import NO_DEADLINE, Attempt, Deadline, RetryPolicy

if TYPE_CHECKING:
    from shared.oci.credentials import Credentials

USER_AGENT = "oci-block-backup-functions/0.1 (python; requests)"
DEFAULT_TIMEOUT = (10.0, 60.0)
MIN_ATTEMPT_SECONDS = 0.5


def new_request_id() -> str:
    return uuid.uuid4().hex.upper()


def new_retry_token() -> str:
    return uuid.uuid4().hex


def encode_body(body: BaseModel | Mapping[str, Any] | None) -> bytes | None:
    """JSON bytes exactly as signed and sent; models go out camelCase without unset fields."""
    if body is None:
        return None
    if isinstance(body, BaseModel):
        return body.model_dump_json(by_alias=True, exclude_none=True).encode()
    return json.dumps(body, separators=(",", ":")).encode()


class OciRequest(NamedTuple):
    """One logical operation, built once by the caller and passed through to every attempt."""

    operation: str  # the OCI operation name: rate limits, logs and errors are per operation
    method: str
    service: Service | None  # None: ``path`` is a URL in full (e.g. a function's own invoke endpoint)
    region: str
    path: str  # under the service's endpoint in ``region``
    params: Mapping[str, str | int | bool | None] | None = None
    body: BaseModel | Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    retry_token: str | None = None  # create/copy POSTs: the same on every attempt (OCI deduplicates)
    if_match: str | None = None
    deadline: Deadline = NO_DEADLINE
    retry: RetryPolicy | None = None  # None: the client's policy


class OciResponse(NamedTuple):
    status: int
    headers: Mapping[str, str]
    data: Any
    opc_request_id: str | None
    attempts: int = 1

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def next_page(self) -> str | None:
        return self.headers.get("opc-next-page")


class OciClient:
    """Signed, retried calls to any OCI service in any region."""

    def __init__(
        self,
        credentials: "Credentials",
        endpoint_template: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        pool_size: int = 32,
        limiters: RateLimiters | None = None,
    ) -> None:
        self.credentials = credentials
        self.endpoint_template = endpoint_template
        self.retry = retry if retry is not None else RetryPolicy()
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()
        self.pool_size = pool_size
        self.limiters = limiters if limiters is not None else RateLimiters()
        adapter = requests.adapters.HTTPAdapter(pool_connections=8, pool_maxsize=self.pool_size, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        # requests re-reads proxy and CA settings from the environment on every send (a fifth of the
        # client's CPU per request); read them once here instead.
        self.session.trust_env = False
        self.session.proxies.update(environment_proxies())
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if ca_bundle:
            self.session.verify = ca_bundle

    @property
    def region(self) -> str:
        region: str | None = self.credentials.region
        if not region:
            raise ValueError("no region: set OCI_RESOURCE_PRINCIPAL_REGION, the config profile's region or OCI_REGION")
        return region

    def url(self, service: Service, region: str, path: str) -> str:
        return service_endpoint(service, region, self.endpoint_template) + path

    def call(self, request: OciRequest) -> OciResponse:
        """One logical operation; retried per the policy, never past ``request.deadline``.

        A POST is retried on errors other than 429 only when it carries an ``opc-retry-token``
        (OCI then deduplicates it); give ``retry_token`` for create/copy calls.
        """
        operation, method, region, deadline = request.operation, request.method, request.region, request.deadline
        url = request.path if request.service is None else self.url(request.service, region, request.path)
        check_url(operation, url)
        policy = request.retry or self.retry
        query = {k: _query_value(v) for k, v in (request.params or {}).items() if v is not None}
        payload = encode_body(request.body)
        extra = dict(request.headers or {})
        if request.retry_token:
            extra["opc-retry-token"] = request.retry_token
        if request.if_match:
            extra["if-match"] = request.if_match
        replay_safe = method != "POST" or request.retry_token is not None
        host = urlsplit(url).netloc
        limiter = self.limiters.get(region, operation)
        refreshed = False
        number = throttled = 0
        while True:
            number += 1
            deadline.check(f"call {operation}")
            sent_at = limiter.acquire(deadline)
            request_id = new_request_id()
            started = time.monotonic()
            try:
                response = self._send(method, url, query, payload, extra, request_id, deadline)
            except (requests.ConnectionError, requests.Timeout) as exc:
                attempt = Attempt(number, connection_error=True, throttled_before=throttled)
                log.event(
                    "oci call failed to connect",
                    logging.WARNING,
                    operation=operation,
                    region=region,
                    host=host,
                    attempt=number,
                    opc_request_id=request_id,
                    error=type(exc).__name__,
                )
                if replay_safe and policy.should_retry(attempt) and policy.wait(attempt, deadline):
                    continue
                raise OciTransportError(operation, type(exc).__name__, number, host) from None
            server_id = response.headers.get("opc-request-id", request_id)
            log.event(
                "oci call",
                operation=operation,
                region=region,
                status=response.status_code,
                attempt=number,
                opc_request_id=server_id,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
            )
            if response.status_code < 300 or response.status_code == 429:
                limiter.record(sent_at, throttled=response.status_code == 429)
            if response.status_code < 300:
                policy.quota.release()
                return OciResponse(
                    response.status_code,
                    response.headers,
                    _json_or_none(response),
                    server_id,
                    number,
                )
            code, message = _error_fields(response)
            if response.status_code == 401 and not refreshed and self.credentials.refresh_after_unauthorized():
                refreshed = True
                number -= 1  # the refresh retry is free, once
                continue
            attempt = Attempt(number, status=response.status_code, code=code, throttled_before=throttled)
            retry_allowed = replay_safe or attempt.is_throttled
            if retry_allowed and policy.should_retry(attempt) and policy.wait(attempt, deadline):
                throttled += attempt.is_throttled
                continue
            raise service_error(response.status_code, code, message, server_id, operation, number)

    def _send(
        self,
        method: str,
        url: str,
        query: Mapping[str, str],
        payload: bytes | None,
        extra: Mapping[str, str],
        request_id: str,
        deadline: Deadline,
    ) -> requests.Response:
        headers = {
            "accept": "application/json",
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "opc-request-id": request_id,
            **extra,
        }
        prepared = requests.Request(method, url, params=query or None, data=payload, headers=headers).prepare()
        self.credentials.signer()(prepared)
        connect, read = self.timeout
        remaining = deadline.remaining()
        if remaining < MIN_ATTEMPT_SECONDS:
            deadline.check("send a request")
        read = min(read, max(remaining, MIN_ATTEMPT_SECONDS))
        return self.session.send(prepared, timeout=(min(connect, read), read), allow_redirects=False)

    def paginate(self, request: OciRequest) -> Iterator[Any]:
        """Yield every item of a List operation, following ``opc-next-page``."""
        for _token, items in self.pages(request):
            yield from items

    def pages(self, request: OciRequest, page: str | None = None) -> Iterator[tuple[str | None, list[Any]]]:
        """Yield each page of a List operation from ``page`` on (none: the first) with the token that
        listed it, so a caller can say where to go on later."""
        while True:
            response = self.call(request._replace(params={**(request.params or {}), "page": page}))
            yield page, list(response.data or [])
            page = response.next_page
            if not page:
                return


def check_url(operation: str, url: str) -> None:
    """Refuse a URL with a query, a fragment or a path segment that is not a plain id (never sent)."""
    parts = urllib.parse.urlsplit(url)
    bad = [segment for segment in parts.path.split("/") if segment and not is_plain_segment(segment)]
    if parts.query or parts.fragment or bad:
        shown = bad[0] if bad else (parts.query or parts.fragment)
        raise UnsafePath(f"{operation}: refused to send a request whose path holds {shown[:80]!r} (not a plain id)")


def environment_proxies() -> dict[str, str]:
    """``HTTP(S)_PROXY`` from the environment (``NO_PROXY`` is not applied: OCI endpoints only)."""
    return {scheme: url for scheme, url in urllib.request.getproxies().items() if scheme in ("http", "https")}


def _query_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_or_none(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _error_fields(response: requests.Response) -> tuple[str | None, str]:
    try:
        doc = response.json()
    except ValueError:
        return None, response.text[:500] or response.reason or ""
    if isinstance(doc, dict):
        return doc.get("code"), str(doc.get("message", ""))
    return None, response.text[:500]
