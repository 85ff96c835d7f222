"""The stage: the emulator, the three function processes, and the services the demo plays around them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from emulator import DEFAULT_TENANCY, Emulator, EmulatorControl
from shared.oci.blockstorage import BlockStorage
from shared.oci.client import OciClient
from shared.oci.credentials import ApiKeyCredentials, fingerprint_of
from shared.posture import ProtectionPosture
from shared.results import Item, ItemStatus, RunResult
from shared.runtime import load_spec
from tests.fdk_harness import FdkProcess, FnAnswer

HOME_REGION = "us-ashburn-1"
DR_REGION = "us-phoenix-1"
GATEWAY_TOKEN = "demo-gateway-token-0123456789abcdef"
GATEWAY_HEADERS = {"X-Gateway-Token": GATEWAY_TOKEN, "X-Auth-Subject": "ocid1.user.oc1..demooperator"}
OPERATOR_USER = "ocid1.user.oc1..aaaaaaaademooperator"
SLUGS = {
    "create_backup": "create-backup",
    "copy_backup": "copy-backup",
    "retag_group_backup": "retag-group-backup",
    "restore_backup": "restore-backup",
}
SANDBOX_RULE = "restore_backup"  # its Events rule watches the sandbox compartment (terraform/restore.tf)


def short_type(event_type: str) -> str:
    return event_type.removeprefix("com.oraclecloud.blockvolumes.")


@dataclass(frozen=True)
class Outcome:
    """What a function answered: the status and, for a run, its result document."""

    status: int
    document: dict[str, Any]
    result: RunResult | None  # any result document parses as one; its sections are in ``document``

    @classmethod
    def of(cls, answer: FnAnswer) -> Outcome:
        try:
            document = answer.json()
        except ValueError:
            document = {"raw": answer.body.decode(errors="replace")}
        if not isinstance(document, dict):
            document = {"raw": document}
        try:
            result: RunResult | None = RunResult.model_validate(document)
        except ValidationError:
            result = None
        return cls(answer.http_status, document, result)

    @property
    def posture(self) -> ProtectionPosture | None:
        """The result's protection posture section, when the run measured one."""
        section = self.document.get("posture")
        return ProtectionPosture.model_validate(section) if isinstance(section, dict) else None

    def items(self, status: ItemStatus | None = None, action: str | None = None) -> list[Item]:
        found = self.result.items if self.result else []
        return [i for i in found if (status is None or i.status is status) and (action is None or i.action == action)]

    @property
    def summary(self) -> str:
        if self.result is None:
            error = self.document.get("error")
            if isinstance(error, dict):
                return f"HTTP {self.status} {error.get('code')}: {error.get('message')}"
            return f"HTTP {self.status}"
        counts = ", ".join(f"{n} {status}" for status, n in self.result.counts.items()) or "nothing to do"
        return f"failed: {self.result.error}" if self.result.error else counts


@dataclass
class Function:
    """One deployed function: the fdk process running ``func.py`` with its config."""

    handler: str
    config: dict[str, str]
    process: FdkProcess
    runs: list[Outcome] = field(default_factory=list)  # every answer since the stage last looked

    @property
    def slug(self) -> str:
        return SLUGS[self.handler]

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(load_spec({"HANDLER": self.handler}).event_kinds)

    def invoke(self, body: Mapping[str, Any] | bytes) -> Outcome:
        """A plain invoke, as the Events service and the Resource Scheduler do it."""
        outcome = Outcome.of(self.process.call(body))
        self.runs.append(outcome)
        return outcome

    def http(self, body: Mapping[str, Any], headers: Mapping[str, str]) -> Outcome:
        """A request forwarded by API Gateway on route ``/backup/<slug>``."""
        outcome = Outcome.of(self.process.http(body, url=f"/backup/{self.slug}", headers=headers))
        self.runs.append(outcome)
        return outcome

    def log_tail(self, lines: int = 15) -> list[str]:
        return self.process.logs().splitlines()[-lines:]


@dataclass(frozen=True)
class Delivery:
    region: str
    event_type: str
    resource_name: str
    resource_id: str
    function: Function | None  # None: no rule matches (or no rule in that region)
    outcome: Outcome | None


class EventsService:
    """Plays OCI Events: one rule per function in the home region, matching on the event type; the
    rules of prod see prod's events, restore-backup's rule the sandbox's only."""

    def __init__(self, control: EmulatorControl, functions: Sequence[Function], region: str, sandbox: str) -> None:
        self.control = control
        self.region = region
        self.sandbox = sandbox
        self.rules: dict[str, list[Function]] = {}  # an event type may go to more than one function
        for fn in functions:
            for event_type in fn.event_types:
                self.rules.setdefault(event_type, []).append(fn)
        _, self.cursor = control.events_page(0)  # the rules exist from now on; earlier events are not delivered

    def deliver(self) -> list[Delivery]:
        """Deliver every event recorded since the last call, oldest first, to each function whose rule matches."""
        records, self.cursor = self.control.events_page(self.cursor)
        deliveries = []
        for record in records:
            envelope = record["event"]
            data = envelope.get("data", {})
            matched = self.rules.get(envelope["eventType"], []) if record["region"] == self.region else []
            in_sandbox = data.get("compartmentId") == self.sandbox
            matched = [fn for fn in matched if (fn.handler == SANDBOX_RULE) == in_sandbox]
            targets: list[Function | None] = [*matched] or [None]
            for function in targets:
                outcome = function.invoke(envelope) if function else None
                deliveries.append(
                    Delivery(
                        record["region"],
                        short_type(envelope["eventType"]),
                        data.get("resourceName", ""),
                        data.get("resourceId", ""),
                        function,
                        outcome,
                    )
                )
        return deliveries


