"""Tunable behaviour of the emulator (``POST /_emulator/settings``); durations are emulator-clock seconds."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Settings(BaseModel):
    """Accepts snake_case or camelCase keys; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, validate_assignment=True)

    creating_after: float = Field(1.0, ge=0)  # backup REQUEST_RECEIVED -> CREATING
    committed_after: float = Field(30.0, ge=0)  # volume group backup CREATING -> COMMITTED
    available_after: float = Field(60.0, ge=0)  # backup -> AVAILABLE (from creation)
    copy_available_after: float = Field(60.0, ge=0)  # copy in the destination -> AVAILABLE
    copies_keep_source_id: bool = True  # assumption: a copy keeps volumeId / bootVolumeId (False: OCI otherwise)
    terminating_after: float = Field(5.0, ge=0)  # a deleted backup or volume: TERMINATING -> TERMINATED
    # Restores (assumption: OCI publishes no figure; "minutes or hours"): PROVISIONING -> RESTORING after
    # restore_provisioning_after, AVAILABLE (or FAULTY) restore_base_seconds + restore_seconds_per_gb x size
    # after the create call, hydrated hydrate_seconds_per_gb x size after that.
    restore_provisioning_after: float = Field(5.0, ge=0)
    restore_base_seconds: float = Field(60.0, ge=0)
    restore_seconds_per_gb: float = Field(1.5, ge=0)
    hydrate_seconds_per_gb: float = Field(0.5, ge=0)
    # Block Volume service limits per availability domain (assumption: the names and values of a tenancy's
    # limits vary; None: no limit): volumes + boot volumes not TERMINATED, and their GB, counted in an AD.
    max_volumes_per_ad: int | None = Field(None, ge=0)
    max_volume_gb_per_ad: int | None = Field(None, ge=0)
    # Block Volume's regional backup-count limit as the Limits service answers it (OCI's default: 100,000)
    backup_count_limit: int = Field(100_000, ge=0)
    latency_seconds: float = Field(0.0, ge=0)  # added to every API request (not the control API)
    max_clock_skew_seconds: float = Field(300.0, ge=0)
    max_copies_in_flight: int = Field(10, ge=0)  # volume + volume group backup copies per source region
    publish_per_minute: int = Field(60, ge=0)  # PublishMessage per topic, rolling minute
    max_message_bytes: int = Field(65536, ge=1)
    metrics_posts_per_second: int = Field(50, ge=0)  # PostMetricData per tenancy, rolling second
    retry_token_ttl_seconds: float = Field(86400.0, gt=0)
    purged_after: float = Field(3600.0, ge=0)  # TERMINATED this long: purged, its retry tokens invalidated
    purged_listed: bool = True  # List* still show a purged resource (False: gone from lists; OCI does not say when)
    # an Update*'s retentionPeriod counts from the update ("update") or the backup's timeCreated ("created")
    lock_period_from: Literal["update", "created"] = "update"
    home_region: str = "us-ashburn-1"
    subscribed_regions: list[str] | None = None  # None: every region of the realm
