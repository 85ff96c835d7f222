"""The fdk adapter: the platform's headers in, the answer out (``fdk func.py handler``).

Everything else happens in ``shared/runtime.py``'s ``process``, which tests and the demo drive through
the real fdk process over its unix socket.
"""

import os
from collections.abc import Mapping
from typing import Any

from shared.runtime import process


def single_values(headers: Mapping[str, Any]) -> dict[str, str]:
    """Lower-case names, one string per header (the fdk gives a list for a repeated header)."""
    flat: dict[str, str] = {}
    for name, value in headers.items():
        if isinstance(value, list | tuple):
            value = value[-1] if value else ""
        flat[str(name).lower()] = str(value)
    return flat


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
    answer = process(os.environ, headers, body, single_values(ctx.HTTPHeaders() or {}))
    reply = response.Response(ctx, response_data=answer.body, headers=answer.headers, status_code=answer.status)
    if headers.get("fn-intent") == "httprequest" and "fn-http-status" not in ctx.GetResponseHeaders():
        # The fdk judged gateway mode on its merged headers, which a client's Fn-Intent shadowed: wrap the
        # status and headers for the gateway ourselves, so the client still sees the real status.
        from fdk.headers import encap_headers

        ctx.SetResponseHeaders(encap_headers(answer.headers, status=answer.status), answer.status)
    return reply
