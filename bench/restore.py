"""Restore tests on the emulator clock: how long a test resource lives against how long its restore took
(with the sandbox's Events rule, and with the schedule alone), and the OCI calls per verified restore.

    PYTHONPATH=. .venv/bin/python -m bench.restore [--restores N] [--schedule-minutes M]

Writes ``bench/restore-results.json`` and ``bench/RESTORE.md``. Not a test, and not timed: every figure
is read from the emulator's own clock and records (the create/delete events of each test resource, the
calls it served), so the machine's speed does not enter them.

- events: the restore-backup function runs as a real fdk process; a schedule run starts the tests, then
  the clock moves in small steps and every ``create*.end`` of the sandbox is delivered to it at once, as
  the Events rule does. A test resource lives from its ``create*.begin`` to its ``delete*.begin``.
- schedule alone: no rule; the clock moves one schedule period at a time and a schedule run finds
  what ended. The lifetime is then up to a period longer than the restore.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from emulator import Emulator, EmulatorControl
from tests.conftest import HOME_REGION, resource_principal_env
from tests.fdk_harness import FdkProcess

BENCH = Path(__file__).resolve().parent
SIZES_GB = (50, 100, 200, 500, 1024)  # one in five of each: the restores' sizes
STEP_SECONDS = 5.0  # how far the clock moves between deliveries in the events mode
ENDS = ("createvolume.end", "createbootvolume.end", "createvolumegroup.end")


def parse_time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def fleet(control: EmulatorControl, compartment: str, n: int) -> None:
    for i in range(n):
        volume = control.create_volume(
            HOME_REGION, compartment, f"vol-{i:03d}", size_in_gbs=SIZES_GB[i % len(SIZES_GB)]
        )
        control.seed_backup(HOME_REGION, volume["id"], display_name=f"vol-{i:03d}-nightly")


def lifetimes(control: EmulatorControl, sandbox: str) -> list[dict[str, float]]:
    """Per test resource (from the emulator's events): restore seconds and life seconds."""
    seen: dict[str, dict[str, float]] = {}
    for envelope in control.event_envelopes():
        data = envelope["data"]
        if data.get("compartmentId") != sandbox:
            continue
        kind, phase = envelope["eventType"].rsplit(".", 2)[-2:]
        entry = seen.setdefault(data["resourceId"], {})
        entry[f"{kind}.{phase}"] = parse_time(envelope["eventTime"])
    rows = []
    for entry in seen.values():
        begin = entry.get("createvolume.begin")
        end = entry.get("createvolume.end")
        deleted = entry.get("deletevolume.begin")
        if begin is None or end is None or deleted is None:
            continue
        rows.append({"restore": end - begin, "life": deleted - begin})
    return rows


def run(mode: str, restores: int, schedule_minutes: int) -> dict[str, Any]:
    with Emulator() as server:
        control = server.control
        control.settings(restore_base_seconds=60, restore_seconds_per_gb=1.5, hydrate_seconds_per_gb=0.5)
        compartment = str(control.create_compartment("prod")["id"])
        sandbox = str(control.create_compartment("restore-sandbox")["id"])
        fleet(control, compartment, restores)
        env = {
            "HANDLER": "restore_backup",
            "OCI_ENDPOINT_TEMPLATE": control.endpoint_template,
            "COMPARTMENT_IDS": compartment,
            "RESTORE_COMPARTMENT_ID": sandbox,
            "RESTORES_PER_RUN": str(restores),
            "RESTORE_MAX_GB_PER_RUN": str(10 * sum(SIZES_GB) * restores),
            "METRICS_NAMESPACE": "",
            **resource_principal_env(control),
        }
        with FdkProcess(env) as fn:
            fn.start()
            fn.call({"trigger": "schedule", "schedule": "restore"})
            _, cursor = control.events_page(0)
            verified = 0
            horizon = 0.0
            while verified < restores and horizon < 6 * 3600:
                step = STEP_SECONDS if mode == "events" else schedule_minutes * 60.0
                control.advance(step)
                horizon += step
                if mode == "events":
                    records, cursor = control.events_page(cursor)
                    for record in records:
                        envelope = record["event"]
                        if envelope["eventType"].endswith(ENDS) and envelope["data"]["compartmentId"] == sandbox:
                            answer = fn.call(envelope).json()
                            verified += sum(1 for i in answer["items"] if i["status"] == "verified")
                else:
                    answer = fn.call({"trigger": "schedule", "schedule": "restore"}).json()
                    verified += sum(1 for i in answer["items"] if i["status"] == "verified")
            calls = Counter(control.calls())
        rows = lifetimes(control, sandbox)
    ratios = [r["life"] / r["restore"] for r in rows]
    made = sum(n for key, n in calls.items() if not key.endswith(("PostMetricData", "PublishMessage")))
    return {
        "mode": mode,
        "restores": restores,
        "verified": verified,
        "measured": len(rows),
        "restoreSecondsMedian": round(statistics.median(r["restore"] for r in rows), 1) if rows else None,
        "lifeOverRestoreMedian": round(statistics.median(ratios), 3) if ratios else None,
        "lifeOverRestoreMax": round(max(ratios), 3) if ratios else None,
        "callsPerVerifiedRestore": round(made / verified, 1) if verified else None,
        "callsByOperation": dict(sorted(calls.items())),
        "schedulePeriodMinutes": schedule_minutes if mode == "schedule" else None,
    }


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "# Restore tests: test-resource lifetime and calls per verified restore",
        "",
        "`PYTHONPATH=. .venv/bin/python -m bench.restore` (figures from the emulator clock and its records; "
        f"restores of {', '.join(str(s) for s in SIZES_GB)} GB in turn, 60 s + 1.5 s/GB each).",
        "",
        "| mode | restores | verified | median restore (s) | life / restore, median | life / restore, max "
        "| OCI calls per verified restore |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        mode = r["mode"] if r["mode"] == "events" else f"schedule alone (every {r['schedulePeriodMinutes']} min)"
        lines.append(
            f"| {mode} | {r['restores']} | {r['verified']} | {r['restoreSecondsMedian']} | "
            f"{r['lifeOverRestoreMedian']} | {r['lifeOverRestoreMax']} | {r['callsPerVerifiedRestore']} |"
        )
    lines += [
        "",
        "Life is from the test resource's `create*.begin` to its `delete*.begin`; restore is from `create*.begin` "
        "to `create*.end`. Calls count every signed request the emulator served for the run (listings, the "
        "creates, reads, deletes, tag updates), Monitoring and Notifications left out. With events the delete "
        f"follows the end event within one clock step ({STEP_SECONDS:.0f} s here), which is the whole overhead.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--restores", type=int, default=20)
    parser.add_argument("--schedule-minutes", type=int, default=60)
    args = parser.parse_args(argv)
    results = [
        run("events", args.restores, args.schedule_minutes),
        run("schedule", args.restores, args.schedule_minutes),
    ]
    (BENCH / "restore-results.json").write_text(json.dumps(results, indent=1) + "\n")
    (BENCH / "RESTORE.md").write_text(report(results))
    print(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
