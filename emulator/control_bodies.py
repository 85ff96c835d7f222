"""Bodies of the control API endpoints (camelCase on the wire, strict, no unknown fields)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from .blockstorage.bodies import RETENTION_FIELDS, RetentionDuration
from .core.faults import FaultRule
from .core.ids import DEFAULT_TENANCY

NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel)


class KeyBody(_Body):
    key_id: NonEmpty
    public_key_pem: str


class ResourcePrincipalBody(_Body):
    region: NonEmpty
    tenancy_id: NonEmpty = DEFAULT_TENANCY
    compartment_id: NonEmpty | None = None
    ttl_seconds: Annotated[float, Field(le=86400 * 7)] = 3600.0  # negative: already expired


class RevokeBody(_Body):
    rpst: str


class CompartmentBody(_Body):
    name: NonEmpty
    parent_id: NonEmpty | None = None
    tenancy_id: NonEmpty = DEFAULT_TENANCY
    description: str = ""


class _Owned(_Body):
    """What everything seeded may carry: its tags, its tenancy."""

    tenancy_id: NonEmpty = DEFAULT_TENANCY
    freeform_tags: dict[str, str] | None = None
    defined_tags: dict[str, dict[str, Any]] | None = None


class _Resource(_Owned):
    """A resource made in a compartment (a volume, a group, an instance)."""

    compartment_id: NonEmpty
    display_name: NonEmpty
    availability_domain: NonEmpty | None = None


class VolumeBody(_Resource):
    size_in_gbs: Annotated[int, Field(ge=1, le=32768, alias="sizeInGBs")] = 50
    volume_group_id: NonEmpty | None = None


class BootVolumeBody(VolumeBody):
    image_id: NonEmpty | None = None
    image_type: Literal["platform", "custom", "marketplace"] = "platform"


class VolumeGroupBody(_Resource):
    volume_ids: list[str]


class _Seed(_Owned):
    """A finished backup made ``ageSeconds`` ago; its events only with ``announce``."""

    display_name: NonEmpty | None = None
    source_type: Literal["MANUAL", "SCHEDULED"] = "MANUAL"
    type: Literal["FULL", "INCREMENTAL"] = "INCREMENTAL"
    age_seconds: Annotated[float, Field(ge=0)] = 0.0
    lifecycle_state: Literal["AVAILABLE", "FAULTY", "TERMINATED"] = "AVAILABLE"
    announce: bool = False
    restore_fails: bool = False  # restores of this backup (and of its copies) come up FAULTY

    def seeded(self) -> dict[str, Any]:
        """What every seed passes on to the backend (``seed_backup``, ``seed_group_backup``), by its names."""
        return {
            "display_name": self.display_name,
            "source_type": self.source_type,
            "backup_type": self.type,
            "age_seconds": self.age_seconds,
            "lifecycle_state": self.lifecycle_state,
            "freeform_tags": self.freeform_tags,
            "defined_tags": self.defined_tags,
            "announce": self.announce,
            "restore_fails": self.restore_fails,
        }


class SeedBackupBody(_Seed):
    volume_id: NonEmpty | None = None
    boot_volume_id: NonEmpty | None = None
    expires_in_seconds: float | None = None
    # the lock fields, as on Create*BackupDetails (wire names; the period counts from the seeded timeCreated)
    retention_period: RetentionDuration | None = None
    is_prevent_deletion_enabled: bool | None = None
    is_retention_lock_enabled: bool | None = None
    is_indefinite_retention_enabled: bool | None = None

    def retention_json(self) -> dict[str, Any]:
        return self.model_dump(include=set(RETENTION_FIELDS), by_alias=True, exclude_none=True)


class SeedGroupBackupBody(_Seed):
    """A finished volume group backup of ``volumeGroupId`` with one member backup per volume of the group."""

    volume_group_id: NonEmpty


class TopicBody(_Body):
    compartment_id: NonEmpty
    name: NonEmpty
    tenancy_id: NonEmpty = DEFAULT_TENANCY
    description: str = ""


class FunctionBody(_Body):
    compartment_id: NonEmpty
    display_name: NonEmpty
    application_id: NonEmpty | None = None
    tenancy_id: NonEmpty = DEFAULT_TENANCY
    socket_path: NonEmpty | None = None  # a running fdk process: sync invokes run there (functions/agent.py)


class InstanceBody(_Resource):
    image_type: Literal["platform", "custom", "marketplace"] = "platform"


class TagGrantsBody(_Body):
    namespaces: list[NonEmpty]
    tenancy_id: NonEmpty = DEFAULT_TENANCY


class ResourceAvailabilityGrantBody(_Body):
    granted: bool
    tenancy_id: NonEmpty = DEFAULT_TENANCY


class ClockBody(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel)
    advance_seconds: Annotated[float, Field(ge=0)] = 0.0


class FaultsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[FaultRule]
    seed: int | None = None
