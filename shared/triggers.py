"""What started this invocation: the body parsed once into one of three values.

- ``EventTrigger``: an OCI Events rule delivers a CloudEvents 0.1 envelope (``cloudEventsVersion``).
- ``ScheduleTrigger``: a Resource Scheduler schedule sends its BODY parameter, ``{"trigger": "schedule",
  "schedule": "<name>"}``; a bare invoke with an empty body counts as a schedule run too. A sweep that
  hands over its remainder re-invokes itself with the same body plus ``slot`` and a ``cursor`` (or
  ``resourceIds``).
- ``RequestTrigger``: a JSON body for the handler's request model, through API Gateway (``Fn-Intent:
  httprequest``, authenticated first by ``shared/gateway.py``) or a direct ``fn invoke`` / OCI invoke.

Each value says what the runtime needs of it: the trigger kind, where its idempotency key and its
correlation id come from, its dry-run flag and its target ids. OCIDs are checked once, while the body
is validated: the function's region is in the validation context (``region_ocid``), so an id of the wrong
kind, realm or region is a 400 naming the field. Envelopes tolerate extra fields (OCI adds them); our
own bodies forbid unknown fields.
"""

import json
import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Literal, NamedTuple, TypeVar

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.errors import BadRequest
from shared.oci.ocid import ocid_problem
from shared.rules.idempotency import schedule_slot

SUCCEEDED = "operationSucceed"
MAX_RESOURCE_IDS = 10000  # a schedule body's resourceIds (a sweep hand-over carries at most this many)
M = TypeVar("M", bound=BaseModel)


class TriggerKind(StrEnum):
    EVENT = "event"
    SCHEDULE = "schedule"
    HTTP = "http"
    DIRECT = "direct"


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


def region_ocid(value: str, info: ValidationInfo, kinds: Iterable[str] = (), *, any_region: bool = False) -> str:
    """A field validator's check: ``value`` is an OCID of one of ``kinds``, in the realm (and, unless
    ``any_region``, the region) of the function, when the validation context names its ``region``."""
    region = info.context.get("region") if isinstance(info.context, dict) else None
    problem = ocid_problem(value, kinds=kinds, region=region, any_region=any_region)
    if problem:
        raise ValueError(problem)
    return value


# Block Volume events name the resource they are about: ``create<type>.end`` is about an ``ocid1.<type>``.
_BLOCKVOLUME_EVENT = re.compile(r"^com\.oraclecloud\.blockvolumes\.create([a-z]+?)(?:\.begin|\.end)?$")


def event_resource_types(event_type: str) -> tuple[str, ...]:
    """The OCID resource types an event's ``resourceId`` may have; empty: any (only realm and region checked)."""
    match = _BLOCKVOLUME_EVENT.match(event_type)
    return (match.group(1),) if match else ()


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


