"""The SDK-side sweep: what a competent user writes instead of our schedule trigger.

    bench/.venv-sdk/bin/python bench/sdk_handler/sweep.py --concurrency 8 --run-id r1

Reads the same env as the function (resource principal, ``OCI_ENDPOINT_TEMPLATE``,
``COMPARTMENT_IDS``). One listing per compartment (ListVolumes, every page), then an INCREMENTAL
backup of each AVAILABLE volume from a ``ThreadPoolExecutor`` of ``--concurrency`` workers sharing
one ``BlockstorageClient`` built with the SDK's default retry strategy
(``oci.retry.DEFAULT_RETRY_STRATEGY``: 8 attempts, exponential backoff with decorrelated jitter from
1 s, 429 and 5xx retried) and the SDK's default circuit breaker. A volume whose create still fails
is lost. Prints one JSON line: timings, counts, the first errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import oci

from func import clients


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=8, help="workers in the pool")
    parser.add_argument("--run-id", default="sdk")
    args = parser.parse_args()
    storage, _ons, _region = clients()
    errors: list[str] = []

    def back_up(volume: Any) -> bool:
        details = oci.core.models.CreateVolumeBackupDetails(
            volume_id=volume.id,
            display_name=f"{volume.display_name}-incremental-{args.run_id}",
            type="INCREMENTAL",
            freeform_tags={**(volume.freeform_tags or {}), "backup-run": args.run_id},
        )
        try:
            storage.create_volume_backup(details)
            return True
        except Exception as exc:  # a ServiceError after the retries, or the circuit breaker's refusal
            if len(errors) < 5:
                errors.append(f"{type(exc).__name__}: {getattr(exc, 'status', '')} {getattr(exc, 'code', exc)}")
            return False

    started, cpu = time.perf_counter(), time.process_time()
    volumes = []
    for compartment in os.environ["COMPARTMENT_IDS"].split(","):
        listing = oci.pagination.list_call_get_all_results(storage.list_volumes, compartment_id=compartment)
        volumes += [v for v in listing.data if v.lifecycle_state == "AVAILABLE"]
    listed = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        outcomes = list(pool.map(back_up, volumes))
    finished = time.perf_counter()
    result = {
        "volumesListed": len(volumes),
        "created": sum(outcomes),
        "failed": len(outcomes) - sum(outcomes),
        "errors": errors,
        "listSeconds": listed - started,
        "seconds": finished - started,
        "cpuSeconds": time.process_time() - cpu,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
