"""Recovery mode's config keys and its request: ``{"recover": {...}}`` (plan, or apply with ``planId``)
and ``{"recover": {..., "planId"}, "status": true}`` (progress).

What the body alone shows wrong is refused while it is parsed (a 400 naming the field); what needs the
settings or OCI (the target outside ``RECOVERY_COMPARTMENT_IDS``, a region the tenancy has not enabled,
a point in time before the oldest kept backup, a scope that matches nothing) is refused by
``functions/restore_backup/recovery.py`` before anything is created, with the same kind of answer.
"""

from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.errors import BadRequest
from shared.settings import CommonSettings, CsvList, TagSelector, check_ocids, is_region_name
from shared.triggers import MAX_RESOURCE_IDS, region_ocid

COMPARTMENT_TYPES = ("compartment", "tenancy")
SOURCE_TYPES = ("volume", "bootvolume", "volumegroup")


class RecoveryKeys(CommonSettings):
    """``RECOVERY_COMPARTMENT_IDS``: the only compartments a recovery may create in (unset: recovery is
    off); ``RECOVERY_ALLOWED_SUBJECTS``: the gateway subjects that may apply a plan over HTTP (unset: none)."""

    recovery_compartment_ids: CsvList = Field(default_factory=list, alias="RECOVERY_COMPARTMENT_IDS")
    recovery_allowed_subjects: CsvList = Field(default_factory=list, alias="RECOVERY_ALLOWED_SUBJECTS")

    @field_validator("recovery_compartment_ids")
    @classmethod
    def _recovery_ocids(cls, value: list[str]) -> list[str]:
        return check_ocids(value)


class Recover(BaseModel):
    """``{"region", "compartmentId" | "selector", "pointInTime"?, "targetCompartmentId",
    "availabilityDomain"?, "planId"?}``; ``sourceIds`` is what a hand-over to itself still has to create."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    region: str = Field(min_length=1, max_length=64)
    compartment_id: str | None = Field(default=None, alias="compartmentId")
    selector: str | None = Field(default=None, max_length=356)
    point_in_time: AwareDatetime | None = Field(default=None, alias="pointInTime")
    target_compartment_id: str = Field(alias="targetCompartmentId")
    availability_domain: str | None = Field(
        default=None, alias="availabilityDomain", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9:_.-]+$"
    )
    plan_id: str | None = Field(default=None, alias="planId", pattern=r"^[0-9a-f]{40}$")
    source_ids: list[str] | None = Field(default=None, alias="sourceIds", min_length=1, max_length=MAX_RESOURCE_IDS)

    @field_validator("region")
    @classmethod
    def _region_name(cls, value: str) -> str:
        if not is_region_name(value):
            raise ValueError(f"{value!r} is not a region name (e.g. us-phoenix-1)")
        return value

    @field_validator("compartment_id", "target_compartment_id")
    @classmethod
    def _compartment(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else region_ocid(value, info, COMPARTMENT_TYPES, any_region=True)

    @field_validator("selector")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is not None:
            TagSelector.parse(value)
        return value

    @field_validator("point_in_time")
    @classmethod
    def _not_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > datetime.now(UTC):
            raise ValueError("is in the future: a recovery point must be now or earlier")
        return value

    @field_validator("source_ids")
    @classmethod
    def _sources(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        for source in value or []:
            region_ocid(source, info, SOURCE_TYPES, any_region=True)
        return value

    @property
    def tag_selector(self) -> TagSelector | None:
        return TagSelector.parse(self.selector) if self.selector else None

    def handed_over(self, point_in_time: datetime, source_ids: list[str]) -> dict[str, Any]:
        """The body of a detached invocation that creates what is left: same plan, same point in time."""
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        body.update({"pointInTime": point_in_time.isoformat(), "sourceIds": source_ids})
        return {"recover": body}


def check_shape(recover: Recover, status: bool) -> None:
    """What one field alone cannot say: exactly one scope; ``sourceIds`` and ``"status": true`` only with a
    ``planId``. A 400 naming the field."""
    if recover.compartment_id is None and recover.selector is None:
        raise BadRequest(
            'give "compartmentId" or "selector" (key=value): the scope to recover', "recover.compartmentId"
        )
    if recover.compartment_id is not None and recover.selector is not None:
        raise BadRequest('give either "compartmentId" or "selector", not both', "recover.selector")
    if recover.source_ids is not None and recover.plan_id is None:
        raise BadRequest('"sourceIds" only comes with a "planId"', "recover.sourceIds")
    if status and recover.plan_id is None:
        raise BadRequest('"status": true asks for the progress of an applied plan: give its "planId"', "recover.planId")
