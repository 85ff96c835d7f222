"""Structured logs: one JSON object per line on stderr, with the call's correlation ids.

Keys come in a fixed order (level, timestamp, message, function, call_id, correlation_id,
opc_request_id, then the event's own fields). Secrets never reach the output: fields whose name
looks like a key, token, signature or authorization are redacted by a filter.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final

LOGGER_NAME: Final = "obb"
ORDER: Final = ("level", "timestamp", "message", "function", "call_id", "correlation_id", "opc_request_id")
SECRET_MARKERS: Final = (
    "authorization",
    "signature",
    "private",
    "token",
    "passphrase",
    "pass_phrase",
    "secret",
)
NOISY_LOGGERS: Final = ("urllib3", "asyncio", "fdk", "fn", "charset_normalizer", "requests")

_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("obb_log_context", default={})  # noqa: B039


def bind(**fields: str | None) -> None:
    """Add correlation fields (function, call_id, correlation_id, ...) to every later line."""
    current = dict(_context.get())
    current.update({k: v for k, v in fields.items() if v})
    _context.set(current)


def clear() -> None:
    """Forget the previous call's fields (start of each invocation)."""
    _context.set({})


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: ("[redacted]" if is_secret(k) else v) for k, v in fields.items()}
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "level": record.levelname,
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "message": record.getMessage(),
        }
        doc.update(_context.get())
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            doc.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            doc["error_type"] = record.exc_info[0].__name__
            doc["error"] = str(record.exc_info[1])
        ordered: dict[str, Any] = {k: doc.pop(k) for k in ORDER if k in doc}
        ordered.update(doc)
        return json.dumps(ordered, default=str, separators=(",", ":"))


def configure(level: int = logging.INFO) -> logging.Logger:
    """Install the JSON handler once; undo fdk's root-at-DEBUG so libraries stay quiet."""
    logging.getLogger().setLevel(logging.WARNING)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    logger.propagate = False
    if not any(getattr(h, "_obb", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RedactingFilter())
        handler._obb = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return logger


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def event(message: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event line with extra fields."""
    get_logger().log(level, message, extra={"fields": fields})
