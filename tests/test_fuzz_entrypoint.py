"""Thousands of malformed bodies, headers and events at the real fdk entrypoint: every answer is a 4xx
JSON error (never a 5xx, never a crash) and nothing is written to OCI."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import EmulatorControl
from tests.conftest import GATEWAY_HEADERS, StartFunction
from tests.fdk_harness import FdkProcess

FUZZ = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
header_text = st.text(alphabet=string.ascii_letters + string.digits + " -_.:/=+;,", max_size=40)
junk_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30))
junk_values = st.recursive(
    junk_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
not_an_ocid = st.one_of(junk_scalars, st.text(max_size=60).filter(lambda s: not s.startswith("ocid1.")))
TARGETS = ("volumeId", "bootVolumeId", "volumeGroupId", "compartmentId")

# Bodies that can never be a valid create-backup request: wrong shapes, unknown keys, bad values.
invalid_requests = st.one_of(
    st.binary(min_size=1, max_size=200).filter(lambda b: bool(b.strip())),
    st.builds(json.dumps, st.one_of(junk_scalars, st.lists(junk_values, max_size=4))).map(str.encode),
    st.dictionaries(
        st.text(max_size=12).filter(
            lambda k: k not in (*TARGETS, "type", "dryRun", "prune", "trigger", "cloudEventsVersion")
        ),
        junk_values,
        min_size=1,
        max_size=4,
    ).map(lambda d: json.dumps(d).encode()),
    st.fixed_dictionaries({}, optional={k: not_an_ocid for k in TARGETS}).map(lambda d: json.dumps(d).encode()),
    st.fixed_dictionaries(
        {
            "volumeId": st.just("ocid1.volume.oc1.iad.fuzz"),
            "type": st.text(max_size=12).filter(lambda t: t not in ("FULL", "INCREMENTAL")),
        }
    ).map(lambda d: json.dumps(d).encode()),
)

envelope_fields = {
    "cloudEventsVersion": st.one_of(st.just("0.1"), junk_scalars),
    "eventType": st.one_of(st.just("com.oraclecloud.blockvolumes.createvolume.end"), junk_scalars),
    "eventID": st.one_of(st.text(min_size=1, max_size=20), junk_scalars),
    "data": st.one_of(
        junk_values,
        st.fixed_dictionaries(
            {}, optional={"resourceId": junk_scalars, "freeformTags": junk_values, "additionalDetails": junk_values}
        ),
    ),
}


def _bad_event(doc: dict[str, Any]) -> bool:
    """Only envelopes that are certainly invalid (a valid one would, correctly, act)."""
    data = doc.get("data")
    return not (
        doc.get("cloudEventsVersion") == "0.1"
        and isinstance(doc.get("eventType"), str)
        and doc["eventType"].startswith("com.oraclecloud.")
        and isinstance(doc.get("eventID"), str)
        and doc["eventID"]
        and isinstance(data, dict)
        and isinstance(data.get("resourceId"), str)
        and data["resourceId"]
        and isinstance(data.get("freeformTags", {}), dict | None)
        and isinstance(data.get("additionalDetails", {}), dict | None)
    )


invalid_events = st.fixed_dictionaries(
    {"cloudEventsVersion": envelope_fields["cloudEventsVersion"]},
    optional={k: v for k, v in envelope_fields.items() if k != "cloudEventsVersion"},
).filter(_bad_event)


def assert_client_error(status: int, body: bytes) -> None:
    doc = json.loads(body)
    error = doc["error"]
    assert 400 <= error["status"] < 500, doc
    assert 400 <= status < 500, (status, doc)
    assert error["message"]


@pytest.fixture
def fn(emu: EmulatorControl, start_function: StartFunction) -> FdkProcess:
    return start_function("create_backup")


def test_gateway_requests(emu: EmulatorControl, fn: FdkProcess) -> None:
    before = emu.events()
    calls: list[bytes] = []

    @FUZZ
    @given(
        method=st.sampled_from(["POST", "POST", "GET", "PUT", "DELETE", "PATCH", "post", ""]),
        content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", "", "x/y"]),
        authenticated=st.booleans(),
        extra=st.dictionaries(
            st.sampled_from(["X-Trace", "Accept", "X-Auth-Subject", "Idempotency-Key"]), header_text, max_size=3
        ),
        body=invalid_requests,
    )
    def one(method: str, content_type: str, authenticated: bool, extra: dict[str, str], body: bytes) -> None:
        calls.append(body)
        headers = {**(GATEWAY_HEADERS if authenticated else {}), **extra, "Content-Type": content_type}
        answer = fn.http(body, method=method, headers=headers)
        assert answer.status == 200  # the fdk answered (no 502 crash); the gateway status is inside
        assert_client_error(answer.http_status, answer.body)

    one()
    assert len(calls) >= FUZZ.max_examples
    assert emu.events() == before


def test_events_and_direct_invokes(emu: EmulatorControl, fn: FdkProcess) -> None:
    before = emu.events()
    calls: list[bytes] = []

    @FUZZ
    @given(body=st.one_of(invalid_events.map(lambda d: json.dumps(d).encode()), invalid_requests))
    def one(body: bytes) -> None:
        calls.append(body)
        answer = fn.call(body)
        assert answer.status == 200
        error = json.loads(answer.body)["error"]
        assert 400 <= error["status"] < 500 and error["message"]

    one()
    assert len(calls) >= FUZZ.max_examples
    assert emu.events() == before
