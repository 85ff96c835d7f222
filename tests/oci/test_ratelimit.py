"""The adaptive client-side rate limiter on a fake clock, then the client paced by a rate-limited emulator."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator import EmulatorControl
from shared.oci.client import OciClient, OciRequest
from shared.oci.credentials import ApiKeyCredentials
from shared.oci.endpoints import Service
from shared.oci.errors import DeadlineExceeded
from shared.oci.ratelimit import BETA, FORGET_SECONDS, MIN_RATE, AdaptiveRateLimiter, RateLimiters
from shared.oci.retry import NO_DEADLINE, Deadline
from tests.emulator_fixtures import ApiKey
from tests.fake_clock import FakeClock

REGION = "us-ashburn-1"


@pytest.fixture
def fake() -> FakeClock:
    return FakeClock()


def limiter_throttled_at(fake: FakeClock, accepted_per_second: int) -> AdaptiveRateLimiter:
    """A limiter that saw ``accepted_per_second`` successes in the last second, then a 429."""
    limiter = AdaptiveRateLimiter(fake, fake.sleep)
    for _ in range(accepted_per_second):
        limiter.record(limiter.acquire(NO_DEADLINE), throttled=False)
        fake.now += 0.9 / accepted_per_second
    limiter.record(fake.now, throttled=True)
    return limiter


def test_unlimited_until_a_429_follows_successes(fake: FakeClock) -> None:
    limiter = AdaptiveRateLimiter(fake, fake.sleep)
    limiter.record(limiter.acquire(NO_DEADLINE), throttled=True)  # a lone call: nothing to learn a rate from
    for _ in range(1000):
        limiter.record(limiter.acquire(NO_DEADLINE), throttled=False)
    assert limiter.rate is None and fake.slept == []


def test_a_429_cuts_the_rate_below_what_was_accepted(fake: FakeClock) -> None:
    limiter = limiter_throttled_at(fake, 20)
    assert limiter.rate == pytest.approx(20 * BETA)


def test_requests_are_paced_at_the_rate(fake: FakeClock) -> None:
    limiter = limiter_throttled_at(fake, 20)
    started = fake.now
    for _ in range(29):
        limiter.acquire(NO_DEADLINE)
    # one turn in hand at the cut (the throttled request's retry), then 14 a second
    assert fake.now - started == pytest.approx(28 / (20 * BETA), rel=0.01)


def test_successes_grow_the_rate_back_past_the_throttled_one(fake: FakeClock) -> None:
    limiter = limiter_throttled_at(fake, 20)
    rates = []
    for _ in range(120):  # ~6 s of paced successes
        limiter.record(limiter.acquire(NO_DEADLINE), throttled=False)
        rates.append(limiter.rate or 0.0)
    assert rates == sorted(rates)  # monotonic recovery
    assert rates[-1] > 20
    assert max(rates) <= 2 * 21  # never beyond twice what is being accepted


def test_repeated_429s_converge_on_the_limit(fake: FakeClock) -> None:
    limiter = limiter_throttled_at(fake, 200)
    first = limiter.rate
    assert first is not None
    sent_before_the_cut = fake.now - 0.01
    limiter.record(sent_before_the_cut, throttled=True)  # the same burst: no second cut
    assert limiter.rate == first
    for _ in range(5):
        fake.now += 0.01
        limiter.record(limiter.acquire(NO_DEADLINE), throttled=True)
    assert limiter.rate == pytest.approx(max(first * BETA**5, MIN_RATE))
    for _ in range(100):
        fake.now += 0.01
        limiter.record(limiter.acquire(NO_DEADLINE), throttled=True)
    assert limiter.rate == MIN_RATE  # floor


def test_a_wait_past_the_deadline_raises_and_gives_the_turn_back(fake: FakeClock) -> None:
    limiter = limiter_throttled_at(fake, 2)
    deadline = Deadline(fake.now + 0.5, fake)
    with pytest.raises(DeadlineExceeded, match="rate limit"):
        for _ in range(10):
            limiter.acquire(deadline)
    spent = len(fake.slept)
    fake.now += 10  # a second of credit back
    limiter.acquire(deadline := Deadline(fake.now + 5, fake))
    assert len(fake.slept) == spent  # no queue left behind by the refused turn


def test_a_throttle_is_forgotten_after_a_quiet_while(fake: FakeClock) -> None:
    limiter = limiter_throttled_at(fake, 20)
    fake.now += FORGET_SECONDS + 1  # e.g. the next invocation of a warm function
    limiter.record(limiter.acquire(NO_DEADLINE), throttled=False)
    assert limiter.rate is None


def test_one_limiter_per_region_and_operation() -> None:
    limiters = RateLimiters()
    assert limiters.get(REGION, "CreateVolumeBackup") is limiters.get(REGION, "CreateVolumeBackup")
    assert limiters.get(REGION, "CreateVolumeBackup") is not limiters.get(REGION, "ListVolumes")
    assert limiters.get(REGION, "CreateVolumeBackup") is not limiters.get("us-phoenix-1", "CreateVolumeBackup")


def test_client_threads_share_the_pace_of_a_rate_limited_operation(emu: EmulatorControl, api_key: ApiKey) -> None:
    """Eight threads against 10 requests/s: all 60 succeed, and once paced few requests are refused."""
    emu.faults([{"operation": "ListVolumes", "rateLimitPerSecond": 10, "burst": 10}])
    key = serialization.load_pem_private_key(api_key.private_key_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    credentials = ApiKeyCredentials(api_key.key_id, key, region=REGION, tenancy_id=api_key.tenancy_id)
    client = OciClient(credentials, endpoint_template=emu.endpoint_template)
    params = {"compartmentId": "ocid1.compartment.oc1..aaaaaaaapaced"}

    def list_volumes(_: int) -> int:
        return client.call(OciRequest("ListVolumes", "GET", Service.BLOCKSTORAGE, REGION, "/volumes", params)).status

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(list_volumes, range(60)))
    assert statuses == [200] * 60
    sent = emu.calls()[f"{REGION} ListVolumes"]
    assert sent - 60 < 60  # 429s: without pacing, eight threads retrying on their own draw several per success
    learned = client.limiters.get(REGION, "ListVolumes").rate
    assert learned is not None and 3 <= learned <= 25
