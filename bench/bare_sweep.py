"""The host's floor for a sweep: the least any Python client on this machine takes to make the same creates.

    PYTHONPATH=. bench/.venv-product/bin/python -m bench.bare_sweep --concurrency 32

Reads the same env as the function (resource principal, ``OCI_ENDPOINT_TEMPLATE``, ``COMPARTMENT_IDS``).
Lists the volumes (1,000 a page), then ``--concurrency`` threads, each on its own kept-alive
``http.client`` connection with ``TCP_NODELAY``, take the next volume and send one signed
CreateVolumeBackup (the ``Signature Version 1`` headers written inline), reading only the status.
No retries, no models, no logs, no result document, no digest: what is left is the latency, the
signature, the emulator's work and the machine's CPUs. Its time against the cell's floor is what the
host and the emulator allow; ours against it is what our code costs on top. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import socket
import sys
import threading
import time
from email.utils import formatdate
from typing import Any
from urllib.parse import urlencode, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class Signer:
    def __init__(self) -> None:
        pem = os.environ["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"].encode()
        key = serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
        assert isinstance(key, rsa.RSAPrivateKey)
        self.key, self.key_id = key, "ST$" + os.environ["OCI_RESOURCE_PRINCIPAL_RPST"]

    def headers(self, method: str, host: str, target: str, data: bytes) -> dict[str, str]:
        signed = {"date": formatdate(usegmt=True), "host": host}
        names = ["date", "(request-target)", "host"]
        if method == "POST":
            signed["content-length"] = str(len(data))
            signed["content-type"] = "application/json"
            signed["x-content-sha256"] = base64.b64encode(hashlib.sha256(data).digest()).decode()
            names += ["content-length", "content-type", "x-content-sha256"]
        values = {**signed, "(request-target)": f"{method.lower()} {target}"}
        lines = [f"{name}: {values[name]}" for name in names]
        signature = base64.b64encode(self.key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256()))
        signed["authorization"] = (
            f'Signature algorithm="rsa-sha256",headers="{" ".join(names)}",keyId="{self.key_id}",'
            f'signature="{signature.decode()}",version="1"'
        )
        return signed


def connect(host: str) -> http.client.HTTPConnection:
    connection = http.client.HTTPConnection(host, timeout=60)
    connection.connect()
    assert connection.sock is not None
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def send(connection: http.client.HTTPConnection, signer: Signer, method: str, url: str, data: bytes = b"") -> Any:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection.request(method, target, body=data or None, headers=signer.headers(method, parts.netloc, target, data))
    answer = connection.getresponse()
    return answer.status, answer.getheader("opc-next-page"), answer.read()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    signer = Signer()
    region = os.environ["OCI_RESOURCE_PRINCIPAL_REGION"]
    iaas = os.environ["OCI_ENDPOINT_TEMPLATE"].format(region=region, service="iaas") + "/20160918"
    host = urlsplit(iaas).netloc
    started, cpu = time.perf_counter(), time.process_time()
    volumes: list[str] = []
    lister = connect(host)
    for compartment in os.environ["COMPARTMENT_IDS"].split(","):
        page: str | None = ""
        while page is not None:
            query = {"compartmentId": compartment, "limit": "1000", **({"page": page} if page else {})}
            status, page, body = send(lister, signer, "GET", f"{iaas}/volumes?{urlencode(query)}")
            assert status == 200, body[:300]
            volumes += [v["id"] for v in json.loads(body) if v["lifecycleState"] == "AVAILABLE"]
    lister.close()
    todo = iter(volumes)
    take = threading.Lock()
    created = [0] * args.concurrency

    def worker(n: int) -> None:
        connection = connect(host)
        while True:
            with take:
                volume = next(todo, None)
            if volume is None:
                break
            data = json.dumps({"volumeId": volume, "type": "INCREMENTAL"}).encode()
            status, _page, _body = send(connection, signer, "POST", f"{iaas}/volumeBackups", data)
            created[n] += status == 200
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    result = {"listed": len(volumes), "created": sum(created), "seconds": seconds, "cpuSeconds": cpu}
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
