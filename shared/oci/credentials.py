"""Credentials: what signs a request (API key, or a session key with its token), refreshed before expiry.

Where they come from (resource principal, session token, API key) is ``shared.oci.providers``.

Credentials hand the HTTP client a ``RequestSigner`` that is valid now. Token-based credentials re-read
their files when the token is within 60 s of its ``exp`` claim (advisory window: only if no other thread
is already refreshing; from 10 s before ``exp``: every caller waits for the refresh) and once after a 401.
A refresh that fails keeps the current token. The private key is parsed only when the PEM changes.

Keys, pass phrases and tokens never appear in messages, logs or reprs.
"""

import base64
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Final, NamedTuple, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.oci import log
from shared.oci.signing import RequestSigner, SigningError, load_private_key

Clock = Callable[[], float]

SESSION_TOKEN_PREFIX: Final = "ST$"
ADVISORY_REFRESH_SECONDS: Final = 60.0  # refresh if no other thread is already doing it
MANDATORY_REFRESH_SECONDS: Final = 10.0  # every caller waits for the refresh


class CredentialsError(Exception):
    """No usable credentials. The message names the env var, config key or file; never key material."""


class Credentials(Protocol):
    """What the HTTP client uses."""

    name: str  # the provider's NAME
    region: str | None
    tenancy_id: str | None

    def signer(self) -> RequestSigner:
        """A signer valid now (token credentials refresh first when the token is about to expire)."""
        ...

    def refresh_after_unauthorized(self) -> bool:
        """Re-read the sources after a 401; True when retrying the request makes sense."""
        ...


