"""The client against a real HTTP server (pytest-httpserver): retries, deadline, tokens, pages, errors."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.client import OciClient, OciRequest
from shared.oci.endpoints import Service, service_endpoint
from shared.oci.errors import (
    Conflict,
    DeadlineExceeded,
    IncorrectState,
    NoEtagMatch,
    NotAuthorizedOrNotFound,
    OciServiceError,
    OciTransportError,
    TooManyRequests,
    UnsafePath,
)
from shared.oci.models import CreateVolumeBackupDetails, LifecycleState
from shared.oci.retry import Deadline, RetryPolicy
from shared.oci.signing import RequestSigner
from tests.fake_clock import FakeClock
from tests.seeding import create_volume_backup, update_volume_group_backup

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
REGION = "us-ashburn-1"


class StaticKeyCredentials:
    """Test credentials: a fixed key; counts 401 refreshes."""

    name = "static"
    region: str | None = REGION
    tenancy_id: str | None = "ocid1.tenancy.oc1..t"

    def __init__(self, refresh_result: bool = False) -> None:
        self._signer = RequestSigner.from_key("ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb", KEY)
        self.refreshes = 0
        self.refresh_result = refresh_result

    def signer(self) -> RequestSigner:
        return self._signer

    def refresh_after_unauthorized(self) -> bool:
        self.refreshes += 1
        return self.refresh_result


def make_client(server: HTTPServer, clock: FakeClock | None = None, **policy: Any) -> OciClient:
    clock = clock or FakeClock()
    retry = RetryPolicy(random=lambda: 1.0, sleep=clock.sleep, base_delay=0.1, **policy)
    template = server.url_for("/") + "{region}"
    return OciClient(StaticKeyCredentials(), endpoint_template=template, retry=retry)


def volume_backup(backup_id: str = "ocid1.volumebackup.oc1.iad.b1", **extra: Any) -> dict[str, Any]:
    doc = {
        "id": backup_id,
        "compartmentId": "ocid1.compartment.oc1..c",
        "displayName": "b",
        "lifecycleState": "REQUEST_RECEIVED",
        "timeCreated": "2026-11-22T10:00:00.000Z",
        "type": "FULL",
        "volumeId": "ocid1.volume.oc1.iad.v1",
        "freeformTags": {},
    }
    doc.update(extra)
    return doc


class Recorder:
    """Serves a scripted sequence of answers and remembers each request."""

    def __init__(self, answers: list[tuple[int, Any, dict[str, str]]]) -> None:
        self.answers = answers
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        status, body, headers = self.answers[min(len(self.requests), len(self.answers)) - 1]
        payload = json.dumps(body) if body is not None else ""
        return Response(payload, status=status, headers=headers, content_type="application/json")


def error(status: int, code: str) -> tuple[int, Any, dict[str, str]]:
    return status, {"code": code, "message": f"{code} happened"}, {"opc-request-id": f"srv-{code}"}


def test_endpoints_real_and_overridden() -> None:
    assert (
        service_endpoint(Service.BLOCKSTORAGE, "us-ashburn-1") == "https://iaas.us-ashburn-1.oraclecloud.com/20160918"
    )
    assert (
        service_endpoint(Service.NOTIFICATIONS, "eu-frankfurt-1")
        == "https://notification.eu-frankfurt-1.oraclecloud.com/20181201"
    )
    assert service_endpoint(Service.BLOCKSTORAGE, "us-gov-ashburn-1").endswith("oraclegovcloud.com/20160918")
    assert (
        service_endpoint(Service.IDENTITY, "us-phoenix-1")
        == "https://identity.us-phoenix-1.oci.oraclecloud.com/20160918"
    )
    assert (
        service_endpoint(Service.BLOCKSTORAGE, "us-phoenix-1", "http://127.0.0.1:8123/{region}")
        == "http://127.0.0.1:8123/us-phoenix-1/20160918"
    )
    for service, host in ((Service.BLOCKSTORAGE, "iaas"), (Service.NOTIFICATIONS, "notification")):
        assert (
            service_endpoint(service, "us-phoenix-1", "http://127.0.0.1:8123/{service}/{region}")
            == f"http://127.0.0.1:8123/{host}/us-phoenix-1/{service.value.version}"
        )


def test_create_retries_throttling_with_one_retry_token(httpserver: HTTPServer) -> None:
    recorder = Recorder(
        [
            error(429, "TooManyRequests"),
            error(503, "ServiceUnavailable"),
            (200, volume_backup(), {"etag": "e1"}),
        ]
    )
    httpserver.expect_request(f"/{REGION}/20160918/volumeBackups", method="POST").respond_with_handler(recorder)
    clock = FakeClock()
    storage = BlockStorage(make_client(httpserver, clock), REGION)
    result = create_volume_backup(storage, CreateVolumeBackupDetails(volume_id="ocid1.volume.oc1.iad.v1"), "token-1")
    assert result.etag == "e1"
    assert result.value.lifecycle_state is LifecycleState.REQUEST_RECEIVED
    tokens = {r.headers["opc-retry-token"] for r in recorder.requests}
    request_ids = [r.headers["opc-request-id"] for r in recorder.requests]
    assert tokens == {"token-1"} and len(recorder.requests) == 3
    assert len(set(request_ids)) == 3  # every attempt has its own id
    assert clock.slept == [0.1, 0.1]  # random()=1.0: the 429 and the first failure each wait base * 2**0
    assert json.loads(recorder.requests[0].get_data()) == {"volumeId": "ocid1.volume.oc1.iad.v1"}
    # each attempt was signed afresh
    assert all(r.headers["authorization"].startswith("Signature ") for r in recorder.requests)


def test_retryable_409_only_for_incorrect_state(httpserver: HTTPServer) -> None:
    recorder = Recorder([error(409, "IncorrectState"), (200, volume_backup(), {})])
    httpserver.expect_request("/us-ashburn-1/20160918/volumeBackups/b1", method="GET").respond_with_handler(recorder)
    storage = BlockStorage(make_client(httpserver), REGION)
    assert storage.get_backup(BackupKind.VOLUME, "b1").value.id.endswith("b1")
    assert len(recorder.requests) == 2

    conflict = Recorder([error(409, "Conflict")])
    httpserver.expect_request("/us-ashburn-1/20160918/volumeBackups/b2", method="GET").respond_with_handler(conflict)
    with pytest.raises(Conflict) as caught:
        storage.get_backup(BackupKind.VOLUME, "b2")
    assert len(conflict.requests) == 1
    assert caught.value.opc_request_id == "srv-Conflict" and caught.value.status == 409


def test_incorrect_state_exhausts_attempts_and_says_so(httpserver: HTTPServer) -> None:
    recorder = Recorder([error(409, "IncorrectState")])
    httpserver.expect_request("/us-ashburn-1/20160918/volumeBackups/b3").respond_with_handler(recorder)
    storage = BlockStorage(make_client(httpserver, max_attempts=3), REGION)
    with pytest.raises(IncorrectState) as caught:
        storage.get_backup(BackupKind.VOLUME, "b3")
    assert caught.value.attempts == 3 and len(recorder.requests) == 3
    assert "after 3 attempts" in str(caught.value)


def test_post_without_retry_token_is_not_replayed_on_5xx(httpserver: HTTPServer) -> None:
    recorder = Recorder([error(500, "InternalServerError"), (200, {"messageId": "m"}, {})])
    httpserver.expect_request("/us-ashburn-1/20181201/topics/t/messages").respond_with_handler(recorder)
    client = make_client(httpserver)
    with pytest.raises(OciServiceError) as caught:
        publish = OciRequest("PublishMessage", "POST", Service.NOTIFICATIONS, REGION, "/topics/t/messages")
        client.call(publish._replace(body={"body": "x"}))
    assert caught.value.code == "InternalServerError" and len(recorder.requests) == 1


def test_deadline_stops_retrying_instead_of_sleeping_past_it(httpserver: HTTPServer) -> None:
    recorder = Recorder([error(503, "ServiceUnavailable")])
    httpserver.expect_request("/us-ashburn-1/20160918/volumes/v1").respond_with_handler(recorder)
    clock = FakeClock()
    client = make_client(httpserver, clock, max_attempts=10, max_delay=30.0)
    client.retry.base_delay = 4.0
    storage = BlockStorage(client, REGION, Deadline(clock.now + 10.0, clock))
    with pytest.raises(OciServiceError):
        storage.get_volume("v1")
    assert sum(clock.slept) < 10.0  # slept 4 then refused to sleep 8 past the deadline
    assert clock.slept == [4.0]
    expired = BlockStorage(client, REGION, Deadline(clock.now - 1, clock))
    with pytest.raises(DeadlineExceeded):
        expired.get_volume("v1")


def test_pagination_follows_opc_next_page(httpserver: HTTPServer) -> None:
    pages = {
        None: ([volume_backup("b1"), volume_backup("b2")], {"opc-next-page": "p2"}),
        "p2": ([volume_backup("b3")], {"opc-next-page": "p3"}),
        "p3": ([], {}),
    }
    seen: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        seen.append(dict(request.args))
        items, headers = pages[request.args.get("page")]
        return Response(json.dumps(items), headers=headers, content_type="application/json")

    httpserver.expect_request("/us-ashburn-1/20160918/volumeBackups", method="GET").respond_with_handler(handler)
    storage = BlockStorage(make_client(httpserver), REGION)
    ids = [b.id for b in storage.list_backups(BackupKind.VOLUME, "ocid1.compartment.oc1..c", source_id="v1", limit=2)]
    assert ids == ["b1", "b2", "b3"]
    assert seen[0] == {"compartmentId": "ocid1.compartment.oc1..c", "limit": "2", "volumeId": "v1"}
    assert seen[1]["page"] == "p2" and seen[1]["volumeId"] == "v1"


def test_typed_errors_and_unknown_enum(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/us-ashburn-1/20160918/volumeBackups/missing").respond_with_json(
        {
            "code": "NotAuthorizedOrNotFound",
            "message": "Authorization failed or requested resource not found.",
        },
        status=404,
    )
    httpserver.expect_request("/us-ashburn-1/20160918/volumeBackups/odd").respond_with_json(
        volume_backup("odd", lifecycleState="SHINY_NEW_STATE", brandNewField=1)
    )
    httpserver.expect_request("/us-ashburn-1/20160918/volumeGroupBackups/g", method="PUT").respond_with_json(
        {"code": "NoEtagMatch", "message": "etag mismatch"}, status=412
    )
    storage = BlockStorage(make_client(httpserver), REGION)
    with pytest.raises(NotAuthorizedOrNotFound):
        storage.get_backup(BackupKind.VOLUME, "missing")
    assert storage.get_backup(BackupKind.VOLUME, "odd").value.lifecycle_state == "SHINY_NEW_STATE"
    from shared.oci.models import TagsUpdate

    with pytest.raises(NoEtagMatch):
        update_volume_group_backup(storage, "g", TagsUpdate(display_name="x"), if_match="stale")
    sent = httpserver.log[-1][0]
    assert sent.headers["if-match"] == "stale"


def test_throttling_exhausted_is_too_many_requests(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/us-ashburn-1/20160918/volumes/v9").respond_with_json(
        {"code": "TooManyRequests", "message": "slow down"}, status=429
    )
    clock = FakeClock()
    storage = BlockStorage(make_client(httpserver, clock, max_throttled_attempts=5), REGION)
    with pytest.raises(TooManyRequests) as caught:
        storage.get_volume("v9")
    assert caught.value.attempts == 5
    assert clock.slept == [0.1, 0.2, 0.4, 0.8]  # doubling, capped at throttle_max_delay (2 s)


def test_401_refreshes_credentials_once(httpserver: HTTPServer) -> None:
    recorder = Recorder([error(401, "NotAuthenticated"), (200, volume_backup(), {})])
    httpserver.expect_request("/us-ashburn-1/20160918/volumeBackups/b1").respond_with_handler(recorder)
    client = make_client(httpserver)
    credentials = StaticKeyCredentials(refresh_result=True)
    client.credentials = credentials
    BlockStorage(client, REGION).get_backup(BackupKind.VOLUME, "b1")
    assert credentials.refreshes == 1 and len(recorder.requests) == 2

    always = Recorder([error(401, "NotAuthenticated")])
    httpserver.expect_request("/us-ashburn-1/20160918/volumeBackups/b4").respond_with_handler(always)
    with pytest.raises(OciServiceError) as caught:
        BlockStorage(client, REGION).get_backup(BackupKind.VOLUME, "b4")
    assert caught.value.status == 401 and len(always.requests) == 2  # one refresh, then the error


def test_connection_errors_are_retried_then_typed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = FakeClock()
    retry = RetryPolicy(random=lambda: 1.0, sleep=clock.sleep, base_delay=0.01, max_attempts=3)
    client = OciClient(StaticKeyCredentials(), endpoint_template=f"http://127.0.0.1:{port}/{{region}}", retry=retry)
    with pytest.raises(OciTransportError) as caught:
        BlockStorage(client, REGION).get_volume("v1")
    assert caught.value.attempts == 3 and len(clock.slept) == 2
    assert caught.value.host == f"127.0.0.1:{port}"
    assert str(caught.value) == f"GetVolume failed: no answer to 127.0.0.1:{port}: ConnectionError (after 3 attempts)"


def test_throttling_is_paced_not_counted_as_failures(httpserver: HTTPServer) -> None:
    """429 changed nothing: more tries than max_attempts, short capped backoff, no retry quota spent."""
    recorder = Recorder([*[error(429, "TooManyRequests")] * 6, (200, volume_backup(), {})])
    httpserver.expect_request(f"/{REGION}/20160918/volumeBackups", method="POST").respond_with_handler(recorder)
    clock = FakeClock()
    client = make_client(httpserver, clock, max_attempts=2)
    quota_before = client.retry.quota.available
    create_volume_backup(BlockStorage(client, REGION), CreateVolumeBackupDetails(volume_id="v"), "tok")
    assert len(recorder.requests) == 7
    assert clock.slept == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0]
    assert client.retry.quota.available == quota_before  # only refunded, never spent


@pytest.mark.parametrize(
    "backup_id",
    [
        "../volumeBackups?compartmentId=ocid1.compartment.oc1..x",
        "ocid1.volumebackup.oc1.iad.b1/../../volumes",
        "..",
        "ocid1.volumebackup.oc1.iad.b1#frag",
        "ocid1.volumebackup.oc1.iad.b1%2F..",
    ],
)
def test_client_refuses_path_segments_that_are_not_plain_ids(httpserver: HTTPServer, backup_id: str) -> None:
    """An id that would change the request's path or query is refused before anything is signed or sent."""
    recorder = Recorder([(200, volume_backup(), {})])
    httpserver.expect_request(re.compile(".*")).respond_with_handler(recorder)
    storage = BlockStorage(make_client(httpserver), "us-ashburn-1")
    with pytest.raises(UnsafePath):
        storage.get_backup(BackupKind.VOLUME, backup_id)
    assert recorder.requests == []
    assert storage.get_backup(BackupKind.VOLUME, "ocid1.volumebackup.oc1.iad.b1").value.id
