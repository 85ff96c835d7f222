"""The request/response types every service handler sees, and the base response class.

A handler class (one per service, like moto's ``*Response``) is built per request with the parsed
``ApiRequest`` and the world; one method per operation parses, calls the backend, serialises.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .exceptions import CannotParseRequest, InvalidParameter, MissingParameter, NoEtagMatch, OciError
from .idempotency import RetryTokenStore
from .keys import Principal
from .regions import Region
from .state import World
from .tags import check_defined_tag_writes

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

MAX_RETRY_TOKEN_LENGTH = 64


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # decoded path after the region prefix, e.g. /20160918/volumeBackups
    region: Region
    principal: Principal
    operation: str
    params: Mapping[str, str]  # path parameters
    query: Mapping[str, str]  # first value of each query parameter
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    base_url: str  # scheme://host[:port] the client used
    host: str = ""  # the emulated OCI host label (iaas, fn-{key}, ...); "" in the old {base}/{region} layout


@dataclass
class ApiResponse:
    status: int = 200
    body: Any = None  # JSON-serialisable, or None for no body
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    # The real answer, produced once the world lock is released (a function run calling back into the emulator).
    after_lock: Callable[[], ApiResponse] | None = None

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode()


def error_response(error: OciError) -> ApiResponse:
    return ApiResponse(status=error.status, body=error.body(), headers=dict(error.headers))


def parse_json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise CannotParseRequest("The request body is empty; a JSON object is required.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise CannotParseRequest("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise CannotParseRequest("The request body must be a JSON object.")
    return data


def validate(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate a body; the first problem becomes 400 InvalidParameter naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        raise InvalidParameter(f"Invalid value for '{loc}': {err['msg']}.") from None


class BaseResponse:
    """Helpers shared by the service handler classes."""

    def __init__(self, request: ApiRequest, world: World) -> None:
        self.request = request
        self.world = world

    @property
    def tenancy_id(self) -> str:
        return self.request.principal.tenancy_id

    @property
    def region(self) -> Region:
        return self.request.region

    @property
    def now(self) -> float:
        return self.world.clock.now()

    def param(self, name: str) -> str:
        return self.request.params[name]

    def query(self, name: str, required: bool = False) -> str | None:
        value = self.request.query.get(name)
        if required and not value:
            raise MissingParameter(f"The query parameter '{name}' is required.")
        return value or None

    def body_data(self) -> dict[str, Any]:
        return parse_json_object(self.request.body)

    def body(self, model: type[M]) -> M:
        return validate(model, self.body_data())

    def check_tag_writes(self, written: Any, current: Any = None) -> None:
        """Refuse defined tags of a namespace this tenancy was not granted (``core/tags.py``)."""
        check_defined_tag_writes(self.world.tag_grants.get(self.tenancy_id, set()), written, current)

    def check_if_match(self, etag: str) -> None:
        expected = self.request.headers.get("if-match")
        if expected is not None and expected.strip() not in ("*", etag):
            raise NoEtagMatch()

    def retry_token(self) -> str | None:
        token = self.request.headers.get("opc-retry-token")
        if token is None:
            return None
        if not 1 <= len(token) <= MAX_RETRY_TOKEN_LENGTH:
            raise InvalidParameter("Invalid value for 'opc-retry-token': must be 1 to 64 characters.")
        return token

    def json(self, body: Any, status: int = 200, etag: str | None = None, **headers: str) -> ApiResponse:
        out = {k.replace("_", "-"): v for k, v in headers.items()}
        if etag is not None:
            out["etag"] = etag
        return ApiResponse(status=status, body=body, headers=out)

    def idempotent(
        self,
        store: RetryTokenStore,
        create: Callable[[], T],
        purged: Callable[[T], bool] = lambda result: False,
    ) -> T:
        """Run ``create`` once per retry token: same token + same request -> the first result, unless
        ``purged`` says it was deleted and purged since (409 ``InvalidatedRetryToken``)."""
        token = self.retry_token()
        if token is None:
            return create()
        ttl = self.world.settings.retry_token_ttl_seconds
        found = store.lookup(self.request.operation, token, self.now, ttl, purged)
        if found is not None:
            result: T = found
            return result
        result = create()
        store.store(self.request.operation, token, result, self.now)
        return result
