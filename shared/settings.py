"""Function configuration: plain config keys (env vars on OCI), validated once by pydantic.

Each handler extends ``CommonSettings`` with its own keys. A bad value raises ``ConfigError``
naming the key, at the first call. The README's configuration table documents every key.
"""

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from shared.oci.blockstorage import BackupKind
from shared.oci.ocid import parse_ocid
from shared.rules.tags import ORACLE_TAGS, is_oracle_namespace

HANDLER_NAMES = ("create_backup", "copy_backup", "retag_group_backup", "restore_backup")
_REGION = re.compile(r"^[a-z]{2,}(-[a-z]+)+-\d+$")
_CONFIG_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")
# What the Functions platform, the base image, func.py and a shell set besides the function's config.
PLATFORM_PREFIXES = ("FN_", "OCI_", "PYTHON", "PYDANTIC_", "LC_", "XDG_", "PIP_", "SSL_", "REQUESTS_", "CURL_")
PLATFORM_KEYS = frozenset(
    {
        "HOME",
        "PATH",
        "HOSTNAME",
        "LANG",
        "LANGUAGE",
        "TERM",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "SHELL",
        "USER",
        "TZ",
        "TMPDIR",
        "GPG_KEY",
        "CI",
        "VIRTUAL_ENV",
    }
)
_METRIC_NAMESPACE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # Monitoring's rule; oci_ / oracle_ are reserved


