"""The Fn agent's part of a synchronous invoke: a function "deployed" in the emulator runs on its fdk socket.

A function created through the control API with ``"socketPath"`` (``POST /_emulator/{region}/functions``)
is bound to the unix socket of a running ``fdk func.py handler`` process (``tests/fdk_harness.py``
starts one). A synchronous InvokeFunction at its invoke endpoint is then forwarded as the Fn agent does it (fnproject/fn
``api/agent/agent.go``, the request ``tests/fdk_harness.py`` sends too): ``POST /call`` over the socket
with the caller's body and content type, ``Fn-Call-Id``, ``Fn-Deadline`` (now + the function's 300 s
timeout) and ``fn-invoke-type: sync``. The answer goes back to the caller as it came.

Assumptions, named:

- OCI answers a sync invoke with the function's own body and content type and status 200 (the fdk
  sends 200 for any handler status on a plain invoke).
- A function that fails (fdk 502) is answered ``502 FunctionInvokeExecutionFailed``, as the OCI
  Functions troubleshooting guide describes ("Invoking a function returns a FunctionInvokeExecutionFailed
  message and a 502 error"); a timeout (fdk 504) is answered ``504 FunctionInvokeTimeout`` (the code is
  an assumption). A socket nobody listens on is a 502 too.
- Detached invocations and functions without a socket are recorded only, never run (a sweep's
  hand-over to itself would otherwise recurse through the tests).

The forward happens after the world lock is released (``ApiResponse.after_lock``): the function calls
back into the emulator while it runs.
"""

from __future__ import annotations

import http.client
import socket
import uuid
from datetime import UTC, datetime, timedelta

from ..core.exceptions import OciError
from ..core.responses import ApiResponse

FUNCTION_TIMEOUT_SECONDS = 300.0


class FunctionInvokeExecutionFailed(OciError):
    status, code, default_message = 502, "FunctionInvokeExecutionFailed", "function failed"


class FunctionInvokeTimeout(OciError):
    status, code, default_message = 504, "FunctionInvokeTimeout", "function timed out"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.path)
        self.sock = sock


def forward(socket_path: str, body: bytes, content_type: str | None) -> ApiResponse:
    """Run one synchronous invocation on the fdk socket and turn its answer into the API's."""
    deadline = datetime.now(UTC) + timedelta(seconds=FUNCTION_TIMEOUT_SECONDS)
    headers = {
        "Fn-Call-Id": uuid.uuid4().hex.upper(),
        "Fn-Deadline": deadline.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "fn-invoke-type": "sync",
        "Content-Type": content_type or "application/octet-stream",
    }
    connection = _UnixConnection(socket_path, FUNCTION_TIMEOUT_SECONDS + 5)
    try:
        connection.request("POST", "/call", body=body, headers=headers)
        answer = connection.getresponse()
        payload = answer.read()
    except OSError as exc:
        raise FunctionInvokeExecutionFailed(
            f"function failed: the function's container is unreachable ({exc})"
        ) from None
    finally:
        connection.close()
    if answer.status == 504:
        raise FunctionInvokeTimeout()
    if answer.status != 200:
        raise FunctionInvokeExecutionFailed()
    returned = {"content-type": answer.getheader("content-type") or "application/octet-stream"}
    return ApiResponse(status=200, raw=payload, headers=returned)