def fingerprint_of(public_key: rsa.RSAPublicKey) -> str:
    """The API-key fingerprint: MD5 of the DER SubjectPublicKeyInfo, lower-case hex pairs joined by ``:``."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT (base64url JSON; the signature is not checked); ``{}`` for anything else."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError are all ValueErrors
        return {}
    return claims if isinstance(claims, dict) else {}


def _expiry(claims: Mapping[str, Any]) -> float | None:
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        return float(exp)
    return None


class Source(NamedTuple):
    """A secret given literally or as a file path; errors name ``label`` (an env var or config key)."""

    label: str
    value: str  # the literal, or the path
    is_file: bool

    @classmethod
    def from_setting(cls, label: str, value: str) -> "Source":
        """As the SDK and Go decide for resource principals: an absolute path is a file, anything else a literal."""
        return cls(label, value, os.path.isabs(value))

    def read(self) -> bytes:
        if not self.is_file:
            return self.value.encode("utf-8")
        try:
            return Path(self.value).read_bytes()
        except OSError as exc:
            raise CredentialsError(
                f"{self.label}: cannot read the file {self.value} ({exc.strerror or type(exc).__name__})"
            ) from None

    def __repr__(self) -> str:
        return f"Source({self.label}, file={self.value!r})" if self.is_file else f"Source({self.label}, literal)"


def _decode_token(raw: bytes, label: str) -> str:
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise CredentialsError(f"{label}: the token is not ASCII text") from None
    if not token:
        raise CredentialsError(f"{label}: the token is empty")
    if any(c.isspace() or c == '"' for c in token):
        raise CredentialsError(f"{label}: the token contains whitespace or quotes (is this the token?)")
    return token


class _Session(NamedTuple):
    """One consistent (token, key) snapshot; replaced as a whole, never mutated."""

    token: str
    signer: RequestSigner
    claims: Mapping[str, Any]
    expires_at: float | None
    key_digest: bytes


class SessionKeyCredentials:
    """Signs with keyId ``ST$<token>`` and the session key paired with it, re-reading both from their sources.

    Subclasses set ``name``, the claim that carries the tenancy and whether a 401 is worth a retry when the
    re-read files did not change.
    """

    name: str = "session"
    TENANCY_CLAIM: ClassVar[str] = "tenant"
    RETRY_WHEN_UNCHANGED: ClassVar[bool] = False

    def __init__(
        self,
        token: Source,
        key: Source,
        passphrase: Source | None = None,
        *,
        region: str | None,
        tenancy_id: str | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.region = region
        self.tenancy_id = tenancy_id
        self._configured_tenancy = tenancy_id
        self._token_source = token
        self._key_source = key
        self._passphrase_source = passphrase
        self._reloadable = any(s is not None and s.is_file for s in (token, key, passphrase))
        self._clock = clock
        self._lock = threading.Lock()
        self._parsed: tuple[bytes, rsa.RSAPrivateKey] | None = None
        self._session = self._load()
        self._install(self._session)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, region={self.region!r})"

    @property
    def expires_at(self) -> float | None:
        """The current token's ``exp`` claim (epoch seconds), if it has one."""
        return self._session.expires_at

    def signer(self) -> RequestSigner:
        session = self._session
        remaining = None if session.expires_at is None else session.expires_at - self._clock()
        if remaining is None or remaining > ADVISORY_REFRESH_SECONDS or not self._reloadable:
            return session.signer  # literals cannot change: keep using what we have
        if not self._lock.acquire(blocking=remaining <= MANDATORY_REFRESH_SECONDS):
            return session.signer  # another thread is refreshing and this token is still good for > 10 s
        try:
            current = self._session
            if current.expires_at is not None and current.expires_at - self._clock() <= ADVISORY_REFRESH_SECONDS:
                self._reload("expiry")
            return self._session.signer
        finally:
            self._lock.release()

    def refresh_after_unauthorized(self) -> bool:
        if not self._reloadable:
            return False
        with self._lock:
            read, changed = self._reload("401")
        return changed or (read and self.RETRY_WHEN_UNCHANGED)

    def _reload(self, reason: str) -> tuple[bool, bool]:
        """Re-read every source (the caller holds the lock); returns (read, changed)."""
        try:
            fresh = self._load()
        except CredentialsError as exc:
            log.event(
                "credential refresh failed; keeping the current token",
                logging.WARNING,
                provider=self.name,
                trigger=reason,
                problem=str(exc),
            )
            return False, False
        current = self._session
        changed = fresh.token != current.token or fresh.key_digest != current.key_digest
        if changed:
            self._install(fresh)
            log.event("credentials refreshed", logging.INFO, provider=self.name, trigger=reason)
        return True, changed

    def _install(self, session: _Session) -> None:
        claimed = session.claims.get(self.TENANCY_CLAIM)
        self.tenancy_id = self._configured_tenancy or (claimed if isinstance(claimed, str) else None)
        self._session = session

    def _load(self) -> _Session:
        token = _decode_token(self._token_source.read(), self._token_source.label)
        pem = self._key_source.read()
        passphrase = self._read_passphrase()
        key, digest = self._private_key(pem, passphrase)
        claims = token_claims(token)
        signer = RequestSigner.from_key(SESSION_TOKEN_PREFIX + token, key)
        return _Session(token, signer, claims, _expiry(claims), digest)

    def _read_passphrase(self) -> bytes | None:
        source = self._passphrase_source
        if source is None:
            return None
        raw = source.read()
        if source.is_file:
            raw = raw.rstrip(b"\r\n")
        return raw or None

    def _private_key(self, pem: bytes, passphrase: bytes | None) -> tuple[rsa.RSAPrivateKey, bytes]:
        """Parse only when the PEM (or pass phrase) changed: parsing validates the key, ~40 ms."""
        digest = hashlib.sha256(len(pem).to_bytes(8, "big") + pem + (passphrase or b"")).digest()
        if self._parsed is not None and self._parsed[0] == digest:
            return self._parsed[1], digest
        label = self._key_source.label
        try:
            key = load_private_key(pem, passphrase)
        except SigningError as exc:
            hint = "" if self._key_source.is_file else " (not an absolute path, so read as a literal PEM)"
            raise CredentialsError(f"{label}: {exc}{hint}") from None
        self._parsed = (digest, key)
        return key, digest


class SessionTokenCredentials(SessionKeyCredentials):
    """``oci session authenticate``: a token file and a key file named by a config profile."""

    name: str = "session_token"
    TENANCY_CLAIM: ClassVar[str] = "tenant"
    RETRY_WHEN_UNCHANGED: ClassVar[bool] = False  # only a token rewritten out-of-band (CLI) is worth a retry


class ResourcePrincipalCredentials(SessionKeyCredentials):
    """Resource principal v2.2 (OCI Functions): the RPST and its session key, each a literal or a file."""

    name: str = "resource_principal"
    TENANCY_CLAIM: ClassVar[str] = "res_tenant"
    RETRY_WHEN_UNCHANGED: ClassVar[bool] = True  # files re-read: the runtime may have rotated them


class ApiKeyCredentials:
    """A user's API signing key; keyId ``<tenancy>/<user>/<fingerprint>``. Nothing to refresh."""

    name: str = "api_key"

    def __init__(self, key_id: str, key: rsa.RSAPrivateKey, *, region: str | None, tenancy_id: str | None) -> None:
        self.region = region
        self.tenancy_id = tenancy_id
        self._signer = RequestSigner.from_key(key_id, key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, region={self.region!r})"

    @property
    def key_id(self) -> str:
        return self._signer.key_id

    def signer(self) -> RequestSigner:
        return self._signer

    def refresh_after_unauthorized(self) -> bool:
        return False
