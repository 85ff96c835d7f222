"""What started this invocation, decided once and parsed into typed models.

- **event**: an OCI Events rule delivers a CloudEvents 0.1 envelope (``cloudEventsVersion``).
- **schedule**: a Resource Scheduler schedule sends its BODY parameter, ``{"trigger": "schedule",
  "schedule": "<name>"}``; a bare invoke with an empty body counts as a schedule run too. A sweep that
  hands over its remainder re-invokes itself with the same body plus ``slot`` and ``resourceIds``.
- **http**: API Gateway (``Fn-Intent: httprequest``) with a JSON body for the handler's request model.
- **direct**: ``fn invoke`` / OCI invoke with a JSON body for the handler's request model.

Envelopes tolerate extra fields (OCI adds them); our own bodies forbid unknown fields.
"""

import json
import re
from enum import StrEnum
from typing import Any, Literal, Self, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.oci.ocid import ocid_problem

SUCCEEDED = "operationSucceed"
MAX_RESOURCE_IDS = 10000  # a schedule body's resourceIds (a sweep hand-over carries at most this many)
M = TypeVar("M", bound=BaseModel)


class TriggerKind(StrEnum):
    EVENT = "event"
    SCHEDULE = "schedule"
    HTTP = "http"
    DIRECT = "direct"


class InputError(ValueError):
    """Bad input: maps to HTTP 400 (or another 4xx) with the field named."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        self.message = message
        self.field = field
        self.status = status
        super().__init__(f"{field}: {message}" if field else message)

    @classmethod
    def from_validation(cls, exc: ValidationError, prefix: str = "") -> Self:
        """The first problem, with its location as a dotted field name; no pydantic prose dump."""
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        if prefix and field:
            field = f"{prefix}.{field}"
        kind = first["type"]
        message = {
            "missing": "this field is required",
            "extra_forbidden": "unknown field",
        }.get(kind, first["msg"])
        return cls(message, field or prefix or None)


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    compartment_id: str | None = Field(default=None, alias="compartmentId")
    compartment_name: str | None = Field(default=None, alias="compartmentName")
    resource_name: str | None = Field(default=None, alias="resourceName")
    resource_id: str = Field(alias="resourceId", min_length=1, max_length=255)
    availability_domain: str | None = Field(default=None, alias="availabilityDomain")
    freeform_tags: dict[str, str] = Field(
        default_factory=dict, validation_alias=AliasChoices("freeformTags", "freeFormTags")
    )
    defined_tags: dict[str, dict[str, Any]] = Field(default_factory=dict, alias="definedTags")
    additional_details: dict[str, Any] = Field(default_factory=dict, alias="additionalDetails")
    status: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_maps(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            for key in ("freeformTags", "freeFormTags", "definedTags", "additionalDetails"):
                if key in raw and raw[key] is None:
                    raw = {**raw, key: {}}
        return raw


class OciEvent(BaseModel):
    """The CloudEvents 0.1 envelope OCI Events delivers to a FAAS action."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    cloud_events_version: Literal["0.1"] = Field(alias="cloudEventsVersion")
    event_type: str = Field(alias="eventType", pattern=r"^com\.oraclecloud\.[a-z0-9.]+$")
    event_id: str = Field(alias="eventID", min_length=1, max_length=200)
    event_time: str | None = Field(default=None, alias="eventTime")
    source: str | None = None
    data: EventData

    @property
    def status(self) -> str | None:
        details = self.data.additional_details.get("status")
        return str(details) if details is not None else self.data.status

    @property
    def succeeded(self) -> bool:
        """``status`` absent counts as success (older payloads); ``operationFailed`` does not."""
        return self.status in (None, SUCCEEDED)


class ScheduleRequest(BaseModel):
    """The BODY of a Resource Scheduler schedule (and of a sweep's hand-over to itself)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    trigger: Literal["schedule"] = "schedule"
    schedule: str = Field(default="default", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    slot: str | None = Field(default=None, max_length=64, pattern=r"^[0-9TZ:-]+$")
    resource_ids: list[str] | None = Field(default=None, alias="resourceIds", max_length=MAX_RESOURCE_IDS)
    dry_run: bool = Field(default=False, alias="dryRun")


def classify(body: bytes, headers: dict[str, str]) -> TriggerKind:
    """The trigger kind from headers and a peek at the body (no validation yet)."""
    if headers.get("fn-intent", "").lower() == "httprequest":
        return TriggerKind.HTTP
    if not body.strip():
        return TriggerKind.SCHEDULE
    doc = _peek(body)
    if isinstance(doc, dict):
        if "cloudEventsVersion" in doc:
            return TriggerKind.EVENT
        if doc.get("trigger") == "schedule":
            return TriggerKind.SCHEDULE
    return TriggerKind.DIRECT


def _peek(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


TOO_DEEP = "the body is nested too deeply"


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InputError("the body is not valid JSON", "body") from None
    except RecursionError:
        raise InputError(TOO_DEEP, "body") from None
    if not isinstance(doc, dict):
        raise InputError("the body must be a JSON object", "body")
    return doc


def _validate(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate(parse_json_object(body))
    except ValidationError as exc:
        raise InputError.from_validation(exc) from None
    except RecursionError:
        raise InputError(TOO_DEEP, "body") from None


def parse_event(body: bytes) -> OciEvent:
    return _validate(OciEvent, body)


def parse_schedule(body: bytes) -> ScheduleRequest:
    if not body.strip():
        return ScheduleRequest()
    return _validate(ScheduleRequest, body)


def parse_request(body: bytes, model: type[M]) -> M:
    return _validate(model, body)


# Block Volume events name the resource they are about: ``create<type>.end`` is about an ``ocid1.<type>``.
_BLOCKVOLUME_EVENT = re.compile(r"^com\.oraclecloud\.blockvolumes\.create([a-z]+?)(?:\.begin|\.end)?$")


def event_resource_types(event_type: str) -> tuple[str, ...]:
    """The OCID resource types an event's ``resourceId`` may have; empty: any (only realm and region checked)."""
    match = _BLOCKVOLUME_EVENT.match(event_type)
    return (match.group(1),) if match else ()


def check_event_ids(event: OciEvent, region: str) -> None:
    """The event's ``resourceId`` is an OCID of the kind the event is about, in this function's realm and region."""
    problem = ocid_problem(event.data.resource_id, kinds=event_resource_types(event.event_type), region=region)
    if problem:
        raise InputError(problem, "data.resourceId")


def check_request_ids(request: BaseModel, region: str) -> None:
    """Every OCID-valued field of a request (``...Id``) is in this function's realm (and region, if it names one)."""
    for name, field in type(request).model_fields.items():
        value = getattr(request, name)
        if name.endswith("_id") and isinstance(value, str):
            problem = ocid_problem(value, region=region)
            if problem:
                raise InputError(problem, field.alias or name)