@dataclass(frozen=True)
class Message:
    title: str
    body: str


class Inbox:
    """The topic's subscriber: the messages published since the last look."""

    def __init__(self, control: EmulatorControl, region: str, topic_id: str) -> None:
        self.control = control
        self.region = region
        self.topic_id = topic_id
        self.seen = 0

    def new(self) -> list[Message]:
        messages = self.control.messages(self.region, self.topic_id)
        fresh = messages[self.seen :]
        self.seen = len(messages)
        return [Message(str(m.get("title") or ""), str(m.get("body") or "")) for m in fresh]


@dataclass
class Stage:
    emulator: Emulator
    control: EmulatorControl
    compartment_id: str
    topic_id: str
    operator: OciClient
    sandbox_id: str
    functions: dict[str, Function] = field(default_factory=dict)
    events: EventsService | None = None
    inbox: Inbox | None = None
    recovery_id: str = ""  # the compartment restore-backup's recovery mode may create in

    def storage(self, region: str = HOME_REGION) -> BlockStorage:
        """The operator's view of the tenancy (signed API calls with the operator's API key)."""
        return BlockStorage(self.operator, region)

    def function_env(self, handler: str, config: Mapping[str, str]) -> dict[str, str]:
        """What OCI Functions gives the container: resource principal, plus the function's config."""
        issued = self.control.issue_resource_principal(HOME_REGION)
        return {
            "HANDLER": handler,
            "OCI_ENDPOINT_TEMPLATE": self.control.endpoint_template,
            "NOTIFICATION_TOPIC_ID": self.topic_id,
            "COMPARTMENT_IDS": self.compartment_id,
            "RESTORE_COMPARTMENT_ID": self.sandbox_id,
            "GATEWAY_TOKEN_SHA256": hashlib.sha256(GATEWAY_TOKEN.encode()).hexdigest(),
            "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
            "OCI_RESOURCE_PRINCIPAL_RPST": issued["rpst"],
            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": issued["private_key_pem"],
            "OCI_RESOURCE_PRINCIPAL_REGION": HOME_REGION,
            **(self.recovery_config() if handler == "restore_backup" else {}),
            **config,
        }

    def recovery_config(self) -> dict[str, str]:
        """restore-backup's recovery mode: the recovery compartment, and the operator who may apply."""
        return {
            "RECOVERY_COMPARTMENT_IDS": self.recovery_id,
            "RECOVERY_ALLOWED_SUBJECTS": GATEWAY_HEADERS["X-Auth-Subject"],
        }

    def deploy(self, configs: Mapping[str, Mapping[str, str]]) -> None:
        """Start one fdk process per handler, in parallel (each takes about half a second)."""
        processes = {h: FdkProcess(self.function_env(h, c)) for h, c in configs.items()}
        with ThreadPoolExecutor(len(processes)) as pool:
            list(pool.map(lambda p: p.start(), processes.values()))
        for handler, process in processes.items():
            self.functions[handler] = Function(handler, dict(configs[handler]), process)
        self.events = EventsService(self.control, list(self.functions.values()), HOME_REGION, self.sandbox_id)
        self.inbox = Inbox(self.control, HOME_REGION, self.topic_id)

    def deliver(self) -> list[Delivery]:
        if self.events is None:
            raise RuntimeError("deploy the functions first: the Events rules come with them")
        return self.events.deliver()

    def new_runs(self) -> list[Outcome]:
        """What every function answered since the last call."""
        runs = [run for function in self.functions.values() for run in function.runs]
        for function in self.functions.values():
            function.runs.clear()
        return runs

    def operations(self) -> set[str]:
        """The OCI operation names the emulator serves (what ``--fault`` accepts)."""
        return self.emulator.app.router.operations()

    def new_messages(self) -> list[Message]:
        if self.inbox is None:
            raise RuntimeError("deploy the functions first")
        return self.inbox.new()

    def stop(self) -> None:
        for function in self.functions.values():
            function.process.stop()
        self.emulator.stop()


def operator_client(control: EmulatorControl) -> OciClient:
    """Register a fresh API key for a human operator and return a client signing with it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_id = f"{DEFAULT_TENANCY}/{OPERATOR_USER}/{fingerprint_of(key.public_key())}"
    control.register_key(key_id, public_pem)
    credentials = ApiKeyCredentials(key_id, key, region=HOME_REGION, tenancy_id=DEFAULT_TENANCY)
    return OciClient(credentials, endpoint_template=control.endpoint_template)


@contextmanager
def stage(compartment_name: str = "prod", topic_name: str = "backup-reports") -> Iterator[Stage]:
    """The emulator serving two subscribed regions, a compartment, a topic and an operator."""
    emulator = Emulator(subscribed_regions=[HOME_REGION, DR_REGION])
    emulator.start()
    try:
        control = EmulatorControl(emulator.base_url)
        compartment = str(control.create_compartment(compartment_name)["id"])
        control.grant_resource_availability()  # the deployment's `read resource-availability` (iam.tf)
        topic = str(control.create_topic(HOME_REGION, compartment, topic_name)["topicId"])
        sandbox = str(control.create_compartment("restore-sandbox")["id"])
        built = Stage(emulator, control, compartment, topic, operator_client(control), sandbox)
        built.recovery_id = str(control.create_compartment("recovery")["id"])
    except BaseException:
        emulator.stop()
        raise
    try:
        yield built
    finally:
        built.stop()


def pretty(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=True)
