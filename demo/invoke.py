"""``make invoke``: run one handler on your machine against a real tenancy, with your own API key.

::

    make invoke HANDLER=create_backup BODY='{"volumeId": "ocid1.volume.oc1..."}' [CONFIG='KEY=V,...'] [DRY_RUN=0]
    python -m demo.invoke --handler copy_backup --body '{"backupId": "..."}' --config COPY_DESTINATION_REGIONS=...

It calls ``shared.runtime.process`` in this process, exactly as the fdk entrypoint does, with:

- the function config: the current environment, then ``CONFIG`` (``KEY=value`` pairs separated by commas; a
  part that does not start with an upper-case ``KEY=`` continues the previous value, so
  ``COMPARTMENT_IDS=ocid1...a,ocid1...b`` works; ``--config`` may be repeated instead), then ``HANDLER``
  and ``DRY_RUN``;
- credentials from ``~/.oci/config`` (``OCI_CONFIG_FILE`` chooses another file, ``OCI_CONFIG_PROFILE`` or,
  as the OCI CLI reads it, ``OCI_CLI_PROFILE`` another profile; an API key or a session token profile);
  the profile's ``region`` is where it runs. Resource principal variables in the environment are ignored;
- the body: empty for a schedule run (a sweep of ``COMPARTMENT_IDS``), a JSON request for a direct invoke,
  ``{"trigger": "schedule", ...}`` for a schedule, or an Events envelope;
- ``Fn-Deadline`` = now + ``--timeout`` seconds (300, the functions' timeout).

A DRY RUN unless ``DRY_RUN=0``: nothing is created, copied, renamed or deleted; the result lists what
would be (``planned``). A digest is published only if ``NOTIFICATION_TOPIC_ID`` is set (environment or
``CONFIG``). Says first, on stderr, which profile, tenancy and region it acts in; prints the result JSON, and
only that, on stdout (the functions' log lines go to stderr: ``make invoke ... > result.json`` keeps the
result alone); exits 0 for a 2xx answer, 1 otherwise, 2 for a usage error.
Never run by the tests (it talks to a real tenancy).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.oci.config_file import locate
from shared.oci.credentials import Credentials, CredentialsError
from shared.oci.providers import resolve_credentials
from shared.runtime import process
from shared.settings import HANDLER_NAMES, ConfigError

RESOURCE_PRINCIPAL_PREFIX = "OCI_RESOURCE_PRINCIPAL_"
_KEY = re.compile(r"^[A-Z][A-Z0-9_]*=")
_YES = frozenset({"1", "true", "yes", "on"})
_NO = frozenset({"0", "false", "no", "off"})
RESERVED = ("HANDLER", "DRY_RUN")


class UsageError(ValueError):
    """Bad arguments: the message says which and what to do."""


def parse_config(text: str) -> dict[str, str]:
    """``KEY=V,KEY2=V2`` -> dict; a part not starting with ``UPPER_KEY=`` continues the previous value."""
    config: dict[str, str] = {}
    last: str | None = None
    for part in text.split(","):
        stripped = part.strip()
        if _KEY.match(stripped):
            key, _, value = stripped.partition("=")
            config[key] = value
            last = key
        elif last is not None:
            config[last] += "," + stripped
        elif stripped:
            raise UsageError(f"CONFIG: expected KEY=value pairs separated by commas, got {stripped!r}")
    return config


def wants_dry_run(value: str | None) -> bool:
    """Dry run unless told otherwise: only an explicit 0/false/no/off turns it off."""
    word = (value or "").strip().lower()
    if word in _NO:
        return False
    if not word or word in _YES:
        return True
    raise UsageError(f"DRY_RUN={value!r}: use 1 (the default: change nothing) or 0 (really act)")


def build_environ(base: Mapping[str, str], handler: str, config: Mapping[str, str], *, dry_run: bool) -> dict[str, str]:
    """The function's environment: ``base`` without resource principal variables, ``config``, HANDLER, DRY_RUN."""
    if handler not in HANDLER_NAMES:
        shown = repr(handler) if handler else "missing"
        raise UsageError(f"HANDLER is {shown}; use one of {', '.join(HANDLER_NAMES)}")
    for key in RESERVED:
        if key in config:
            raise UsageError(f"give {key} on its own (make invoke {key}=...), not in CONFIG")
    environ = {k: v for k, v in base.items() if not k.startswith(RESOURCE_PRINCIPAL_PREFIX)}
    environ.update(config)
    environ["HANDLER"] = handler
    environ["DRY_RUN"] = "true" if dry_run else "false"
    return environ


def fn_headers(timeout_seconds: float, now: datetime | None = None) -> dict[str, str]:
    deadline = (now or datetime.now(UTC)) + timedelta(seconds=timeout_seconds)
    return {"fn-call-id": uuid.uuid4().hex, "fn-deadline": deadline.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


def parse_args(argv: Sequence[str] | None, environ: Mapping[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m demo.invoke",
        description="Run one handler in-process against a real tenancy (dry run unless DRY_RUN=0).",
    )
    parser.add_argument("--handler", default=environ.get("HANDLER", ""), help=f"one of {', '.join(HANDLER_NAMES)}")
    parser.add_argument("--body", default=environ.get("BODY", ""), help="the request body (empty: a schedule run)")
    parser.add_argument("--config", action="append", default=[], help="KEY=V[,KEY2=V2] function config (repeatable)")
    parser.add_argument("--dry-run", default=environ.get("DRY_RUN"), help="1 (default) or 0")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds until Fn-Deadline (default 300)")
    return parser.parse_args(argv)


def who(environ: Mapping[str, str], credentials: Credentials) -> str:
    """Which profile of which config file, which tenancy and region the run acts in (printed before it acts)."""
    where = locate(environ, Path.home())
    tenancy = credentials.tenancy_id or "(tenancy not known)"
    return (
        f"profile {where.profile} of {where.path}, tenancy {tenancy}, region {credentials.region}, "
        f"{credentials.name} credentials"
    )


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    args = parse_args(argv, env)
    try:
        config = parse_config(env.get("CONFIG", ""))
        for extra in args.config:
            config.update(parse_config(extra))
        dry_run = wants_dry_run(args.dry_run)
        function_env = build_environ(env, args.handler, config, dry_run=dry_run)
        credentials = resolve_credentials(function_env)
    except (UsageError, CredentialsError) as exc:
        sys.stderr.write(f"make invoke: {exc}\n")
        return 2
    mode = "DRY RUN (nothing changes; DRY_RUN=0 to act)" if dry_run else "LIVE: changes will be made"
    sys.stderr.write(f"{args.handler}: {who(function_env, credentials)}: {mode}\n")
    try:
        answer = process(function_env, fn_headers(args.timeout), args.body.encode())
    except ConfigError as exc:
        sys.stderr.write(f"make invoke: {exc}\n")
        return 2
    try:
        shown = json.dumps(json.loads(answer.body), indent=2)
    except ValueError:
        shown = answer.body
    sys.stdout.write(shown + "\n")
    sys.stderr.write(f"status {answer.status}\n")
    return 0 if answer.status < 400 else 1


if __name__ == "__main__":
    raise SystemExit(main())
