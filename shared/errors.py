"""The refusals a function answers with, typed by their HTTP status (as ``shared/oci/errors.py`` types OCI's).

Raised anywhere before or during a run; the runtime answers ``{"status", "error": {"status", "code",
"message", "field"?}}`` with the status of the class (and any ``extra`` fields beside ``error``) and changes
nothing. A refusal of a request a handler had already accepted as well formed (``Forbidden``) is also
published as the run's digest, so the refusal is on record.
"""

from typing import Any, ClassVar, Self

from pydantic import ValidationError


class HttpError(ValueError):
    """A request refused with ``status``; ``field`` names the part of the request that is wrong."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "InvalidParameter"
    published: ClassVar[bool] = False  # raised by a handler: the refusal is also the run's digest

    def __init__(self, message: str, field: str | None = None, extra: dict[str, Any] | None = None) -> None:
        self.message = message
        self.field = field
        self.extra = extra or {}
        super().__init__(f"{field}: {message}" if field else message)


class BadRequest(HttpError):
    status = 400
    code = "InvalidParameter"

    @classmethod
    def from_validation(cls, exc: ValidationError, prefix: str = "") -> Self:
        """The first problem, with its location as a dotted field name; no pydantic prose dump."""
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        if prefix and field:
            field = f"{prefix}.{field}"
        message = {"missing": "this field is required", "extra_forbidden": "unknown field"}.get(
            first["type"], first["msg"]
        )
        return cls(message, field or prefix or None)


class Unauthorized(HttpError):
    status = 401
    code = "NotAuthenticated"


class Forbidden(HttpError):
    status = 403
    code = "NotAuthorized"
    published = True


class Conflict(HttpError):
    """The request no longer matches the state it was made for (e.g. a plan computed again differs)."""

    status = 409
    code = "Conflict"


class MethodNotAllowed(HttpError):
    status = 405
    code = "MethodNotAllowed"


class PayloadTooLarge(HttpError):
    status = 413
    code = "PayloadTooLarge"


class UnsupportedMediaType(HttpError):
    status = 415
    code = "UnsupportedMediaType"