class SweepCursor(BaseModel):
    """Where a handed-over sweep goes on: the compartment and kind it had reached, the page of that
    listing holding the first resource not started (``page``: the token that lists it, none for the first
    page) and that resource's id (``startId``: a volume, boot volume or volume group for create-backup, a
    volume group backup for retag-group-backup). The next run lists from there on: what came before it in
    the page is skipped, what came before the page and the compartments and kinds already done are not
    listed again."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    compartment_id: str = Field(alias="compartmentId", min_length=1, max_length=255)
    kind: Literal["volume", "bootvolume", "volumegroup"]
    page: str | None = Field(default=None, min_length=1, max_length=2048, pattern=r"^[\x21-\x7e]+$")
    start_id: str = Field(alias="startId", min_length=1, max_length=255)

    @field_validator("compartment_id")
    @classmethod
    def _compartment(cls, value: str, info: ValidationInfo) -> str:
        return region_ocid(value, info, ("compartment", "tenancy"), any_region=True)

    @field_validator("start_id")
    @classmethod
    def _start(cls, value: str, info: ValidationInfo) -> str:
        return region_ocid(value, info, ("volume", "bootvolume", "volumegroup", "volumegroupbackup"))


class ScheduleRequest(BaseModel):
    """The BODY of a Resource Scheduler schedule (and of a sweep's hand-over to itself)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    trigger: Literal["schedule"] = "schedule"
    schedule: str = Field(default="default", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    slot: str | None = Field(default=None, max_length=64, pattern=r"^[0-9TZ:-]+$")
    resource_ids: list[str] | None = Field(default=None, alias="resourceIds", max_length=MAX_RESOURCE_IDS)
    cursor: SweepCursor | None = None
    # a measuring sweep's posture counted so far (create-backup's posture document), handed over with the cursor
    posture: dict[str, Any] | None = None
    dry_run: bool = Field(default=False, alias="dryRun")

    @model_validator(mode="after")
    def _one_remainder(self) -> "ScheduleRequest":
        if self.cursor is not None and self.resource_ids:
            raise ValueError("a hand-over names its remainder by resourceIds or by cursor, not both")
        if self.posture is not None and self.cursor is None:
            raise ValueError("a posture counted so far comes with the cursor of the sweep that counted it")
        return self

    @property
    def handed_over(self) -> bool:
        """A hand-over run: part of the fleet (``resourceIds`` or a ``cursor``), not all of it."""
        return bool(self.resource_ids) or self.cursor is not None

    @property
    def only(self) -> set[str] | None:
        """The resources a hand-over names (None: the whole scope)."""
        return set(self.resource_ids) if self.resource_ids else None


# --- the three values ----------------------------------------------------------------------------


class EventTrigger(NamedTuple):
    event: OciEvent

    @property
    def kind(self) -> TriggerKind:
        return TriggerKind.EVENT

    @property
    def key_parts(self) -> tuple[str, ...]:
        """A redelivered event is the same run: its id and resource name it."""
        return (self.event.event_id, self.event.data.resource_id)

    @property
    def correlation_id(self) -> str:
        return self.event.event_id

    @property
    def dry_run(self) -> bool:
        return False

    @property
    def target_ids(self) -> list[str]:
        return [self.event.data.resource_id]

    @property
    def read_only(self) -> bool:
        return False


class ScheduleTrigger(NamedTuple):
    schedule: ScheduleRequest  # ``slot`` always set: the schedule's, or the one the run started in

    @property
    def kind(self) -> TriggerKind:
        return TriggerKind.SCHEDULE

    @property
    def key_parts(self) -> tuple[str, ...]:
        """One run per schedule and slot: a hand-over of the same slot uses the same retry tokens."""
        return (self.schedule.schedule, self.schedule.slot or "")

    @property
    def correlation_id(self) -> str | None:
        return None

    @property
    def dry_run(self) -> bool:
        return self.schedule.dry_run

    @property
    def target_ids(self) -> list[str]:
        return list(self.schedule.resource_ids or [])

    @property
    def read_only(self) -> bool:
        return False


class RequestTrigger(NamedTuple, Generic[M]):
    request: M
    via_gateway: bool
    idempotency_key: str | None = None  # the gateway client's ``Idempotency-Key``
    request_id: str | None = None  # the gateway client's ``opc-request-id``
    call_id: str = ""
    subject: str | None = None  # the authenticated gateway subject (``X-Auth-Subject``); None on a direct invoke

    @property
    def kind(self) -> TriggerKind:
        return TriggerKind.HTTP if self.via_gateway else TriggerKind.DIRECT

    @property
    def key_parts(self) -> tuple[str, ...]:
        """A manual request is a new request unless it says otherwise: the caller's ``Idempotency-Key``
        names it, else the platform's call id does (a retry of the same call is still recognised)."""
        return ("idempotency-key", self.idempotency_key) if self.idempotency_key else ("call", self.call_id)

    @property
    def correlation_id(self) -> str | None:
        return self.request_id

    @property
    def dry_run(self) -> bool:
        return bool(getattr(self.request, "dry_run", False))

    @property
    def target_ids(self) -> list[str]:
        dumped = self.request.model_dump()
        return [v for k, v in dumped.items() if k.endswith("_id") and isinstance(v, str)]

    @property
    def read_only(self) -> bool:
        """A question (e.g. ``{"posture": true}``): answered, nothing published, no metrics."""
        return bool(getattr(self.request, "read_only", False))


# --- parsing: JSON once, then the model its shape calls for ---------------------------------------

TOO_DEEP = "the body is nested too deeply"


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON", "body") from None
    except RecursionError:
        raise BadRequest(TOO_DEEP, "body") from None
    if not isinstance(doc, dict):
        raise BadRequest("the body must be a JSON object", "body")
    return doc


def _validate(model: type[M], doc: dict[str, Any], region: str | None) -> M:
    try:
        return model.model_validate(doc, context={"region": region})
    except ValidationError as exc:
        raise BadRequest.from_validation(exc) from None
    except RecursionError:
        raise BadRequest(TOO_DEEP, "body") from None


def parse_trigger(
    body: bytes,
    request_model: type[M],
    *,
    region: str | None,
    now: datetime,
    slot_minutes: int,
    call_id: str = "",
) -> EventTrigger | ScheduleTrigger | RequestTrigger[M]:
    """A body that did not come through API Gateway: an event, a schedule or a direct request.

    The JSON is parsed once; its shape picks the model (``cloudEventsVersion``: an event; ``"trigger":
    "schedule"`` or an empty body: a schedule; anything else: the handler's request model)."""
    doc = parse_json_object(body) if body.strip() else None
    if doc is None or doc.get("trigger") == "schedule":
        return _schedule(_validate(ScheduleRequest, doc or {}, region), now, slot_minutes)
    if "cloudEventsVersion" in doc:
        event = _validate(OciEvent, doc, region)
        # the resource is of the kind the event is about, in this function's realm and region
        problem = ocid_problem(event.data.resource_id, kinds=event_resource_types(event.event_type), region=region)
        if problem:
            raise BadRequest(problem, "data.resourceId")
        return EventTrigger(event)
    return RequestTrigger(_validate(request_model, doc, region), via_gateway=False, call_id=call_id)


def parse_gateway_request(
    body: bytes,
    request_model: type[M],
    *,
    region: str | None,
    call_id: str,
    idempotency_key: str | None,
    request_id: str | None,
    subject: str | None = None,
) -> RequestTrigger[M]:
    """The body of an authenticated API Gateway request (an empty body is ``{}``)."""
    doc = parse_json_object(body) if body.strip() else {}
    request = _validate(request_model, doc, region)
    return RequestTrigger(request, True, idempotency_key or None, request_id or None, call_id, subject or None)


def _schedule(schedule: ScheduleRequest, now: datetime, slot_minutes: int) -> ScheduleTrigger:
    if not schedule.slot:
        schedule = schedule.model_copy(update={"slot": schedule_slot(now, slot_minutes)})
    return ScheduleTrigger(schedule)
