"""OCI HTTP request signatures ("Signature Version 1", draft-cavage-http-signatures-08 profile).

The signer is a ``requests`` auth hook, so it signs the prepared request exactly as it goes on the
wire (encoded path and query, Host with an explicit port). It is a pipeline of small pure steps:

    headers_to_sign(method) -> signing_string(request) -> sign(string) -> authorization_header(...)

Only the signing string may be logged; never the key or the signature.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from email.utils import formatdate
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

if TYPE_CHECKING:  # importing it at run time loads every key type's module (~1 ms of cold start)
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
BASE_HEADERS: Final = ("date", "(request-target)", "host")
BODY_HEADERS: Final = ("content-length", "content-type", "x-content-sha256")
EMPTY_BODY_SHA256: Final = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


class SigningError(ValueError):
    """The key cannot be used to sign (wrong format, wrong passphrase, not RSA)."""


def load_private_key(pem: bytes, passphrase: bytes | None = None) -> rsa.RSAPrivateKey:
    """Parse a PKCS#1 or PKCS#8 PEM key once; like the SDK, ignore a passphrase on a clear key.

    The RSA consistency check (primality of p and q) is skipped: it guards decryption with keys
    from untrusted parties, costs ~25 ms of every cold start, and this key is our own, used only
    to sign. A corrupt key still fails to parse, and a wrong one is refused by OCI with a 401."""
    try:
        key = _load(pem, passphrase)
    except TypeError:
        if passphrase is None:
            raise SigningError("the private key is encrypted and no passphrase was given") from None
        key = _load(pem, None)
    except ValueError as exc:
        raise SigningError(f"cannot load the private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningError("OCI signing needs an RSA private key")
    return key


def _load(pem: bytes, passphrase: bytes | None) -> PrivateKeyTypes:
    return serialization.load_pem_private_key(pem, password=passphrase, unsafe_skip_rsa_key_validation=True)


def headers_to_sign(method: str, content_headers: bool = True) -> tuple[str, ...]:
    """The signed header names, in signing order, decided by the HTTP method alone.

    ``content_headers=False`` is the SDK's ``without_content_headers`` mode (binary uploads).
    """
    if content_headers and method.upper() in BODY_METHODS:
        return BASE_HEADERS + BODY_HEADERS
    return BASE_HEADERS


def body_sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def request_target(method: str, path_url: str) -> str:
    return f"{method.lower()} {path_url}"


def signing_string(names: tuple[str, ...], method: str, path_url: str, headers: Mapping[str, str]) -> str:
    """Lines ``name: value`` joined by newlines (no trailing newline), in the order of ``names``."""
    lookup = {k.lower(): v for k, v in headers.items()}
    lines = []
    for name in names:
        value = request_target(method, path_url) if name == "(request-target)" else lookup[name]
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def authorization_header(names: tuple[str, ...], key_id: str, signature: str) -> str:
    return (
        f'Signature algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'keyId="{key_id}",signature="{signature}",version="1"'
    )


def _body_bytes(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    raise SigningError("only bytes or str bodies can be signed (serialise JSON to bytes first)")


class RequestSigner(requests.auth.AuthBase):
    """Signs every request it is attached to with one RSA key (parsed once, reused)."""

    content_headers = True

    def __init__(self, key_id: str, private_key_pem: bytes, passphrase: bytes | None = None) -> None:
        self.key_id = key_id
        self._key = load_private_key(private_key_pem, passphrase)

    @classmethod
    def from_key(cls, key_id: str, key: rsa.RSAPrivateKey, content_headers: bool = True) -> RequestSigner:
        signer = cls.__new__(cls)
        signer.key_id = key_id
        signer._key = key
        signer.content_headers = content_headers
        return signer

    def without_content_headers(self) -> RequestSigner:
        """The same key signing only date, (request-target) and host (binary-upload mode)."""
        return RequestSigner.from_key(self.key_id, self._key, content_headers=False)

    def __repr__(self) -> str:  # never show the key
        return f"RequestSigner(key_id={self.key_id[:24]!r}...)"

    def sign(self, text: str) -> str:
        raw = self._key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode("ascii")

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        method = (r.method or "GET").upper()
        headers = r.headers
        headers.pop("authorization", None)  # a retry re-signs from scratch
        headers.setdefault("date", formatdate(usegmt=True))
        headers["host"] = urlsplit(r.url or "").netloc
        headers.setdefault("content-type", "application/json")
        names = headers_to_sign(method, self.content_headers)
        if BODY_HEADERS[0] in names:
            body = _body_bytes(r.body)
            r.body = body or None
            headers["content-length"] = str(len(body))
            if "x-content-sha256" not in headers:
                headers["x-content-sha256"] = body_sha256(body)
        text = signing_string(names, method, r.path_url, headers)
        headers["authorization"] = authorization_header(names, self.key_id, self.sign(text))
        return r