class ConfigError(ValueError):
    """A function config key is missing or malformed."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"function config key {key}: {problem}")


def split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def split_pairs(value: Any) -> Any:
    """``a=1,b=2`` -> {"a": "1", "b": "2"}."""
    if not isinstance(value, str):
        return value
    pairs: dict[str, str] = {}
    for part in split_csv(value):
        key, sep, val = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected key=value pairs separated by commas, got {part!r}")
        if key.strip() in pairs:
            raise ValueError(f"{key.strip()} is given twice")
        pairs[key.strip()] = val.strip()
    return pairs


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


CsvList = Annotated[list[str], BeforeValidator(split_csv)]
KeyValues = Annotated[dict[str, str], BeforeValidator(split_pairs)]


def _int_values(value: Any) -> Any:
    pairs = split_pairs(value)
    return {k: int(v) for k, v in pairs.items()} if isinstance(pairs, dict) else pairs


KeyInts = Annotated[dict[str, int], BeforeValidator(_int_values)]
BlankIsNone = BeforeValidator(_blank_to_none)


def is_ocid(value: str) -> bool:
    return parse_ocid(value) is not None


def is_region_name(value: str) -> bool:
    return bool(_REGION.match(value))


def check_ocids(values: list[str]) -> list[str]:
    for value in values:
        if not is_ocid(value):
            raise ValueError(f"{value!r} is not an OCID")
    return values


class NotifyOn(StrEnum):
    ALL = "all"
    FAILURES = "failures"
    NEVER = "never"


class TagSelector(BaseModel):
    """``key=value`` (freeform tag) or ``namespace.key=value`` (defined tag)."""

    model_config = ConfigDict(defer_build=True)

    namespace: str | None
    key: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Self:
        left, sep, value = text.partition("=")
        if not sep or not left.strip():
            raise ValueError("expected key=value or namespace.key=value")
        namespace, dot, key = left.strip().rpartition(".")
        return cls(namespace=namespace if dot else None, key=key, value=value.strip())

    def matches(self, freeform: Mapping[str, str], defined: Mapping[str, Mapping[str, Any]]) -> bool:
        if self.namespace is None:
            return freeform.get(self.key) == self.value
        return str(defined.get(self.namespace, {}).get(self.key, "\0")) == self.value

    def __str__(self) -> str:
        prefix = f"{self.namespace}." if self.namespace else ""
        return f"{prefix}{self.key}={self.value}"


def _parse_selector(value: Any) -> Any:
    if isinstance(value, str):
        return TagSelector.parse(value) if value.strip() else None
    return value


Selector = Annotated[TagSelector | None, BeforeValidator(_parse_selector)]


class CommonSettings(BaseModel):
    """Keys every handler reads. Field aliases are the config key names."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, defer_build=True)

    handler: str = Field(alias="HANDLER")
    notification_topic_id: Annotated[str | None, BlankIsNone] = Field(default=None, alias="NOTIFICATION_TOPIC_ID")
    notification_topic_endpoint: Annotated[str | None, BlankIsNone] = Field(
        default=None, alias="NOTIFICATION_TOPIC_ENDPOINT", pattern=r"^https?://\S+$"
    )  # the topic's apiEndpoint (Terraform: oci_ons_notification_topic.api_endpoint); else GetTopic once
    notify_on: NotifyOn = Field(default=NotifyOn.ALL, alias="NOTIFY_ON")  # schedules and HTTP / direct requests
    notify_on_events: NotifyOn = Field(default=NotifyOn.FAILURES, alias="NOTIFY_ON_EVENTS")  # event runs
    # one message per kind of failure per window of this many seconds (shared/notify.py)
    notify_failure_window_seconds: int = Field(default=600, ge=1, le=86400, alias="NOTIFY_FAILURE_WINDOW_SECONDS")
    deployment: Annotated[str | None, BlankIsNone] = Field(default=None, alias="NAME_PREFIX", max_length=64)  # digests
    gateway_token_sha256: Annotated[str | None, BlankIsNone] = Field(default=None, alias="GATEWAY_TOKEN_SHA256")
    http_allowed_subjects: CsvList = Field(default_factory=list, alias="HTTP_ALLOWED_SUBJECTS")
    endpoint_template: Annotated[str | None, BlankIsNone] = Field(default=None, alias="OCI_ENDPOINT_TEMPLATE")
    compartment_ids: CsvList = Field(default_factory=list, alias="COMPARTMENT_IDS")
    include_subcompartments: bool = Field(default=False, alias="INCLUDE_SUBCOMPARTMENTS")
    selector: Selector = Field(default=None, alias="SELECTOR")
    copy_defined_tag_namespaces: CsvList = Field(default_factory=list, alias="COPY_DEFINED_TAG_NAMESPACES")
    dry_run: bool = Field(default=False, alias="DRY_RUN")
    max_concurrency: int = Field(default=8, ge=1, le=64, alias="MAX_CONCURRENCY")
    deadline_margin_seconds: float = Field(default=20.0, ge=0, le=120, alias="DEADLINE_MARGIN_SECONDS")
    schedule_slot_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60, alias="SCHEDULE_SLOT_MINUTES")
    self_invoke_endpoint: Annotated[str | None, BlankIsNone] = Field(default=None, alias="SELF_INVOKE_ENDPOINT")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    # The function's detached_mode_timeout_in_seconds (Terraform sets it): the deadline of a detached
    # invocation when the platform sends no usable Fn-Deadline. Unset: no such fallback.
    detached_timeout_seconds: int | None = Field(default=None, ge=5, le=3600, alias="DETACHED_TIMEOUT_SECONDS")
    # The function's timeout (Terraform sets it from var.function_timeout_seconds): the deadline when the
    # platform sends no usable Fn-Deadline (a detached call: DETACHED_TIMEOUT_SECONDS first). 30 s is OCI's default.
    function_timeout_seconds: int = Field(default=30, ge=5, le=3600, alias="FUNCTION_TIMEOUT_SECONDS")
    metrics_namespace: Annotated[str | None, BlankIsNone] = Field(default="block_backup", alias="METRICS_NAMESPACE")
    metrics_compartment_id: Annotated[str | None, BlankIsNone] = Field(default=None, alias="METRICS_COMPARTMENT_ID")
    # restore-backup's sandbox: what is in it (or carries the restore-test tag) is a test restore, which
    # create-backup and copy-backup never touch; restore-backup requires it
    restore_compartment_id: Annotated[str | None, BlankIsNone] = Field(default=None, alias="RESTORE_COMPARTMENT_ID")

    @field_validator("handler")
    @classmethod
    def _known_handler(cls, value: str) -> str:
        if value not in HANDLER_NAMES:
            raise ValueError(f"must be one of {', '.join(HANDLER_NAMES)}")
        return value

    @field_validator("notification_topic_id", "metrics_compartment_id", "restore_compartment_id")
    @classmethod
    def _optional_ocid(cls, value: str | None) -> str | None:
        if value is not None and not is_ocid(value):
            raise ValueError(f"{value!r} is not an OCID")
        return value

    @field_validator("compartment_ids")
    @classmethod
    def _compartment_ocids(cls, value: list[str]) -> list[str]:
        return check_ocids(value)

    @field_validator("copy_defined_tag_namespaces")
    @classmethod
    def _not_oracle_tags(cls, value: list[str]) -> list[str]:
        if any(is_oracle_namespace(namespace) for namespace in value):
            raise ValueError(f"{ORACLE_TAGS} is set by OCI itself and never written; list other namespaces only")
        return value

    @field_validator("metrics_namespace")
    @classmethod
    def _metric_namespace(cls, value: str | None) -> str | None:
        if value is not None and not _METRIC_NAMESPACE.match(value):
            raise ValueError("must start with a letter and hold only letters, digits and _ (empty: no metrics)")
        if value is not None and value.lower().startswith(("oci_", "oracle_")):
            raise ValueError("the prefixes oci_ and oracle_ are reserved by OCI")
        return value

    def is_test_restore(self, compartment_id: str | None, freeform: Mapping[str, str]) -> bool:
        """A test restore of restore-backup (in its sandbox, or tagged ``restore-test``): never protected."""
        from shared.rules.restore import is_test_restore

        return is_test_restore(compartment_id or "", freeform, self.restore_compartment_id)

    @property
    def metrics_compartment(self) -> str | None:
        """Where the metrics go: METRICS_COMPARTMENT_ID, else the first of COMPARTMENT_IDS."""
        return self.metrics_compartment_id or next(iter(self.compartment_ids), None)

    @field_validator("gateway_token_sha256")
    @classmethod
    def _sha256_hex(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9a-f]{64}", value.lower()):
            raise ValueError("must be the 64-character hex SHA-256 of the gateway token")
        return value.lower() if value else None

    @classmethod
    def unknown_keys(cls, environ: Mapping[str, str]) -> list[str]:
        """Config-key-like names this function does not know (a misspelled ``RETENTON_DAYS``, another
        function's key), leaving out what the platform and the image set (``FN_*``, ``OCI_*``, ``PYTHON*``...)."""
        aliases = {f.alias for f in cls.model_fields.values() if f.alias}
        return sorted(
            key
            for key in environ
            if _CONFIG_KEY.match(key)
            and key not in aliases
            and key not in PLATFORM_KEYS
            and not key.startswith(PLATFORM_PREFIXES)
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        """Validate the config keys this model knows; unknown env vars are ignored."""
        aliases = {f.alias for f in cls.model_fields.values() if f.alias}
        try:
            return cls.model_validate({k: v for k, v in environ.items() if k in aliases})
        except ValidationError as exc:
            first = exc.errors()[0]
            key = str(first["loc"][0]) if first["loc"] else "config"
            raise ConfigError(key, first["msg"]) from None


class KindsSettings(CommonSettings):
    """``BACKUP_KINDS``: the kinds of resource a schedule sweeps (create-backup, restore-backup)."""

    backup_kinds: CsvList = Field(default_factory=BackupKind.words, alias="BACKUP_KINDS")

    @field_validator("backup_kinds")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(BackupKind.words()))
        if unknown or not value:
            raise ValueError(f"use a comma-separated subset of {', '.join(BackupKind.words())}")
        return value

    @property
    def kinds(self) -> list[BackupKind]:
        return [kind for kind in BackupKind if kind.word in self.backup_kinds]
