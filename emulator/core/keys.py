"""Who may sign: API keys registered through the control API, and resource principal session tokens (RPST).

An API key's tenancy is the first ``/``-segment of its keyId (``<tenancy>/<user>/<fingerprint>``).
An RPST is a JWT-shaped token (header.payload.signature, base64url) signed by an emulator issuer key;
requests carrying it sign with keyId ``ST$<token>`` and the session private key issued with it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .ids import new_uuid

SESSION_TOKEN_PREFIX = "ST$"


class UnusableKeyError(LookupError):
    """The keyId cannot be used: unknown, expired or revoked (the message says which)."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    key_id: str
    tenancy_id: str
    kind: str  # "api_key" | "resource_principal"
    compartment_id: str | None = None


@dataclass(frozen=True)
class _Credential:
    public_key: rsa.RSAPublicKey
    principal: Principal
    expires_at: float | None = None  # real wall-clock seconds


@dataclass(frozen=True)
class IssuedRpst:
    rpst: str
    private_key_pem: str
    tenancy_id: str
    compartment_id: str
    expires_at: int


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def load_public_key(pem: str | bytes) -> rsa.RSAPublicKey:
    data = pem.encode() if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("only RSA public keys are supported")
    return key


def tenancy_of_key_id(key_id: str) -> str:
    parts = key_id.split("/")
    if len(parts) < 3 or not all(parts):
        raise ValueError("keyId must look like <tenancy OCID>/<user OCID>/<fingerprint>")
    return parts[0]


class KeyStore:
    """Thread-safe registry of verification keys by keyId."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._lock = threading.Lock()
        self._creds: dict[str, _Credential] = {}
        self._issuer: rsa.RSAPrivateKey | None = None

    def reset(self) -> None:
        with self._lock:
            self._creds = {}

    def register_api_key(self, key_id: str, public_key_pem: str | bytes) -> Principal:
        tenancy_id = tenancy_of_key_id(key_id)
        public_key = load_public_key(public_key_pem)
        principal = Principal(key_id=key_id, tenancy_id=tenancy_id, kind="api_key")
        with self._lock:
            self._creds[key_id] = _Credential(public_key, principal)
        return principal

    def issue_rpst(self, tenancy_id: str, compartment_id: str, ttl_seconds: float, region: str) -> IssuedRpst:
        """A fresh RSA-2048 session key and a token naming it; the token verifies for ``ttl_seconds`` of real time."""
        session_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = int(self._wall())
        claims: dict[str, Any] = {
            "sub": f"ocid1.fnfunc.oc1..emulator{new_uuid().replace('-', '')}",
            "res_tenant": tenancy_id,
            "res_compartment": compartment_id,
            "res_type": "fnfunc",
            "ptype": "resource",
            "region": region,
            "iss": "authService.oracle.com",
            "jti": new_uuid(),
            "iat": now,
            "exp": now + int(ttl_seconds),
        }
        token = self._sign_token(claims)
        principal = Principal(
            key_id=SESSION_TOKEN_PREFIX + token,
            tenancy_id=tenancy_id,
            kind="resource_principal",
            compartment_id=compartment_id,
        )
        with self._lock:
            self._creds[principal.key_id] = _Credential(session_key.public_key(), principal, float(claims["exp"]))
        pem = session_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        return IssuedRpst(token, pem, tenancy_id, compartment_id, int(claims["exp"]))

    def revoke_rpst(self, token: str) -> bool:
        with self._lock:
            return self._creds.pop(SESSION_TOKEN_PREFIX + token, None) is not None

    def lookup(self, key_id: str) -> tuple[rsa.RSAPublicKey, Principal]:
        cred = self._creds.get(key_id)
        if cred is None:
            if key_id.startswith(SESSION_TOKEN_PREFIX):
                raise UnusableKeyError("the session token is unknown or revoked")
            raise UnusableKeyError("the keyId is not registered")
        if cred.expires_at is not None and cred.expires_at < self._wall():
            raise UnusableKeyError("the session token has expired")
        return cred.public_key, cred.principal

    def _sign_token(self, claims: dict[str, Any]) -> str:
        if self._issuer is None:
            self._issuer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "emulator"}).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}".encode("ascii")
        signature = self._issuer.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}.{_b64url(signature)}"
