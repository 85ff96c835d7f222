"""Signing cost per request: ``RequestSigner.__call__`` on a prepared POST vs the bare RSA-2048 signature.

The signer's work per request: date, host, content-length, ``x-content-sha256`` over the body, the
signing string, the RSA-SHA256 signature, the ``authorization`` header. The bare figure is
``key.sign`` (PKCS#1 v1.5, SHA-256) of the very signing string the signer produced; *own* is the
same signer with the RSA step replaced by the signature it made (``ConstantKey``): the µs that are
ours, which do not move with the host's RSA speed the way the ratio does. Each run interleaves
``iterations`` calls of the three, call by call (so a busy machine slows all alike), and takes the
median time per call; the figures are medians over the runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bench.stats import Samples, median
from shared.oci.signing import RequestSigner, headers_to_sign, signing_string

URL = "https://iaas.us-ashburn-1.oraclecloud.com/20160918/volumeBackups"
BODY = {
    "volumeId": "ocid1.volume.oc1.iad." + "a" * 60,
    "displayName": "data-full-2026-11-23-0100",
    "type": "FULL",
    "freeformTags": {"backup-managed-by": "oci-block-backup", "backup-run": "0123456789abcdef", "env": "prod"},
}


def prepared_post() -> requests.PreparedRequest:
    body = json.dumps(BODY, separators=(",", ":")).encode()
    request = requests.Request("POST", URL, data=body, headers={"content-type": "application/json"})
    return request.prepare()


class ConstantKey:
    """Stands in for the RSA key with the signature it already made: what is left of a signer call is
    our own work (date, host, body hash, signing string, header), measured apart from RSA."""

    def __init__(self, signature: bytes) -> None:
        self.signature = signature

    def sign(self, data: bytes, pad: padding.AsymmetricPadding, algorithm: hashes.HashAlgorithm) -> bytes:
        return self.signature


def one_run(tasks: dict[str, Callable[[int], object]], n: int) -> dict[str, float]:
    """Median seconds per call of each task, interleaved call by call (the order rotates each call)."""
    names = list(tasks)
    times: dict[str, list[int]] = {name: [] for name in names}
    clock = time.perf_counter_ns
    for i in range(n):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            task = tasks[name]
            t0 = clock()
            task(i)
            times[name].append(clock() - t0)
    return {name: median(ns) / 1e9 for name, ns in times.items()}


def measure(runs: int, iterations: int) -> Samples:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_id = "ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb"
    signer = RequestSigner.from_key(key_id, key)
    template = prepared_post()
    signed = signer(template.copy())
    text = signing_string(headers_to_sign("POST"), "POST", signed.path_url, signed.headers).encode()
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    own = RequestSigner.from_key(key_id, ConstantKey(key.sign(text, pkcs1, sha256)))  # type: ignore[arg-type]

    def tasks(n: int) -> dict[str, Callable[[int], object]]:
        copies = {name: [template.copy() for _ in range(n)] for name in ("signer", "own")}  # outside the clock
        return {
            "signer": lambda i: signer(copies["signer"][i]),
            "bare": lambda i: key.sign(text, pkcs1, sha256),
            "own": lambda i: own(copies["own"][i]),
        }

    samples = Samples()
    one_run(tasks(50), 50)  # warm-up
    for _ in range(runs):
        per_call = one_run(tasks(iterations), iterations)
        for name, seconds in per_call.items():
            samples.add(name, seconds)
        samples.add("ratio", per_call["signer"] / per_call["bare"])
    return samples


def cpu_probe_us(signatures: int) -> float:
    """The machine's speed as one figure: median µs of one RSA-2048 PKCS#1 v1.5 SHA-256 signature."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pkcs1, sha256, message = padding.PKCS1v15(), hashes.SHA256(), b"cpu probe"
    times = []
    for _ in range(signatures):
        t0 = time.perf_counter_ns()
        key.sign(message, pkcs1, sha256)
        times.append(time.perf_counter_ns() - t0)
    return median(times) / 1e3
