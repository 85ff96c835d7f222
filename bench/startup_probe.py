"""Where our cold start goes above the stack floor, in CPU time, measured inside one process.

    python bench/startup_probe.py < events.json   (two events; env: the function's config, PYTHONPATH: the repo)

First everything the stack floor has (the fdk's own imports, requests, cryptography, pydantic and
one model built, as ``stack_floor_handler`` does); then, timed with ``time.process_time``: our
imports (``func`` and the handler module), the first invocation (``shared.runtime.process`` on the
event: config, models' schemas built on first use, credentials, the API calls, the digest) and a
second one on another new volume's event (the same API calls and work, everything already built).
``pydantic`` is the part of imports and first invocation spent creating our pydantic model classes and
building their schemas (pydantic's ``ModelMetaclass.__new__`` and ``complete_model_class``, timed).
Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import fdk.response  # the fdk's own imports come before the handler's
import fdk.scripts.fdk  # noqa: F401
import requests  # noqa: F401
from cryptography.hazmat.primitives import hashes, serialization  # noqa: F401
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: F401
from pydantic import BaseModel, Field
from pydantic._internal import _model_construction


class Answer(BaseModel):  # the stack floor builds one model: pydantic's first-build cost is the floor's
    status: str = Field(default="ok")
    session: str


class PydanticClock:
    """CPU seconds spent in pydantic creating model classes and building their schemas, once installed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._new = _model_construction.ModelMetaclass.__new__
        self._complete = _model_construction.complete_model_class

    def install(self) -> None:
        clock, new, complete = self, self._new, self._complete

        def timed_new(mcs: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return new(mcs, *args, **kwargs)
            finally:
                clock.seconds += time.process_time() - started

        def timed_complete(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return complete(*args, **kwargs)
            finally:
                clock.seconds += time.process_time() - started

        _model_construction.ModelMetaclass.__new__ = timed_new  # type: ignore[method-assign]
        _model_construction.complete_model_class = timed_complete


def main() -> int:
    Answer(session="probe").model_dump_json()
    pydantic_clock = PydanticClock()
    pydantic_clock.install()
    first_event, second_event = (json.dumps(event).encode() for event in json.load(sys.stdin))
    started = time.process_time()
    import func  # noqa: F401
    import functions.create_backup  # noqa: F401
    from shared import runtime

    imported = time.process_time()
    first = runtime.process(os.environ, {"fn-call-id": "probe-1"}, first_event)
    answered = time.process_time()
    in_pydantic = pydantic_clock.seconds
    second = runtime.process(os.environ, {"fn-call-id": "probe-2"}, second_event)
    again = time.process_time()
    ok = first.status == 200 and second.status == 200
    print(
        json.dumps(
            {
                "ok": ok,
                "imports": imported - started,
                "first": answered - imported,
                "second": again - answered,
                "pydantic": in_pydantic,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
