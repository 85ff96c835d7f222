"""API Gateway requests as the fdk delivers them, and the function-side authentication check.

The gateway route runs an authentication policy (JWT/token) first; a request that passes it has
two headers SET by the deployment's header transformation (a client cannot forge them, the gateway
overwrites them):

- ``X-Gateway-Token``: a shared secret known to the gateway deployment; the function stores only
  its SHA-256 (config ``GATEWAY_TOKEN_SHA256``) and compares in constant time;
- ``X-Auth-Subject``: the authenticated subject (``${request.auth[sub]}``), optionally checked
  against ``HTTP_ALLOWED_SUBJECTS``.

Anything else gets 401 (not authenticated) or 403 (authenticated but not allowed) and does nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from shared.errors import Forbidden, MethodNotAllowed, PayloadTooLarge, Unauthorized, UnsupportedMediaType

GATEWAY_TOKEN_HEADER: Final = "x-gateway-token"
AUTH_SUBJECT_HEADER: Final = "x-auth-subject"
IDEMPOTENCY_HEADER: Final = "idempotency-key"
REQUEST_ID_HEADER: Final = "opc-request-id"
MAX_BODY_BYTES: Final = 64 * 1024
ALLOWED_METHODS: Final = ("POST",)


@dataclass(frozen=True)
class GatewayRequest:
    method: str
    path: str
    headers: dict[str, str]  # the client's headers, lower-case names, without the Fn-Http-H- prefix

    @classmethod
    def from_fn_headers(cls, fn_headers: dict[str, str], client_headers: dict[str, str]) -> GatewayRequest:
        """From the fdk's request headers and its ``HTTPHeaders()`` (client headers, prefix removed)."""
        url = fn_headers.get("fn-http-request-url", "/")
        client = {k.lower(): v for k, v in client_headers.items()}
        return cls(fn_headers.get("fn-http-method", "").upper(), urlsplit(url).path, client)

    @property
    def subject(self) -> str | None:
        return self.headers.get(AUTH_SUBJECT_HEADER) or None


def authenticate(request: GatewayRequest, token_sha256: str | None, allowed_subjects: list[str]) -> str:
    """The authenticated subject, or ``Unauthorized`` (401) / ``Forbidden`` (403); closed when no token is set."""
    presented = request.headers.get(GATEWAY_TOKEN_HEADER, "")
    if not token_sha256:
        raise Unauthorized("HTTP access is not configured (GATEWAY_TOKEN_SHA256 is unset)", "authorization")
    digest = hashlib.sha256(presented.encode()).hexdigest()
    if not presented or not hmac.compare_digest(digest, token_sha256):
        raise Unauthorized("the request did not pass the API Gateway authentication", "authorization")
    subject = request.subject
    if not subject:
        raise Unauthorized("no authenticated subject was forwarded by the gateway", "authorization")
    if allowed_subjects and subject not in allowed_subjects:
        raise Forbidden(f"subject {subject!r} may not call this function", "authorization")
    return subject


def check_shape(request: GatewayRequest, body: bytes) -> None:
    """Method, media type and size: 405, 415, 413."""
    if request.method not in ALLOWED_METHODS:
        raise MethodNotAllowed(f"method {request.method or '?'} is not allowed; use POST", "method")
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes", "body")
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if body.strip() and content_type != "application/json":
        raise UnsupportedMediaType(
            f"content type {content_type!r} is not supported; send application/json", "content-type"
        )
