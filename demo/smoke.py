"""``make smoke``: after ``terraform apply``, invoke each deployed function once with a dry run and read its digest.

::

    make smoke [TF_DIR=terraform]
    python -m demo.smoke --terraform-dir terraform
    python -m demo.smoke --outputs outputs.json        # the JSON of `terraform output -json`

For each function of the stack (``function_ids`` and ``function_invoke_endpoints`` of ``terraform output
-json``) it sends one synchronous InvokeFunction, signed with your ``~/.oci/config`` API key or session
token (``OCI_CONFIG_FILE`` / ``OCI_CONFIG_PROFILE`` choose another file or profile), with the body
``{"trigger": "schedule", "schedule": "smoke", "dryRun": true}``: a dry-run sweep of the function's
compartments that plans and writes nothing. Then it checks the function's answer: a result document of
that function, a dry run, no error and no failed item, and a ``digestMessageId``, the id OCI
Notifications gave the digest it published to the stack's topic (``NOTIFY_ON=all``, the default; with
``failures`` or ``never`` a successful run publishes nothing and the smoke says so). It prints one
line per function and the digest's subject; the digest itself arrives at the topic's subscribers.

Needs: the caller may ``use fn-invocation`` in the functions' compartment (the deployer usually may);
the functions' own rights come from the stack's dynamic group. Exits 0 when every function passed, 1
otherwise, 2 for a usage error. The tests run it against the emulator (functions bound to fdk
processes there, an API key registered there), never against OCI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.oci.client import OciClient, OciRequest
from shared.oci.credentials import CredentialsError
from shared.oci.errors import OciError
from shared.oci.providers import resolve_credentials
from shared.results import ItemStatus, RunResult, digest

SMOKE_BODY: dict[str, Any] = {"trigger": "schedule", "schedule": "smoke", "dryRun": True}
INVOKE_TIMEOUT = (10.0, 330.0)  # connect, read: a sync invoke lasts up to the function's 300 s timeout
RESOURCE_PRINCIPAL_PREFIX = "OCI_RESOURCE_PRINCIPAL_"


class UsageError(ValueError):
    """The stack could not be read: the message says what to do."""


class Stack(BaseModel):
    """What the smoke needs from ``terraform output -json``."""

    function_ids: dict[str, str]
    function_invoke_endpoints: dict[str, str]


@dataclass(frozen=True)
class Verdict:
    handler: str
    passed: bool
    detail: str
    subject: str = ""


def read_stack(outputs: Mapping[str, Any]) -> Stack:
    """``terraform output -json`` is ``{"name": {"value": ..., "type": ..., "sensitive": ...}}``."""
    values = {name: entry.get("value") if isinstance(entry, dict) else entry for name, entry in outputs.items()}
    try:
        stack = Stack.model_validate(values)
    except ValidationError as exc:
        missing = ", ".join(str(e["loc"][0]) for e in exc.errors())
        raise UsageError(f"terraform outputs lack {missing}: run terraform apply first (or pass --outputs)") from None
    if set(stack.function_ids) != set(stack.function_invoke_endpoints) or not stack.function_ids:
        raise UsageError("terraform outputs: function_ids and function_invoke_endpoints must name the same functions")
    return stack


def terraform_outputs(terraform_dir: Path) -> dict[str, Any]:
    terraform = shutil.which("terraform")
    if terraform is None:
        raise UsageError("terraform is not on PATH: pass --outputs FILE (the JSON of `terraform output -json`)")
    done = subprocess.run(
        [terraform, f"-chdir={terraform_dir}", "output", "-json"], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise UsageError(f"terraform output -json failed in {terraform_dir}: {done.stderr.strip()}")
    outputs: dict[str, Any] = json.loads(done.stdout or "{}")
    return outputs


def judge(handler: str, status: int, document: Any) -> Verdict:
    """What one function answered to the dry run, as a verdict with the reason."""
    try:
        result = RunResult.model_validate(document)
    except ValidationError:
        return Verdict(handler, False, f"HTTP {status}, not a result document: {str(document)[:300]}")
    subject = digest(result)[0]
    failed = [i for i in result.items if i.status is ItemStatus.FAILED]
    problems = []
    if result.function != handler:
        problems.append(f"answered as {result.function}")
    if not result.dry_run:
        problems.append("it was NOT a dry run")
    if result.error:
        problems.append(f"error: {result.error}")
    if failed:
        problems.append(f"{len(failed)} failed item(s), first: {failed[0].reason}")
    unpublished = [n for n in result.notes if n.startswith("digest not published")]
    if result.digest_message_id is None:
        problems.append(
            unpublished[0]
            if unpublished
            else "no digest published (NOTIFY_ON is failures or never, or NOTIFICATION_TOPIC_ID is unset)"
        )
    counts = ", ".join(f"{n} {s}" for s, n in result.counts.items()) or "nothing to do"
    if problems:
        return Verdict(handler, False, "; ".join(problems), subject)
    return Verdict(handler, True, f"dry run: {counts}; digest message {result.digest_message_id}", subject)


def invoke(client: OciClient, region: str, endpoint: str, function_id: str) -> tuple[int, Any]:
    url = f"{endpoint.rstrip('/')}/20181201/functions/{function_id}/actions/invoke"
    response = client.call(OciRequest("InvokeFunction", "POST", None, region, url, body=SMOKE_BODY))
    return response.status, response.data


def smoke(stack: Stack, client: OciClient, region: str) -> list[Verdict]:
    verdicts = []
    for handler in sorted(stack.function_ids):
        try:
            status, document = invoke(
                client, region, stack.function_invoke_endpoints[handler], stack.function_ids[handler]
            )
        except OciError as exc:
            verdicts.append(Verdict(handler, False, f"InvokeFunction failed: {exc}"))
            continue
        verdicts.append(judge(handler, status, document))
    return verdicts


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demo.smoke", description=__doc__.split("\n")[0] if __doc__ else "")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--terraform-dir", type=Path, default=Path("terraform"), help="where to run terraform output")
    source.add_argument("--outputs", type=Path, help="a file with the JSON of `terraform output -json`")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = parse_args(argv)
    source = os.environ if environ is None else environ
    env = {k: v for k, v in source.items() if not k.startswith(RESOURCE_PRINCIPAL_PREFIX)}  # you, not a function
    try:
        outputs = json.loads(args.outputs.read_text()) if args.outputs else terraform_outputs(args.terraform_dir)
        stack = read_stack(outputs)
        credentials = resolve_credentials(env)
    except (UsageError, CredentialsError, OSError, ValueError) as exc:
        sys.stderr.write(f"make smoke: {exc}\n")
        return 2
    region = credentials.region or ""
    client = OciClient(credentials, timeout=INVOKE_TIMEOUT)
    sys.stdout.write(f"Invoking {len(stack.function_ids)} functions once each with {json.dumps(SMOKE_BODY)}\n")
    verdicts = smoke(stack, client, region)
    for verdict in verdicts:
        sys.stdout.write(f"  [{'ok' if verdict.passed else 'FAIL'}] {verdict.handler}: {verdict.detail}\n")
        if verdict.subject:
            sys.stdout.write(f"         digest subject: {verdict.subject}\n")
    passed = all(v.passed for v in verdicts)
    sys.stdout.write("Smoke test passed.\n" if passed else "SMOKE TEST FAILED.\n")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
