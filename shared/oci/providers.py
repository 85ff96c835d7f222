"""Where the signing key comes from: resource principal, session token or API key, each yielding credentials.

Shaped like botocore's provider chain: each provider has a ``NAME`` and a ``load`` that returns
credentials or None, the environment and the home directory are injected, and one function,
``resolve_credentials``, owns the order:

1. ``ResourcePrincipalProvider`` when ``OCI_RESOURCE_PRINCIPAL_VERSION`` is set (v2.2, what OCI Functions
   provides: token and key each a literal or an absolute file path);
2. ``SessionTokenProvider`` when the config profile has ``security_token_file``;
3. ``ApiKeyProvider`` for any other config profile.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final

from shared.oci import log
from shared.oci.credentials import (
    ApiKeyCredentials,
    Clock,
    Credentials,
    CredentialsError,
    ResourcePrincipalCredentials,
    SessionTokenCredentials,
    Source,
    fingerprint_of,
)
from shared.oci.regions import region_name, register_region_metadata
from shared.oci.signing import SigningError, load_private_key

if TYPE_CHECKING:  # the config-file reader is imported only when no resource principal is configured
    from shared.oci.config_file import ConfigProfile

RP_VERSION_ENV: Final = "OCI_RESOURCE_PRINCIPAL_VERSION"
RP_RPST_ENV: Final = "OCI_RESOURCE_PRINCIPAL_RPST"
RP_PEM_ENV: Final = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"
RP_PASSPHRASE_ENV: Final = "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE"
RP_REGION_ENV: Final = "OCI_RESOURCE_PRINCIPAL_REGION"
REGION_ENV: Final = "OCI_REGION"
REGION_METADATA_ENV: Final = "OCI_REGION_METADATA"
SUPPORTED_RP_VERSIONS: Final = ("2.2",)
_OCID: Final = re.compile(r"^([0-9a-zA-Z_-]+[.:])([0-9a-zA-Z_-]*[.:]){3,}([0-9a-zA-Z_-]+)$")
_FINGERPRINT: Final = re.compile(r"^([0-9a-f]{2}:){15}[0-9a-f]{2}$")


# --- providers ------------------------------------------------------------------------------------------------


class CredentialProvider:
    """One credential source: ``load`` returns credentials, None when the source is absent, or raises
    ``CredentialsError`` when it is present but unusable."""

    NAME: ClassVar[str] = ""

    @classmethod
    def load(cls, environ: Mapping[str, str], home: Path, *, clock: Clock = time.time) -> Credentials | None:
        raise NotImplementedError


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = (environ.get(name) or "").strip()
    return value or None


class ResourcePrincipalProvider(CredentialProvider):
    """``OCI_RESOURCE_PRINCIPAL_*`` as the Functions runtime sets them (the SDK's resource_principals_signer.py)."""

    NAME: ClassVar[str] = ResourcePrincipalCredentials.name

    @classmethod
    def load(
        cls, environ: Mapping[str, str], home: Path, *, clock: Clock = time.time
    ) -> ResourcePrincipalCredentials | None:
        version = _env(environ, RP_VERSION_ENV)
        if version is None:
            return None
        if version not in SUPPORTED_RP_VERSIONS:
            raise CredentialsError(
                f"{RP_VERSION_ENV}={version!r} is not supported: only resource principal "
                f"{', '.join(SUPPORTED_RP_VERSIONS)} (what OCI Functions provides)"
            )
        rpst = _env(environ, RP_RPST_ENV)
        pem = _env(environ, RP_PEM_ENV)
        for name, value in ((RP_RPST_ENV, rpst), (RP_PEM_ENV, pem)):
            if value is None:
                raise CredentialsError(f"{name} is not set ({RP_VERSION_ENV} is {version!r})")
        assert rpst is not None and pem is not None
        key = Source.from_setting(RP_PEM_ENV, pem)
        passphrase = cls._passphrase(environ, key)
        region = cls._region(environ)
        return ResourcePrincipalCredentials(
            Source.from_setting(RP_RPST_ENV, rpst), key, passphrase, region=region, clock=clock
        )

    @staticmethod
    def _passphrase(environ: Mapping[str, str], key: Source) -> Source | None:
        """A file path when the PEM is a file (the SDK's intent; its implementation is broken), else a literal."""
        value = environ.get(RP_PASSPHRASE_ENV)
        if not value:
            return None
        if key.is_file:
            path = value.strip()
            if not os.path.isabs(path):
                raise CredentialsError(
                    f"{RP_PASSPHRASE_ENV} must be an absolute path to a pass phrase file when {RP_PEM_ENV} is a file"
                )
            return Source(RP_PASSPHRASE_ENV, path, is_file=True)
        return Source(RP_PASSPHRASE_ENV, value, is_file=False)

    @staticmethod
    def _region(environ: Mapping[str, str]) -> str:
        value = _env(environ, RP_REGION_ENV) or _env(environ, REGION_ENV)
        if value is None:
            raise CredentialsError(f"{RP_REGION_ENV} is not set (nor {REGION_ENV})")
        return region_name(value)


def _config_profile(environ: Mapping[str, str], home: Path) -> ConfigProfile | None:
    """The selected profile; None when no config file was asked for and the default one does not exist."""
    from shared.oci.config_file import CONFIG_FILE_ENV, PROFILE_ENV, ConfigFileError, locate, read_profile

    where = locate(environ, home)
    if not where.explicit and not where.path.exists():
        return None
    try:
        return read_profile(where.path, where.profile)
    except ConfigFileError as exc:
        chosen = []
        if where.explicit:
            chosen.append(f"file from {CONFIG_FILE_ENV}")
        if _env(environ, PROFILE_ENV):
            chosen.append(f"profile from {PROFILE_ENV}")
        raise CredentialsError(f"{exc}" + (f" ({', '.join(chosen)})" if chosen else "")) from None


def _profile_region(profile: ConfigProfile, environ: Mapping[str, str]) -> str | None:
    value = profile.get("region") or _env(environ, REGION_ENV)
    return region_name(value) if value else None


def _checked_ocid(profile: ConfigProfile, key: str, *, required: bool) -> str | None:
    value = profile.require(key) if required else profile.get(key)
    if value is not None and not _OCID.match(value):
        raise CredentialsError(str(profile.error(f"{key!r} is not an OCID", key)))
    return value


def _key_path(profile: ConfigProfile, home: Path) -> Path:
    path = profile.file("key_file", home)
    if path is None:
        hint = " (key_content is not accepted in a config file)" if profile.get("key_content") else ""
        raise CredentialsError(str(profile.error(f"the key 'key_file' is missing or empty{hint}", "key_file")))
    return path


class SessionTokenProvider(CredentialProvider):
    """A config profile with ``security_token_file`` (``oci session authenticate``)."""

    NAME: ClassVar[str] = SessionTokenCredentials.name

    @classmethod
    def load(
        cls, environ: Mapping[str, str], home: Path, *, clock: Clock = time.time
    ) -> SessionTokenCredentials | None:
        profile = _config_profile(environ, home)
        if profile is None:
            return None
        token_path = profile.file("security_token_file", home)
        if token_path is None:
            return None
        where = f"{profile.path} [{profile.name}]"
        from shared.oci.config_file import ConfigFileError

        try:
            key_path = _key_path(profile, home)
            tenancy = _checked_ocid(profile, "tenancy", required=False)
        except ConfigFileError as exc:
            raise CredentialsError(str(exc)) from None
        pass_phrase = profile.get("pass_phrase")
        return SessionTokenCredentials(
            Source(f"{where} security_token_file", str(token_path), is_file=True),
            Source(f"{where} key_file", str(key_path), is_file=True),
            None if pass_phrase is None else Source(f"{where} pass_phrase", pass_phrase, is_file=False),
            region=_profile_region(profile, environ),
            tenancy_id=tenancy,
            clock=clock,
        )


class ApiKeyProvider(CredentialProvider):
    """A config profile with ``user``, ``fingerprint``, ``key_file``, ``tenancy`` (and ``pass_phrase``)."""

    NAME: ClassVar[str] = ApiKeyCredentials.name

    @classmethod
    def load(cls, environ: Mapping[str, str], home: Path, *, clock: Clock = time.time) -> ApiKeyCredentials | None:
        profile = _config_profile(environ, home)
        if profile is None or profile.get("security_token_file"):
            return None
        from shared.oci.config_file import ConfigFileError

        try:
            user = _checked_ocid(profile, "user", required=True)
            tenancy = _checked_ocid(profile, "tenancy", required=True)
            fingerprint = profile.require("fingerprint")
            key_path = _key_path(profile, home)
        except ConfigFileError as exc:
            raise CredentialsError(str(exc)) from None
        if not _FINGERPRINT.match(fingerprint):
            raise CredentialsError(
                str(profile.error("'fingerprint' must be 16 lower-case hex pairs joined by ':'", "fingerprint"))
            )
        where = f"{profile.path} [{profile.name}]"
        try:
            pem = key_path.read_bytes()
        except OSError as exc:
            raise CredentialsError(
                f"{where} key_file: cannot read {key_path} ({exc.strerror or type(exc).__name__})"
            ) from None
        pass_phrase = profile.get("pass_phrase")
        try:
            key = load_private_key(pem, None if pass_phrase is None else pass_phrase.encode("utf-8"))
        except SigningError as exc:
            raise CredentialsError(f"{where} key_file {key_path}: {exc} (see pass_phrase)") from None
        actual = fingerprint_of(key.public_key())
        if actual != fingerprint:
            raise CredentialsError(
                f"{where} fingerprint: {fingerprint} is not the fingerprint of key_file {key_path} ({actual})"
            )
        return ApiKeyCredentials(
            f"{tenancy}/{user}/{fingerprint}", key, region=_profile_region(profile, environ), tenancy_id=tenancy
        )


# --- the resolver: the only place that knows the order ----------------------------------------------------------

_PROVIDERS: Final[tuple[type[CredentialProvider], ...]] = (
    ResourcePrincipalProvider,
    SessionTokenProvider,
    ApiKeyProvider,
)


def _home(environ: Mapping[str, str]) -> Path:
    value = _env(environ, "HOME")
    return Path(value) if value else Path.home()


def resolve_credentials(
    environ: Mapping[str, str] | None = None, *, home: Path | None = None, clock: Clock = time.time
) -> Credentials:
    """The first usable source: resource principal, else the config file's session token or API key.

    ``environ`` defaults to ``os.environ``; ``home`` to the environment's ``HOME``. ``OCI_REGION_METADATA``,
    when set, registers its region first (see ``shared.oci.regions``). Raises ``CredentialsError``.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    home_dir = home if home is not None else _home(env)
    metadata = _env(env, REGION_METADATA_ENV)
    if metadata is not None:
        try:
            register_region_metadata(metadata)
        except ValueError as exc:
            raise CredentialsError(f"{REGION_METADATA_ENV}: {exc}") from None
    for provider in _PROVIDERS:
        credentials = provider.load(env, home_dir, clock=clock)
        if credentials is not None:
            log.event("credentials resolved", logging.DEBUG, provider=provider.NAME, region=credentials.region)
            return credentials
    from shared.oci.config_file import CONFIG_FILE_ENV, locate

    where = locate(env, home_dir)
    raise CredentialsError(
        f"no OCI credentials: {RP_VERSION_ENV} is not set (not running in OCI Functions?) and the config "
        f"file {where.path} does not exist (set {CONFIG_FILE_ENV} to use another file)"
    )
