"""``python -m demo``: run the story of ``demo/scenario.py`` and exit 0 only if every step passed."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence

from demo.drill import step_recovery_drill
from demo.report import Step, heading, say, short_id, subheading, table
from demo.scenario import CONFIGS, STEPS, Scene, prepare_fleet, show_notifications
from demo.stage import DR_REGION, HOME_REGION, Message, Outcome, Stage, stage
from shared.results import digest


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description="The four functions as real fdk processes against the local OCI emulator.",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="OPERATION",
        help="make every call of this OCI operation fail with 500 (e.g. CopyVolumeBackup) to see how a "
        "failure is reported; the demo then exits 1",
    )
    return parser.parse_args(argv)


def show_deployment(built: Stage) -> None:
    common = {"SELECTOR", "NOTIFY_ON"}
    say(
        table(
            ["FUNCTION", "HANDLER", "PID", "STARTED IN", "ITS OWN CONFIG"],
            [
                (
                    fn.slug,
                    fn.handler,
                    fn.process.process.pid if fn.process.process else None,
                    f"{fn.process.ready_seconds or 0:.2f} s",
                    ", ".join(f"{k}={v}" for k, v in fn.config.items() if k not in common) or "-",
                )
                for fn in built.functions.values()
            ],
        )
    )
    say("  every function: fdk func.py handler (one image), resource-principal credentials issued by the emulator,")
    say(f"  COMPARTMENT_IDS=prod, SELECTOR={CONFIGS['create_backup']['SELECTOR']}, NOTIFY_ON=all,")
    say("  NOTIFICATION_TOPIC_ID=backup-reports, GATEWAY_TOKEN_SHA256=sha256(<the gateway's token>)")
    subheading(f"Events rules (in {HOME_REGION}, compartment prod and its children):")
    say(
        table(
            ["RULE -> FUNCTION", "EVENT TYPES"],
            [
                (fn.slug, ", ".join(sorted(t.rsplit(".", 2)[-2] + ".end" for t in fn.event_types)))
                for fn in built.functions.values()
            ],
        )
    )


def run_steps(built: Stage, scene: Scene) -> list[Step]:
    steps = []
    drill = (
        "Recovery drill: the home region is lost; the ledger stack comes back in the DR region",
        step_recovery_drill,
    )
    for number, (title, action) in enumerate([*STEPS, drill], 1):
        step = Step(number, title)
        heading(f"Step {number}. {title}")
        started = time.monotonic()
        try:
            action(built, scene, step)
        except Exception as exc:  # a broken step must not hide what the others show
            step.error = f"the step stopped: {type(exc).__name__}: {exc}"
            say(f"  [FAIL] {step.error}")
        try:
            check_digests(step, built.new_runs(), show_notifications(built))
        except Exception as exc:
            step.error = step.error or f"could not read the notifications: {exc}"
        step.seconds = time.monotonic() - started
        steps.append(step)
    return steps


def check_digests(step: Step, runs: list[Outcome], messages: list[Message]) -> None:
    """Every run of the step that published (``digestMessageId``) has its digest on the topic and nothing
    else arrived; a run that did not publish is an event run that went well (``NOTIFY_ON_EVENTS=failures``)
    or a failure already published in this window (held back, one message per root cause)."""
    results = [run.result for run in runs if run.result is not None]
    published = [result for result in results if result.digest_message_id]
    expected = Counter(digest(result)[0] for result in published)
    received = Counter(message.title for message in messages)
    missing, unexpected = expected - received, received - expected
    problems = [f"no digest for {title!r}" for title in missing.elements()]
    problems += [f"unexpected digest {title!r}" for title in unexpected.elements()]
    quiet = held = 0
    for result in results:
        quiet_event = result.trigger == "event" and not result.has_failures
        held_back = any(note.startswith("digest held back") for note in result.notes)
        if not result.digest_message_id and (quiet_event or held_back):
            quiet += 1
            held += held_back
        elif not result.digest_message_id:
            why = next((note for note in result.notes if note.startswith("digest not published")), "no reason given")
            problems.append(f"no digest for {digest(result)[0]!r} ({why})")
    why = f"{quiet} quiet: event runs that went well, or a failure already told"
    if held:  # said here, not left to the log tail: later runs' lines may push it out
        why += f"; {held} with their digest held back: the same failure was published in this window"
    should = len(results) - quiet  # the runs whose digest should be on the topic
    if not should:
        claim = f"the topic received no digest ({why})"
    else:
        runs_text = "the step's run" if should == 1 else f"each of the step's {should} runs"
        claim = f"the topic received the digest of {runs_text}" + (f" ({why})" if quiet else "")
    step.expect(not problems, claim, "; ".join(problems))


def show_logs(built: Stage) -> None:
    for fn in built.functions.values():
        subheading(f"Last log lines of {fn.slug}:")
        for line in fn.log_tail():
            say(f"  {line}")


def summary(steps: list[Step], seconds: float) -> int:
    heading("Summary")
    say(
        table(
            ["STEP", "WHAT", "CHECKS", "RESULT", "SECONDS"],
            [
                (
                    s.number,
                    s.title,
                    f"{sum(c.ok for c in s.checks)}/{len(s.checks)}",
                    "passed" if s.passed else "FAILED",
                    f"{s.seconds:.1f}",
                )
                for s in steps
            ],
        )
    )
    failed = [s for s in steps if not s.passed]
    say()
    if not failed:
        say(f"Demo passed: all {len(steps)} steps did what they should ({seconds:.1f} s).")
        return 0
    say(f"DEMO FAILED: {len(failed)} of {len(steps)} steps did not do what they should ({seconds:.1f} s):")
    for step in failed:
        for problem in step.failures():
            say(f"  step {step.number} ({step.title}): {problem}")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    with stage() as built:
        unknown = sorted(set(args.fault) - built.operations())
        if unknown:
            sys.stderr.write(
                f"python -m demo: unknown --fault operation {', '.join(unknown)}; the operation names are: "
                f"{', '.join(sorted(built.operations()))}\n"
            )
            return 2
        heading("OCI block backup functions: a demo against the local OCI emulator")
        say(f"Emulator at {built.control.base_url}; regions {HOME_REGION} (home) and {DR_REGION} (DR).")
        say(f"Compartment prod {short_id(built.compartment_id)}, topic backup-reports {short_id(built.topic_id)}.")
        say("The operator reads the tenancy with an API key registered with the emulator.")
        subheading("Already in compartment prod before the tool is deployed:")
        scene = Scene()
        prepare_fleet(built, scene)
        subheading("Deploying the four functions:")
        built.deploy(CONFIGS)
        show_deployment(built)
        if args.fault:
            built.control.faults([{"operation": op, "errorRate": 1.0, "status": 500} for op in args.fault])
            say(f"\nFault injected: every {', '.join(args.fault)} call answers 500 InternalServerError.")
        steps = run_steps(built, scene)
        if not all(s.passed for s in steps):
            show_logs(built)
    return summary(steps, time.monotonic() - started)
