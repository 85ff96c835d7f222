"""Typed errors: one class per OCI error code we branch on; catch by type, never by string."""

from __future__ import annotations

from typing import ClassVar


class OciError(Exception):
    """Base of everything the OCI client raises."""


class OciServiceError(OciError):
    """OCI answered with a non-2xx status; carries what support needs (opc-request-id)."""

    CODE: ClassVar[str | None] = None

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        opc_request_id: str | None = None,
        operation: str = "",
        attempts: int = 1,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.opc_request_id = opc_request_id
        self.operation = operation
        self.attempts = attempts
        super().__init__(str(self))

    def __str__(self) -> str:
        retried = f" (after {self.attempts} attempts)" if self.attempts > 1 else ""
        return (
            f"{self.operation or 'OCI call'} failed: {self.status} {self.code}: {self.message}"
            f" [opc-request-id {self.opc_request_id}]{retried}"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (
            type(self),
            (self.status, self.code, self.message, self.opc_request_id, self.operation, self.attempts),
        )


class NotAuthenticated(OciServiceError):
    CODE = "NotAuthenticated"


class NotAuthorizedOrNotFound(OciServiceError):
    CODE = "NotAuthorizedOrNotFound"


class InvalidParameter(OciServiceError):
    CODE = "InvalidParameter"


class LimitExceeded(OciServiceError):
    CODE = "LimitExceeded"


class IncorrectState(OciServiceError):
    CODE = "IncorrectState"


class Conflict(OciServiceError):
    CODE = "Conflict"


class InvalidatedRetryToken(OciServiceError):
    CODE = "InvalidatedRetryToken"


class NoEtagMatch(OciServiceError):
    CODE = "NoEtagMatch"


class TooManyRequests(OciServiceError):
    CODE = "TooManyRequests"


class PayloadTooLarge(OciServiceError):
    CODE = "PayloadTooLarge"


ERRORS_BY_CODE: dict[str, type[OciServiceError]] = {
    cls.CODE: cls
    for cls in (
        NotAuthenticated,
        NotAuthorizedOrNotFound,
        InvalidParameter,
        LimitExceeded,
        IncorrectState,
        Conflict,
        InvalidatedRetryToken,
        NoEtagMatch,
        TooManyRequests,
        PayloadTooLarge,
    )
    if cls.CODE
}


def service_error(
    status: int, code: str | None, message: str, opc_request_id: str | None, operation: str, attempts: int
) -> OciServiceError:
    """The most specific error class for a status + code (429 is TooManyRequests whatever the code)."""
    cls = ERRORS_BY_CODE.get(code or "", OciServiceError)
    if status == 429:
        cls = TooManyRequests
    return cls(status, code, message, opc_request_id, operation, attempts)


class OciTransportError(OciError):
    """The request never got an HTTP answer (connection refused/reset, timeout), after retries."""

    def __init__(self, operation: str, reason: str, attempts: int, host: str = "") -> None:
        self.operation = operation
        self.reason = reason
        self.attempts = attempts
        self.host = host
        where = f" to {host}" if host else ""
        super().__init__(f"{operation} failed: no answer{where}: {reason} (after {attempts} attempts)")


class DeadlineExceeded(OciError):
    """Not enough time is left before the caller's deadline to start or retry a call."""


class MessageTooLarge(OciError):
    """A notification exceeds the 64 KB PublishMessage limit; raised before sending."""


class UnsafePath(OciError):
    """A request URL whose path is not made of plain ids (``..``, ``?``, ``/`` or ``%`` inside an id); never sent."""


class KeptChanging(OciError):
    """A conditional update (``if-match``) met a concurrent change on every one of its attempts."""

    def __init__(self, resource_id: str, attempts: int) -> None:
        self.resource_id = resource_id
        self.attempts = attempts
        super().__init__(f"changed by someone else on each of {attempts} attempt{'s' if attempts > 1 else ''}")
