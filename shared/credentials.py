"""Where signing keys come from: resource principal, config-file API key, session token.

Providers each have a ``NAME`` and a ``load(environ, home) -> Credentials | None``; one resolver owns
their order (resource principal when the Functions runtime's env is present, else the config file).
The client asks ``signer()`` before each attempt and ``refresh_after_unauthorized()`` after a 401.
Nothing here ever logs or shows key material or tokens.
"""

from __future__ import annotations

import base64
import binascii
import configparser
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.regions import region_name, register_region_metadata
from shared.signing import RequestSigner, SigningError, load_private_key

REFRESH_BEFORE_EXPIRY_SECONDS = 60.0


class CredentialsError(Exception):
    """Credentials are missing or unusable; the message names the env var, key or file."""


class Credentials(Protocol):
    name: str
    region: str | None
    tenancy_id: str | None

    def signer(self) -> RequestSigner: ...

    def refresh_after_unauthorized(self) -> bool: ...


def fingerprint_of(public_key: rsa.RSAPublicKey) -> str:
    """MD5 over the DER SubjectPublicKeyInfo, lower-case hex pairs joined by ':' (OCI's key fingerprint)."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def jwt_claims(token: str) -> dict[str, object]:
    """The payload of a JWT, unverified (the service verifies it; we only read exp / res_tenant)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error) as exc:
        raise CredentialsError(f"the security token is not a JWT ({type(exc).__name__})") from None
    if not isinstance(claims, dict):
        raise CredentialsError("the security token's payload is not a JSON object")
    return claims


class _KeyCache:
    """Parse a PEM only when its content changes (parsing costs ~40 ms)."""

    def __init__(self) -> None:
        self._digest: str | None = None
        self._key: rsa.RSAPrivateKey | None = None

    def key(self, pem: bytes, passphrase: bytes | None, source: str) -> rsa.RSAPrivateKey:
        digest = hashlib.sha256(pem + b"\0" + (passphrase or b"")).hexdigest()
        if digest != self._digest or self._key is None:
            try:
                self._key = load_private_key(pem, passphrase)
            except SigningError as exc:
                raise CredentialsError(f"{source}: {exc}") from None
            self._digest = digest
        return self._key


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CredentialsError(f"{what}: cannot read {path} ({exc.strerror})") from None


# --- API key and session token from an OCI config file ------------------------------------------


