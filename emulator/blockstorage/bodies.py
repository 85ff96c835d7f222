"""Request bodies of the Block Volume operations, exactly the *Details models of
the Block Volume API reference (https://docs.oracle.com/iaas/api/#/en/iaas/20160918/).

Fields are snake_case in Python and camelCase on the wire (only the camelCase names are accepted).
Strict types and ``extra="forbid"``: a wrong type or an unknown field is a 400 ``InvalidParameter``
naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

Ocid = Annotated[str, StringConstraints(min_length=1, max_length=255)]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=255)]
FreeformTags = dict[str, str]
DefinedTags = dict[str, dict[str, Any]]
BackupType = Literal["FULL", "INCREMENTAL"]

RETENTION_FIELDS = frozenset(
    {"retention_period", "is_prevent_deletion_enabled", "is_retention_lock_enabled", "is_indefinite_retention_enabled"}
)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel)

    def retention_json(self, only_given: bool = False) -> dict[str, Any]:
        """The retention fields present in the body, camelCase, ready to render."""
        names = RETENTION_FIELDS & self.model_fields_set if only_given else RETENTION_FIELDS
        return self.model_dump(include=set(names), by_alias=True, exclude_none=True)


class RetentionDuration(Body):
    retention_time_unit: Literal["YEARS", "DAYS"]
    retention_time_amount: int


class _Retention(Body):
    retention_period: RetentionDuration | None = None
    is_prevent_deletion_enabled: bool | None = None
    is_retention_lock_enabled: bool | None = None
    is_indefinite_retention_enabled: bool | None = None


class CreateVolumeBackupDetails(_Retention):
    volume_id: Ocid
    display_name: DisplayName | None = None
    type: BackupType | None = None
    kms_key_id: Ocid | None = None
    freeform_tags: FreeformTags | None = None
    defined_tags: DefinedTags | None = None


class CreateBootVolumeBackupDetails(_Retention):
    boot_volume_id: Ocid
    display_name: DisplayName | None = None
    type: BackupType | None = None
    kms_key_id: Ocid | None = None
    freeform_tags: FreeformTags | None = None
    defined_tags: DefinedTags | None = None


class UpdateBackupDetails(_Retention):
    """UpdateVolumeBackupDetails and UpdateBootVolumeBackupDetails (same fields)."""

    display_name: DisplayName | None = None
    kms_key_id: Ocid | None = None
    freeform_tags: FreeformTags | None = None
    defined_tags: DefinedTags | None = None


class CreateVolumeGroupBackupDetails(_Retention):
    volume_group_id: Ocid
    compartment_id: Ocid | None = None
    display_name: DisplayName | None = None
    type: BackupType | None = None
    freeform_tags: FreeformTags | None = None
    defined_tags: DefinedTags | None = None


class UpdateVolumeGroupBackupDetails(_Retention):
    display_name: DisplayName | None = None
    freeform_tags: FreeformTags | None = None
    defined_tags: DefinedTags | None = None


class CopyBackupDetails(Body):
    """CopyVolumeBackupDetails, CopyBootVolumeBackupDetails and CopyVolumeGroupBackupDetails (same fields)."""

    destination_region: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    display_name: DisplayName | None = None
    kms_key_id: Ocid | None = None


VolumeSize = Annotated[int, Field(ge=50, le=32768)]
Vpus = Annotated[int, Field(ge=0, le=120, multiple_of=10)]


class VolumeSourceDetails(Body):
    """VolumeSourceDetails / BootVolumeSourceDetails: ``{"type", "id"}`` (the restore forms are
    ``volumeBackup`` and ``bootVolumeBackup``; the emulator models restores and nothing else)."""

    type: Annotated[str, StringConstraints(min_length=1)]
    id: Ocid


class VolumeGroupSourceDetails(Body):
    """VolumeGroupSourceDetails: ``{"type": "volumeGroupBackupId", "volumeGroupBackupId"}`` (the
    ``volumeIds``, ``volumeGroupId`` and ``volumeGroupReplicaId`` forms are accepted by OCI and refused
    here as not modelled)."""

    type: Annotated[str, StringConstraints(min_length=1)]
    volume_group_backup_id: Ocid | None = None
    volume_ids: list[Ocid] | None = None
    volume_group_id: Ocid | None = None
    volume_group_replica_id: Ocid | None = None


class _CreateVolumeCommon(Body):
    availability_domain: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    compartment_id: Ocid
    display_name: DisplayName | None = None
    freeform_tags: FreeformTags | None = None
    defined_tags: DefinedTags | None = None
    backup_policy_id: Ocid | None = None
    xrc_kms_key_id: Ocid | None = None


class CreateVolumeDetails(_CreateVolumeCommon):
    """CreateVolumeDetails; ``volumeBackupId`` is the deprecated top-level form of
    ``sourceDetails {"type": "volumeBackup", "id"}`` the SDK still sends when asked to."""

    kms_key_id: Ocid | None = None
    vpus_per_gb: Vpus | None = Field(None, alias="vpusPerGB")
    size_in_gbs: VolumeSize | None = Field(None, alias="sizeInGBs")
    size_in_mbs: Annotated[int, Field(ge=51200)] | None = Field(None, alias="sizeInMBs")
    source_details: VolumeSourceDetails | None = None
    volume_backup_id: Ocid | None = None
    is_auto_tune_enabled: bool | None = None


class CreateBootVolumeDetails(_CreateVolumeCommon):
    kms_key_id: Ocid | None = None
    vpus_per_gb: Vpus | None = Field(None, alias="vpusPerGB")
    size_in_gbs: VolumeSize | None = Field(None, alias="sizeInGBs")
    source_details: VolumeSourceDetails
    is_auto_tune_enabled: bool | None = None


class CreateVolumeGroupDetails(_CreateVolumeCommon):
    source_details: VolumeGroupSourceDetails
