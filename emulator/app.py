"""One request path (moto's ``BaseResponse.call_action``): route, authenticate, inject faults, handle.

    /_emulator/...                  -> control API (unsigned)
    /{host}/{region}/{version}/...  -> route (``hosts.py``) -> verify signature -> faults -> handler
    /{region}/{version}/...         -> the same, old layout: every regional service under one prefix

Every answer carries ``opc-request-id``; errors are ``{"code", "message"}`` JSON.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time

from werkzeug import Request, Response

from .control import PREFIX, ControlApi
from .core.auth import SignatureVerifier, SignedRequest
from .core.exceptions import InternalServerError, NotFound, OciError
from .core.ids import new_request_id
from .core.regions import find_region
from .core.responses import ApiRequest, ApiResponse, error_response
from .core.state import World
from .hosts import LEGACY, HostRouter

log = logging.getLogger("emulator")


class DropConnection(Exception):
    """Close the socket without answering (an injected fault)."""


class EmulatorApp:
    def __init__(self, world: World) -> None:
        self.world = world
        self.router = HostRouter()
        self.verifier = SignatureVerifier(world.keys, max_skew=lambda: world.settings.max_clock_skew_seconds)
        self.control = ControlApi(world, self.router.operations())

    def __call__(self, request: Request) -> Response:
        request_id = new_request_id(request.headers.get("opc-request-id"))
        try:
            if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
                result = self.control.handle(request)
            else:
                result = self.api(request)
                if result.after_lock is not None:
                    result = result.after_lock()
        except OciError as exc:
            result = error_response(exc)
        except DropConnection:
            _drop(request)
            raise ConnectionAbortedError("injected dropped connection") from None
        except Exception:
            log.exception("emulator error on %s %s", request.method, request.path)
            result = error_response(InternalServerError("Internal error in the emulator."))
        return _to_werkzeug(result, request_id)

    def api(self, request: Request) -> ApiResponse:
        host, _, rest = request.path.lstrip("/").partition("/")
        if find_region(host) is not None:
            host, rest = LEGACY, request.path.lstrip("/")
        region_name, _, rest = rest.partition("/")
        region = find_region(region_name)
        if region is None:
            raise NotFound(f"No region {region_name!r}: paths are /{{host}}/{{region}}/{{version}}/...")
        route = self.router.match(host, request.method, "/" + rest)
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = request.get_data()
        principal = self.verifier.verify(SignedRequest(request.method, _raw_target(request), headers, body))
        with self.world.lock:
            self.world.calls[f"{region.name} {route.operation}"] += 1
        decision = self.world.faults.decide(route.operation, region.name)
        latency = decision.latency + self.world.settings.latency_seconds
        if latency > 0:
            time.sleep(latency)
        if decision.drop:
            raise DropConnection()
        if decision.error is not None:
            with self.world.lock:
                self.world.refused[f"{region.name} {route.operation} {decision.error.status}"] += 1
            raise decision.error
        api_request = ApiRequest(
            method=request.method,
            path="/" + rest,
            region=region,
            principal=principal,
            operation=route.operation,
            params=route.params,
            query=dict(request.args.items()),
            headers=headers,
            body=body,
            base_url=request.host_url.rstrip("/"),
            host=host,
        )
        with self.world.lock:
            self.world.tick()
            handler = getattr(route.response_class(api_request, self.world), route.handler)
            result: ApiResponse = handler()
            return result


def _raw_target(request: Request) -> str:
    """The request target exactly as received (still percent-encoded), as the client signed it."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        return str(raw)
    query = request.query_string.decode("latin-1")
    return str(request.environ.get("PATH_INFO", request.path)) + (f"?{query}" if query else "")


def _drop(request: Request) -> None:
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _to_werkzeug(result: ApiResponse, request_id: str) -> Response:
    response = Response(result.payload(), status=result.status)
    for name, value in result.headers.items():
        response.headers[name] = value
    if result.body is not None:
        response.headers["content-type"] = "application/json"
    response.headers["opc-request-id"] = request_id
    return response
