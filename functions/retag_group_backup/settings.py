"""The configuration keys and the HTTP / direct request of retag-group-backup."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.app import Invocation
from shared.oci.blockstorage import BackupKind
from shared.oci.models import (
    BackupBase,
    DefinedTags,
    FreeformTags,
)
from shared.rules.naming import check_template
from shared.rules.tags import ORACLE_TAGS, is_oracle_namespace
from shared.settings import CommonSettings, KeyValues, is_ocid
from shared.triggers import region_ocid

RETAGGED_BY_KEY = "backup-retagged-by"
RETAGGED_BY_VALUE = "oci-block-backup"
ORIGINAL_NAME_KEY = "backup-original-name"
TOOL_KEYS = frozenset({RETAGGED_BY_KEY, ORIGINAL_NAME_KEY})
NAME_PLACEHOLDERS = ("group", "name", "type", "source_type", "date", "time", "region")
EVENT_KINDS = {"com.oraclecloud.blockvolumes.createvolumegroupbackup.end": BackupKind.VOLUME_GROUP}
MAX_TAG_KEY = 100
MAX_TAG_VALUE = 256
ACTION = "retag"
MEMBER_ACTION = "retag-member"


def _check_tag_pairs(pairs: dict[str, Any], what: str) -> None:
    for key, value in pairs.items():
        if not key or len(key) > MAX_TAG_KEY:
            raise ValueError(f"{what} keys must be 1..{MAX_TAG_KEY} characters; got {key!r}")
        if isinstance(value, str) and len(value) > MAX_TAG_VALUE:
            raise ValueError(f"{what} values must be at most {MAX_TAG_VALUE} characters (key {key!r})")


class RetagSettings(CommonSettings):
    name_template: str = Field(default="{group}-{type}-{date}-{time}", alias="RETAG_NAME_TEMPLATE")
    rename: bool = Field(default=True, alias="RETAG_RENAME")
    freeform_tags: KeyValues = Field(default_factory=dict, alias="RETAG_FREEFORM_TAGS")
    defined_tags: KeyValues = Field(default_factory=dict, alias="RETAG_DEFINED_TAGS")
    copy_group_tags: bool = Field(default=True, alias="RETAG_COPY_GROUP_TAGS")
    replace_tags: bool = Field(default=False, alias="RETAG_REPLACE_TAGS")
    max_attempts: int = Field(default=5, ge=1, le=20, alias="RETAG_MAX_ATTEMPTS")
    lookback_days: int = Field(default=7, ge=1, le=3650, alias="RETAG_LOOKBACK_DAYS")

    @field_validator("name_template")
    @classmethod
    def _template(cls, value: str) -> str:
        return check_template(value, NAME_PLACEHOLDERS)

    @field_validator("freeform_tags")
    @classmethod
    def _freeform(cls, value: dict[str, str]) -> dict[str, str]:
        _check_tag_pairs(value, "freeform tag")
        return value

    @field_validator("defined_tags")
    @classmethod
    def _namespaced(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            namespace, _, name = key.rpartition(".")
            if not namespace or not name:
                raise ValueError(f"defined tags are namespace.key=value; {key!r} has no namespace or no key")
            if is_oracle_namespace(namespace):
                raise ValueError(f"{ORACLE_TAGS} is set by OCI itself and never written")
        _check_tag_pairs(value, "defined tag")
        return value

    @property
    def defined(self) -> DefinedTags:
        tags: DefinedTags = {}
        for dotted, value in self.defined_tags.items():
            namespace, _, key = dotted.rpartition(".")
            tags.setdefault(namespace, {})[key] = value
        return tags


class RetagRequest(BaseModel):
    """The HTTP / direct body: one volume group backup."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    volume_group_backup_id: str = Field(alias="volumeGroupBackupId")
    display_name: str | None = Field(default=None, alias="displayName", min_length=1, max_length=255)
    freeform_tags: FreeformTags | None = Field(default=None, alias="freeformTags")
    defined_tags: DefinedTags | None = Field(default=None, alias="definedTags")
    dry_run: bool = Field(default=False, alias="dryRun")

    @field_validator("volume_group_backup_id")
    @classmethod
    def _group_backup_ocid(cls, value: str, info: ValidationInfo) -> str:
        if not is_group_backup_ocid(value):
            raise ValueError("must be a volume group backup OCID (ocid1.volumegroupbackup...)")
        return region_ocid(value, info)

    @field_validator("display_name")
    @classmethod
    def _visible_name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("freeform_tags")
    @classmethod
    def _freeform(cls, value: FreeformTags | None) -> FreeformTags | None:
        _check_tag_pairs(value or {}, "freeform tag")
        return value

    @field_validator("defined_tags")
    @classmethod
    def _defined(cls, value: DefinedTags | None) -> DefinedTags | None:
        for namespace, pairs in (value or {}).items():
            if not namespace:
                raise ValueError("defined tag namespaces must not be empty")
            if is_oracle_namespace(namespace):
                raise ValueError(f"{ORACLE_TAGS} is set by OCI itself and never written")
            _check_tag_pairs(pairs, "defined tag")
        return value


def is_group_backup_ocid(value: str) -> bool:
    return is_ocid(value) and value.split(".")[1] == "volumegroupbackup"


Run = Invocation[RetagSettings, RetagRequest]
Namer = Callable[[BackupBase], str | None]  # the wanted display name of a backup as it is now (None: keep)
