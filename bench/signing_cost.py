"""Signing cost per request: ``RequestSigner.__call__`` on a prepared POST vs the bare RSA-2048 signature.

The signer's work per request: date, host, content-length, ``x-content-sha256`` over the body, the
signing string, the RSA-SHA256 signature, the ``authorization`` header. The bare figure is
``key.sign`` (PKCS#1 v1.5, SHA-256) of the very signing string the signer produced. Each run interleaves
``iterations`` calls of each, call by call (so a busy machine slows both alike), and takes the median
time per call; the figures are medians over the runs.
"""

from __future__ import annotations

import json
import time

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


def one_run(
    signer: RequestSigner, key: rsa.RSAPrivateKey, template: requests.PreparedRequest, text: bytes, n: int
) -> tuple[float, float]:
    """Median seconds per call of (signer, bare), the two interleaved call by call."""
    copies = [template.copy() for _ in range(n)]  # unsigned copies, made outside the clock
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    signer_ns: list[int] = []
    bare_ns: list[int] = []
    clock = time.perf_counter_ns
    for i, request in enumerate(copies):
        if i % 2:
            t0 = clock()
            key.sign(text, pkcs1, sha256)
            t1 = clock()
            signer(request)
            t2 = clock()
            bare_ns.append(t1 - t0)
            signer_ns.append(t2 - t1)
        else:
            t0 = clock()
            signer(request)
            t1 = clock()
            key.sign(text, pkcs1, sha256)
            t2 = clock()
            signer_ns.append(t1 - t0)
            bare_ns.append(t2 - t1)
    return median(signer_ns) / 1e9, median(bare_ns) / 1e9


def measure(runs: int, iterations: int) -> Samples:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = RequestSigner.from_key("ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb", key)
    template = prepared_post()
    signed = signer(template.copy())
    text = signing_string(headers_to_sign("POST"), "POST", signed.path_url, signed.headers).encode()
    samples = Samples()
    one_run(signer, key, template, text, 50)  # warm-up
    for _ in range(runs):
        signer_s, bare_s = one_run(signer, key, template, text, iterations)
        samples.add("signer", signer_s)
        samples.add("bare", bare_s)
        samples.add("ratio", signer_s / bare_s)
    return samples
