"""One exception class per OCI error code, each with its fixed HTTP status (https://docs.oracle.com/iaas/Content/API/References/apierrors.htm)."""

from __future__ import annotations

from typing import ClassVar


class OciError(Exception):
    """An error answer: ``{"code": code, "message": message}`` with ``status``."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "InternalServerError"
    default_message: ClassVar[str] = "Internal error."

    def __init__(self, message: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class CannotParseRequest(OciError):
    status, code, default_message = 400, "CannotParseRequest", "The request body could not be parsed."


class InvalidParameter(OciError):
    status, code, default_message = 400, "InvalidParameter", "A parameter has an invalid value."


class MissingParameter(OciError):
    status, code, default_message = 400, "MissingParameter", "A required parameter is missing."


class LimitExceeded(OciError):
    status, code, default_message = 400, "LimitExceeded", "A service limit was reached."


class RelatedResourceNotAuthorizedOrNotFound(OciError):
    status, code, default_message = (
        400,
        "RelatedResourceNotAuthorizedOrNotFound",
        "A resource named in the request is not authorized or not found.",
    )


class NotAuthenticated(OciError):
    status, code, default_message = (
        401,
        "NotAuthenticated",
        "The required information to complete authentication was not provided or was incorrect.",
    )


class NotAuthorizedOrNotFound(OciError):
    status, code, default_message = (
        404,
        "NotAuthorizedOrNotFound",
        "Authorization failed or requested resource not found.",
    )


class NotFound(OciError):
    status, code, default_message = 404, "NotFound", "No such path."


class MethodNotAllowed(OciError):
    status, code, default_message = 405, "MethodNotAllowed", "The method is not allowed on this path."


class IncorrectState(OciError):
    status, code, default_message = 409, "IncorrectState", "The resource is not in a state that allows this operation."


class Conflict(OciError):
    status, code, default_message = 409, "Conflict", "The request conflicts with the resource's state."


class InvalidatedRetryToken(OciError):
    status, code, default_message = 409, "InvalidatedRetryToken", "The retry token was used for a different request."


class NoEtagMatch(OciError):
    status, code, default_message = 412, "NoEtagMatch", "The if-match etag does not match the resource's etag."


class PayloadTooLarge(OciError):
    status, code, default_message = 413, "PayloadTooLarge", "The request payload is too large."


class TooManyRequests(OciError):
    status, code, default_message = 429, "TooManyRequests", "Too many requests."


class InternalServerError(OciError):
    status, code, default_message = 500, "InternalServerError", "Internal error."


class ServiceUnavailable(OciError):
    status, code, default_message = 503, "ServiceUnavailable", "The service is unavailable."


class MethodNotImplemented(OciError):
    status, code, default_message = 501, "MethodNotImplemented", "The method is not implemented."


BY_STATUS: dict[int, type[OciError]] = {
    429: TooManyRequests,
    500: InternalServerError,
    501: MethodNotImplemented,
    503: ServiceUnavailable,
}


def error_for_status(status: int, message: str) -> OciError:
    """An injected error answer: the OCI error of the status; other 5xx (502, 504, 505, ...) answer
    with the code ``InternalServerError`` (the code OCI uses for them is not documented)."""
    cls: type[OciError] = BY_STATUS.get(status) or type(
        f"ServerError{status}", (InternalServerError,), {"status": status}
    )
    return cls(message)
