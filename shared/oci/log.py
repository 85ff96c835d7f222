"""The OCI client's log events: standard ``logging`` records under ``obb.oci``, fields in ``extra``.

The client knows nothing of the function framework: an application formats these records as it
likes (the framework's JSON handler on ``obb`` writes each field as a key). No secret is ever
passed as a field.
"""

from __future__ import annotations

import logging
from typing import Any, Final

LOGGER_NAME: Final = "obb.oci"


def event(message: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with its fields (``record.fields``)."""
    logging.getLogger(LOGGER_NAME).log(level, message, extra={"fields": fields})
