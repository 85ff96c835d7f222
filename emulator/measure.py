"""Throughput of the emulator with signature verification on: signed requests per second, one client thread.

    python -m emulator.measure                  # spawns `python -m emulator` pinned to one CPU
    python -m emulator.measure --url http://127.0.0.1:8123 --seconds 10

The client alternates GetVolumeBackup (GET) and UpdateVolumeBackup (PUT with a body, so the body hash
is checked too), each freshly signed, over one keep-alive session, and prints the rate of 2xx answers.
Not a test: a measurement to report.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.oci.signing import RequestSigner

from .api_client import SignedApi
from .api_keys import make_key_pair
from .control_client import EmulatorControl
from .core.ids import DEFAULT_TENANCY

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-ashburn-1"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaameasure"


@contextmanager
def spawned_emulator(cpu: int | None) -> Iterator[str]:
    """Start the standalone emulator (pinned to ``cpu`` when given); yield its base URL."""

    def pin() -> None:
        if cpu is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {cpu})

    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=pin,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        yield line.rsplit(" ", 1)[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def prepare(base_url: str) -> tuple[SignedApi, str]:
    control = EmulatorControl(base_url)
    control.reset()
    control.settings(creating_after=0, available_after=0)
    pair = make_key_pair()
    key_id = f"{DEFAULT_TENANCY}/ocid1.user.oc1..measure/{pair.fingerprint}"
    control.register_key(key_id, pair.public_key_pem)
    api = SignedApi(base_url, RequestSigner.from_key(key_id, pair.private_key), REGION)
    volume = control.create_volume(REGION, COMPARTMENT, "measure")
    backup = api.post("/20160918/volumeBackups", {"volumeId": volume["id"]}).json()
    return api, backup["id"]


def measure(base_url: str, seconds: float) -> tuple[int, int, float]:
    """(ok answers, other answers, elapsed seconds)."""
    api, backup_id = prepare(base_url)
    path = f"/20160918/volumeBackups/{backup_id}"
    ok = failed = 0
    started = time.perf_counter()
    deadline = started + seconds
    i = 0
    while time.perf_counter() < deadline:
        response = api.put(path, {"freeformTags": {"n": str(i)}}) if i % 2 else api.get(path)
        i += 1
        if 200 <= response.status_code < 300:
            ok += 1
        else:
            failed += 1
    return ok, failed, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.measure")
    parser.add_argument("--url", help="a running emulator; default: spawn one pinned to --server-cpu")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--server-cpu", type=int, default=0)
    args = parser.parse_args(argv)
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) > 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {c for c in cpus if c != args.server_cpu})  # keep the client off the server's core
    if args.url:
        ok, failed, elapsed = measure(args.url, args.seconds)
        where = args.url
    else:
        with spawned_emulator(args.server_cpu) as url:
            ok, failed, elapsed = measure(url, args.seconds)
        where = f"{url} (server pinned to CPU {args.server_cpu})"
    print(
        f"signed requests/s: {ok / elapsed:.0f}  ({ok} ok, {failed} failed in {elapsed:.1f} s; "
        f"one client thread; signature verification on; {where})",
        flush=True,
    )
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
