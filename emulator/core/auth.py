"""Signature verification as OCI does it (docs.oracle.com/iaas/Content/API/Concepts/signingrequests.htm),
written independently of the client's signer.

Steps, each small and separately testable:

    parse_authorization -> check_signed_headers -> check_date -> check_body -> signing_string -> verify

Every failure raises ``NotAuthenticated`` whose message names the failed check, never key material.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .exceptions import NotAuthenticated
from .keys import KeyStore, Principal, UnusableKeyError

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
REQUIRED_HEADERS = ("date", "(request-target)", "host")
REQUIRED_BODY_HEADERS = ("content-length", "content-type", "x-content-sha256")
_PARAM = re.compile(r'\s*([A-Za-z]+)="([^"]*)"\s*(?:,|$)')


@dataclass(frozen=True)
class SignatureParams:
    key_id: str
    headers: tuple[str, ...]
    signature: bytes


@dataclass(frozen=True)
class SignedRequest:
    """What verification needs from an HTTP request: the raw target, as received."""

    method: str
    target: str  # path + "?" + query exactly as on the wire (still percent-encoded)
    headers: Mapping[str, str]  # lower-case names
    body: bytes


def parse_authorization(value: str | None) -> SignatureParams:
    if not value:
        raise NotAuthenticated("Missing Authorization header: the request is not signed.")
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "signature":
        raise NotAuthenticated("The Authorization header must use the Signature scheme.")
    params: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if m is None:
            raise NotAuthenticated("The Authorization header is malformed.")
        name = m.group(1)
        if name in params:
            raise NotAuthenticated(f"The Authorization header repeats the parameter {name!r}.")
        params[name] = m.group(2)
        pos = m.end()
    for required in ("keyId", "signature", "headers"):
        if not params.get(required):
            raise NotAuthenticated(f"The Authorization header lacks the {required!r} parameter.")
    if params.get("algorithm", "rsa-sha256") != "rsa-sha256":
        raise NotAuthenticated("Unsupported signature algorithm (only rsa-sha256).")
    if params.get("version", "1") != "1":
        raise NotAuthenticated("Unsupported signature version (only 1).")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except ValueError:
        raise NotAuthenticated("The signature is not valid base64.") from None
    names = tuple(params["headers"].lower().split())
    return SignatureParams(key_id=params["keyId"], headers=names, signature=signature)


def check_signed_headers(method: str, params: SignatureParams, headers: Mapping[str, str]) -> None:
    required = REQUIRED_HEADERS + (REQUIRED_BODY_HEADERS if method.upper() in BODY_METHODS else ())
    missing = [name for name in required if name not in params.headers]
    if missing:
        raise NotAuthenticated(f"The signature must cover the headers: {', '.join(missing)}.")
    absent = [n for n in params.headers if n != "(request-target)" and n not in headers]
    if absent:
        raise NotAuthenticated(f"Signed headers are absent from the request: {', '.join(absent)}.")


def check_date(value: str, now: float, max_skew: float) -> None:
    try:
        ts = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        raise NotAuthenticated("The date header cannot be parsed.") from None
    if abs(ts - now) > max_skew:
        raise NotAuthenticated(f"The date header is more than {int(max_skew)} seconds away from the server's clock.")


def body_sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def check_body(headers: Mapping[str, str], body: bytes) -> None:
    if headers.get("content-length", "").strip() != str(len(body)):
        raise NotAuthenticated("The content-length header does not match the body.")
    if headers.get("x-content-sha256", "").strip() != body_sha256(body):
        raise NotAuthenticated("The x-content-sha256 header does not match the body.")


def signing_string(names: tuple[str, ...], method: str, target: str, headers: Mapping[str, str]) -> str:
    lines = []
    for name in names:
        value = f"{method.lower()} {target}" if name == "(request-target)" else headers[name]
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


class SignatureVerifier:
    """Verifies one request against the key store; returns the calling principal."""

    def __init__(
        self, keys: KeyStore, max_skew: Callable[[], float] = lambda: 300.0, wall: Callable[[], float] = time.time
    ) -> None:
        self._keys = keys
        self._max_skew = max_skew
        self._wall = wall

    def verify(self, request: SignedRequest) -> Principal:
        params = parse_authorization(request.headers.get("authorization"))
        check_signed_headers(request.method, params, request.headers)
        check_date(request.headers["date"], self._wall(), self._max_skew())
        if "x-content-sha256" in params.headers or request.method.upper() in BODY_METHODS:
            check_body(request.headers, request.body)
        try:
            public_key, principal = self._keys.lookup(params.key_id)
        except UnusableKeyError as exc:
            raise NotAuthenticated(f"{exc}.") from None
        text = signing_string(params.headers, request.method, request.target, request.headers)
        try:
            public_key.verify(params.signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise NotAuthenticated(
                "The signature does not verify (wrong key, or the request changed after signing)."
            ) from None
        return principal
