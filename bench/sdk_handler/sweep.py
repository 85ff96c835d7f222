"""The SDK-side sweep: what a user writes instead of our schedule trigger, a serial loop.

    bench/.venv-sdk/bin/python bench/sdk_handler/sweep.py --sample 200 --run-id r1

Reads the same env as the function (resource principal, ``OCI_ENDPOINT_TEMPLATE``,
``COMPARTMENT_IDS``). Lists every volume of the compartment (all pages), then creates an
INCREMENTAL backup of each of the first ``--sample`` AVAILABLE ones, one after another, with the
SDK's default (no) retry. ``--check-history`` first lists each volume's backups (skipping one with a
backup in progress), the duplicate check a careful loop makes. Prints one JSON line: timings, counts, failures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import oci

from func import clients


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=0, help="back up only the first N volumes (0: all)")
    parser.add_argument("--run-id", default="sdk")
    parser.add_argument(
        "--check-history", action="store_true", help="also list each volume's backups first, as our sweep does"
    )
    args = parser.parse_args()
    storage, _ons, _region = clients()
    compartment = os.environ["COMPARTMENT_IDS"].split(",")[0]
    started = time.perf_counter()
    volumes = oci.pagination.list_call_get_all_results(storage.list_volumes, compartment_id=compartment).data
    listed = time.perf_counter()
    targets = [v for v in volumes if v.lifecycle_state == "AVAILABLE"]
    if args.sample:
        targets = targets[: args.sample]
    created = failed = 0
    errors: list[str] = []
    for volume in targets:
        if args.check_history:
            history = storage.list_volume_backups(compartment_id=compartment, volume_id=volume.id).data
            if any(b.lifecycle_state in ("REQUEST_RECEIVED", "CREATING") for b in history):
                continue
        details = oci.core.models.CreateVolumeBackupDetails(
            volume_id=volume.id,
            display_name=f"{volume.display_name}-incremental-{args.run_id}",
            type="INCREMENTAL",
            freeform_tags={**(volume.freeform_tags or {}), "backup-run": args.run_id},
        )
        try:
            storage.create_volume_backup(details)
            created += 1
        except oci.exceptions.ServiceError as exc:
            failed += 1
            if len(errors) < 5:
                errors.append(f"{exc.status} {exc.code}: {exc.message}")
    finished = time.perf_counter()
    result = {
        "volumesListed": len(volumes),
        "backedUp": len(targets),
        "created": created,
        "failed": failed,
        "errors": errors,
        "listSeconds": listed - started,
        "createSeconds": finished - listed,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
