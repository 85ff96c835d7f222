"""OCI Block Volume resources and request bodies as pydantic models (camelCase on the wire).

Responses ignore fields they do not know (the API grows) and keep enum values they do not know
(``lifecycleState`` may gain states); request bodies forbid unknown fields.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

FreeformTags = dict[str, str]
DefinedTags = dict[str, dict[str, Any]]


class LifecycleState(StrEnum):
    REQUEST_RECEIVED = "REQUEST_RECEIVED"
    CREATING = "CREATING"
    COMMITTED = "COMMITTED"
    AVAILABLE = "AVAILABLE"
    TERMINATING = "TERMINATING"
    TERMINATED = "TERMINATED"
    FAULTY = "FAULTY"
    PROVISIONING = "PROVISIONING"
    RESTORING = "RESTORING"
    UPDATE_PENDING = "UPDATE_PENDING"


IN_PROGRESS_STATES = frozenset({LifecycleState.REQUEST_RECEIVED, LifecycleState.CREATING, LifecycleState.COMMITTED})
GONE_STATES = frozenset({LifecycleState.TERMINATING, LifecycleState.TERMINATED})


class BackupType(StrEnum):
    FULL = "FULL"
    INCREMENTAL = "INCREMENTAL"


class SourceType(StrEnum):
    MANUAL = "MANUAL"
    SCHEDULED = "SCHEDULED"


# Known values become the enum; unknown ones stay as the raw string (tolerated, never an error).
State = Annotated[LifecycleState | str, Field(union_mode="left_to_right")]
OpenBackupType = Annotated[BackupType | str, Field(union_mode="left_to_right")]
OpenSourceType = Annotated[SourceType | str, Field(union_mode="left_to_right")]


class OciModel(BaseModel):
    """A resource as OCI returns it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True)


class RequestModel(BaseModel):
    """A request body we send."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True)


class Tagged(OciModel):
    id: str
    compartment_id: str
    display_name: str = ""
    lifecycle_state: State
    time_created: datetime
    freeform_tags: FreeformTags = Field(default_factory=dict)
    defined_tags: DefinedTags = Field(default_factory=dict)


class Volume(Tagged):
    availability_domain: str | None = None
    size_in_gbs: int | None = Field(default=None, alias="sizeInGBs")
    volume_group_id: str | None = None


class RetentionTimeUnit(StrEnum):
    DAYS = "DAYS"
    YEARS = "YEARS"


class RetentionDuration(BaseModel):
    """``RetentionDuration`` ``{"retentionTimeUnit": "DAYS"|"YEARS", "retentionTimeAmount": int}`` (both required)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True)

    retention_time_unit: Annotated[RetentionTimeUnit | str, Field(union_mode="left_to_right")]
    retention_time_amount: int


class BackupBase(Tagged):
    type: OpenBackupType | None = None
    source_type: OpenSourceType | None = None
    expiration_time: datetime | None = None
    time_request_received: datetime | None = None
    kms_key_id: str | None = None
    # Locks (the three backup resources): retention lock, prevent deletion, legal hold. null = not set.
    is_retention_lock_enabled: bool | None = None
    is_prevent_deletion_enabled: bool | None = None
    is_indefinite_retention_enabled: bool | None = None
    retention_period: RetentionDuration | None = None
    time_retention_expires_at: datetime | None = None

    @property
    def source_id(self) -> str | None:
        """The volume / boot volume / volume group this backup was taken of."""
        return None

    @property
    def copied_from(self) -> str | None:
        """For a cross-region copy: the backup it was copied from."""
        return None

    @property
    def group_backup_id(self) -> str | None:
        """For a member of a volume group backup: that group backup."""
        return None


class VolumeBackup(BackupBase):
    volume_id: str | None = None
    source_volume_backup_id: str | None = None
    volume_group_backup_id: str | None = None
    size_in_gbs: int | None = Field(default=None, alias="sizeInGBs")
    unique_size_in_gbs: int | None = Field(default=None, alias="uniqueSizeInGBs")

    @property
    def source_id(self) -> str | None:
        return self.volume_id

    @property
    def copied_from(self) -> str | None:
        return self.source_volume_backup_id

    @property
    def group_backup_id(self) -> str | None:
        return self.volume_group_backup_id


# --- request bodies -------------------------------------------------------------------------


class TagsUpdate(RequestModel):
    display_name: str | None = None
    freeform_tags: FreeformTags | None = None
    defined_tags: DefinedTags | None = None


class LockRequest(RequestModel):
    """The lock fields of Create*BackupDetails and Update*BackupDetails (none on Copy*Details)."""

    is_retention_lock_enabled: bool | None = None
    is_prevent_deletion_enabled: bool | None = None
    is_indefinite_retention_enabled: bool | None = None
    retention_period: RetentionDuration | None = None


class BackupUpdate(TagsUpdate, LockRequest):
    """UpdateVolumeBackupDetails / UpdateBootVolumeBackupDetails / UpdateVolumeGroupBackupDetails: name, tags, lock."""


class CreateVolumeBackupDetails(BackupUpdate):
    volume_id: str
    type: BackupType | None = None
    kms_key_id: str | None = None


class CopyBackupDetails(RequestModel):
    """CopyVolumeBackupDetails / CopyBootVolumeBackupDetails / CopyVolumeGroupBackupDetails."""

    destination_region: str
    display_name: str | None = None
    kms_key_id: str | None = None


class MessageDetails(RequestModel):
    title: str | None = None
    body: str


class PublishResult(OciModel):
    message_id: str
    time_stamp: datetime | None = None


# --- Notifications ---------------------------------------------------------------------------


class NotificationTopic(OciModel):
    """GetTopic: the topic and its ``apiEndpoint`` (PublishMessage goes there)."""

    topic_id: str
    api_endpoint: str
    name: str = ""