@dataclass(frozen=True)
class ConfigProfile:
    path: Path
    name: str
    values: Mapping[str, str]

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return value.strip() if value and value.strip() else None

    def require(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise CredentialsError(f"config file {self.path}, profile [{self.name}]: '{key}' is missing")
        return value

    def file(self, key: str, home: Path) -> Path:
        raw = self.require(key)
        return home / raw[2:] if raw.startswith("~/") else Path(raw)


def read_config_profile(path: Path, profile: str) -> ConfigProfile:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open() as handle:
            parser.read_file(handle)
    except OSError as exc:
        raise CredentialsError(f"config file {path}: cannot read ({exc.strerror})") from None
    except configparser.Error as exc:
        raise CredentialsError(f"config file {path}: not an OCI config file ({type(exc).__name__})") from None
    if profile != "DEFAULT" and not parser.has_section(profile):
        raise CredentialsError(f"config file {path}: no profile [{profile}]")
    values = dict(parser.defaults()) if profile == "DEFAULT" else dict(parser.items(profile))
    return ConfigProfile(path, profile, values)


class ApiKeyCredentials:
    """A user's API signing key: keyId ``tenancy/user/fingerprint``."""

    NAME: ClassVar[str] = "api_key"

    def __init__(self, key_id: str, key: rsa.RSAPrivateKey, region: str | None, tenancy_id: str | None) -> None:
        self.name = self.NAME
        self.region = region
        self.tenancy_id = tenancy_id
        self._signer = RequestSigner.from_key(key_id, key)

    def __repr__(self) -> str:
        return f"ApiKeyCredentials(region={self.region!r})"

    def signer(self) -> RequestSigner:
        return self._signer

    def refresh_after_unauthorized(self) -> bool:
        return False  # a wrong API key does not fix itself


class SessionTokenCredentials:
    """``oci session authenticate``: keyId ``ST$<token>``; the token file is re-read after a 401."""

    NAME: ClassVar[str] = "session_token"

    def __init__(self, token_file: Path, key: rsa.RSAPrivateKey, region: str | None, tenancy_id: str | None) -> None:
        self.name = self.NAME
        self.region = region
        self.tenancy_id = tenancy_id
        self._token_file = token_file
        self._key = key
        self._lock = threading.Lock()
        self._token = self._read_token()
        self._signer = RequestSigner.from_key(f"ST${self._token}", key)

    def __repr__(self) -> str:
        return f"SessionTokenCredentials(region={self.region!r})"

    def _read_token(self) -> str:
        token = _read(self._token_file, "security_token_file").decode().strip()
        if not token:
            raise CredentialsError(f"security_token_file {self._token_file} is empty")
        return token

    def signer(self) -> RequestSigner:
        with self._lock:
            return self._signer

    def refresh_after_unauthorized(self) -> bool:
        with self._lock:
            token = self._read_token()
            if token == self._token:
                return False
            self._token = token
            self._signer = RequestSigner.from_key(f"ST${token}", self._key)
            return True


class ConfigFileProvider:
    NAME: ClassVar[str] = "config_file"

    @staticmethod
    def load(environ: Mapping[str, str], home: Path) -> Credentials | None:
        path = (
            Path(environ["OCI_CONFIG_FILE"]).expanduser()
            if environ.get("OCI_CONFIG_FILE")
            else home / ".oci" / "config"
        )
        if not path.exists():
            return None
        profile = read_config_profile(path, environ.get("OCI_CONFIG_PROFILE") or "DEFAULT")
        region = profile.get("region") or environ.get("OCI_REGION")
        region = region_name(region) if region else None
        pass_phrase = profile.get("pass_phrase")
        key_file = profile.file("key_file", home)
        key = _KeyCache().key(_read(key_file, "key_file"), pass_phrase.encode() if pass_phrase else None, "key_file")
        tenancy = profile.get("tenancy")
        if profile.get("security_token_file"):
            return SessionTokenCredentials(profile.file("security_token_file", home), key, region, tenancy)
        key_id = f"{profile.require('tenancy')}/{profile.require('user')}/{profile.require('fingerprint')}"
        return ApiKeyCredentials(key_id, key, region, tenancy)


# --- resource principal v2.2 (OCI Functions) ---------------------------------------------------


class _Source:
    """An env value that is either a literal or (absolute path) a file to read."""

    def __init__(self, env_name: str, value: str) -> None:
        self.env_name = env_name
        self.value = value
        self.is_file = os.path.isabs(value)

    def read(self) -> bytes:
        if self.is_file:
            return _read(Path(self.value), self.env_name)
        return self.value.encode()


class ResourcePrincipalCredentials:
    """RPST + session key from the Functions runtime; refreshed near expiry and once after a 401."""

    NAME: ClassVar[str] = "resource_principal"

    def __init__(
        self,
        rpst: _Source,
        private_pem: _Source,
        passphrase: _Source | None,
        region: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = self.NAME
        self.region: str | None = region
        self.tenancy_id: str | None = None
        self._rpst = rpst
        self._pem = private_pem
        self._passphrase = passphrase
        self._clock = clock
        self._lock = threading.Lock()
        self._keys = _KeyCache()
        self._token = ""
        self._expires_at = float("inf")
        self._signer: RequestSigner | None = None
        self._load()

    def __repr__(self) -> str:
        return f"ResourcePrincipalCredentials(region={self.region!r})"

    @property
    def refreshable(self) -> bool:
        return self._rpst.is_file or self._pem.is_file

    def _load(self) -> bool:
        """(Re-)read token and key; True when the token changed."""
        token = self._rpst.read().decode().strip()
        if not token:
            raise CredentialsError(f"{self._rpst.env_name} is empty")
        claims = jwt_claims(token)
        passphrase = self._passphrase.read().strip() if self._passphrase else None
        key = self._keys.key(self._pem.read(), passphrase or None, self._pem.env_name)
        changed = token != self._token
        self._token = token
        exp = claims.get("exp")
        self._expires_at = float(exp) if isinstance(exp, int | float) else float("inf")
        tenant = claims.get("res_tenant")
        self.tenancy_id = str(tenant) if tenant else None
        self._signer = RequestSigner.from_key(f"ST${token}", key)
        return changed

    def signer(self) -> RequestSigner:
        with self._lock:
            if self.refreshable and self._clock() >= self._expires_at - REFRESH_BEFORE_EXPIRY_SECONDS:
                self._load()
            assert self._signer is not None
            return self._signer

    def refresh_after_unauthorized(self) -> bool:
        with self._lock:
            if not self.refreshable:
                return False
            self._load()
            return True


class ResourcePrincipalProvider:
    NAME: ClassVar[str] = "resource_principal"
    PREFIX: ClassVar[str] = "OCI_RESOURCE_PRINCIPAL_"

    @classmethod
    def load(cls, environ: Mapping[str, str], home: Path) -> Credentials | None:
        version = environ.get(cls.PREFIX + "VERSION")
        if not version:
            return None
        if version != "2.2":
            raise CredentialsError(
                f"{cls.PREFIX}VERSION={version} is not supported; OCI Functions use resource principal 2.2"
            )
        values = {}
        for suffix in ("RPST", "PRIVATE_PEM", "REGION"):
            value = environ.get(cls.PREFIX + suffix, "").strip()
            if not value:
                raise CredentialsError(f"{cls.PREFIX}{suffix} is not set (resource principal 2.2 needs it)")
            values[suffix] = value
        if environ.get("OCI_REGION_METADATA"):
            register_region_metadata(environ["OCI_REGION_METADATA"])
        pem = _Source(cls.PREFIX + "PRIVATE_PEM", values["PRIVATE_PEM"])
        passphrase_value = environ.get(cls.PREFIX + "PRIVATE_PEM_PASSPHRASE", "")
        passphrase = None
        if passphrase_value:
            passphrase = _Source(cls.PREFIX + "PRIVATE_PEM_PASSPHRASE", passphrase_value)
            passphrase.is_file = pem.is_file and passphrase.is_file
        return ResourcePrincipalCredentials(
            _Source(cls.PREFIX + "RPST", values["RPST"]), pem, passphrase, region_name(values["REGION"])
        )


PROVIDERS = (ResourcePrincipalProvider, ConfigFileProvider)


def resolve_credentials(environ: Mapping[str, str] | None = None, *, home: Path | None = None) -> Credentials:
    """The first provider that finds credentials, in ``PROVIDERS`` order."""
    env = os.environ if environ is None else environ
    home_dir = home or Path(env.get("HOME") or Path.home())
    for provider in PROVIDERS:
        found = provider.load(env, home_dir)
        if found is not None:
            return found
    raise CredentialsError(
        "no OCI credentials: set the OCI_RESOURCE_PRINCIPAL_* variables (inside OCI Functions) "
        "or provide ~/.oci/config (OCI_CONFIG_FILE / OCI_CONFIG_PROFILE)"
    )
