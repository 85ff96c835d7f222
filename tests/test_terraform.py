"""Structural checks of terraform/ on the parsed HCL (python-hcl2): no provider, no network.

What `terraform validate` (../shared/tools/tf-validate) and checkov cannot see: that every
function has its Events rule, schedule and route, the event types and config keys the Python
handlers rely on, IAM scope, the image variable and the gateway's authentication.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

hcl2 = pytest.importorskip("hcl2")

TF_DIR = Path(__file__).resolve().parent.parent / "terraform"
HANDLERS = ("create_backup", "copy_backup", "retag_group_backup")
ROUTES = {"create_backup": "create-backup", "copy_backup": "copy-backup", "retag_group_backup": "retag-group-backup"}
EXPECTED_EVENT_TYPES = {
    "create_backup": [
        "com.oraclecloud.blockvolumes.createvolume.end",
        "com.oraclecloud.blockvolumes.createbootvolume.end",
        "com.oraclecloud.blockvolumes.createvolumegroup.end",
    ],
    "copy_backup": [
        "com.oraclecloud.blockvolumes.createvolumebackup.end",
        "com.oraclecloud.blockvolumes.createbootvolumebackup.end",
    ],
    "retag_group_backup": ["com.oraclecloud.blockvolumes.createvolumegroupbackup.end"],
}
COMMON_KEYS = {"NOTIFICATION_TOPIC_ID", "NOTIFY_ON", "GATEWAY_TOKEN_SHA256", "COMPARTMENT_IDS", "SELECTOR"}
HANDLER_KEYS = {
    "create_backup": {"RETENTION_DAYS", "RETENTION_COUNT", "RETENTION_MIN_KEEP", "FULL_EVERY", "BACKUP_NAME_TEMPLATE"},
    "copy_backup": {"COPY_DESTINATION_REGIONS"},
    "retag_group_backup": set(),
}


@dataclass
class Config:
    """All *.tf files of terraform/, merged by block kind."""

    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    providers: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        assert name in self.resources.get(kind, {}), f"missing resource {kind}.{name}"
        return self.resources[kind][name]


def _load() -> Config:
    options = hcl2.utils.SerializationOptions(strip_string_quotes=True, with_comments=False)
    config = Config()
    for path in sorted(TF_DIR.glob("*.tf")):
        text = path.read_text(encoding="utf-8")
        config.text += text
        try:
            doc = hcl2.loads(text, serialization_options=options)
        except Exception as exc:  # pragma: no cover - python-hcl2 parses the whole configuration today
            pytest.skip(f"python-hcl2 cannot parse {path.name}: {exc}")
        for block in doc.get("resource", []):
            for kind, named in block.items():
                config.resources.setdefault(kind, {}).update(named)
        for block in doc.get("data", []):
            for kind, named in block.items():
                config.data.setdefault(kind, {}).update(named)
        for block in doc.get("variable", []):
            config.variables.update(block)
        for block in doc.get("output", []):
            config.outputs.update(block)
        for block in doc.get("locals", []):
            config.locals.update(block)
        config.terraform.extend(doc.get("terraform", []))
        config.providers.extend(doc.get("provider", []))
    return config


@pytest.fixture(scope="module")
def tf() -> Config:
    return _load()


def one(blocks: Any) -> dict[str, Any]:
    """A nested block that must appear exactly once."""
    assert isinstance(blocks, list) and len(blocks) == 1, blocks
    assert isinstance(blocks[0], dict)
    return blocks[0]


def policy_statements(tf: Config) -> Iterator[tuple[str, str]]:
    for name, policy in tf.resources["oci_identity_policy"].items():
        statements = policy["statements"]
        assert isinstance(statements, list) and statements, f"{name}: statements must be a literal list"
        for statement in statements:
            yield name, statement


# --- the three functions and their triggers -----------------------------------------------------


def test_event_types_are_listed_once_in_locals(tf: Config) -> None:
    assert tf.locals["event_types"] == EXPECTED_EVENT_TYPES
    for path in TF_DIR.glob("*.tf"):
        if path.name != "locals.tf":
            assert "com.oraclecloud." not in path.read_text(encoding="utf-8"), (
                f"event types outside locals: {path.name}"
            )


def test_three_functions_on_one_image(tf: Config) -> None:
    fn = tf.resource("oci_functions_function", "this")
    assert fn["for_each"] == "${local.functions}"
    assert set(tf.locals["functions"]) == set(HANDLERS)
    assert fn["image"] == "${var.function_image}"
    assert "image_digest" not in fn
    assert fn["memory_in_mbs"] == "${tostring(var.function_memory_mb)}"
    assert fn["timeout_in_seconds"] == "${var.function_timeout_seconds}"
    assert tf.variables["function_memory_mb"]["default"] == 256
    assert tf.variables["function_timeout_seconds"]["default"] == 300


def test_each_function_has_an_events_rule(tf: Config) -> None:
    rule = tf.resource("oci_events_rule", "this")
    assert rule["for_each"] == "${local.event_types}"
    assert set(tf.locals["event_types"]) == set(HANDLERS)
    assert rule["is_enabled"] is True
    assert rule["condition"] == "${jsonencode({eventType = each.value})}"
    actions = one(rule["actions"])
    assert "actions" not in actions, "use the new `actions { action { } }` syntax"
    action = one(actions["action"])
    assert action["action_type"] == "FAAS"
    assert action["is_enabled"] is True
    assert action["function_id"] == "${oci_functions_function.this[each.key].id}"


def test_each_function_has_a_schedule(tf: Config) -> None:
    schedule = tf.resource("oci_resource_scheduler_schedule", "this")
    assert schedule["for_each"] == "${local.schedules}"
    assert set(tf.locals["schedules"]) == set(HANDLERS)
    assert schedule["action"] == "START_RESOURCE"
    assert schedule["recurrence_type"] == "${var.schedule_recurrence_type}"
    assert schedule["recurrence_details"] == "${each.value.recurrence}"
    resource = one(schedule["resources"])
    assert resource["id"] == "${oci_functions_function.this[each.key].id}"
    parameter = one(resource["parameters"])
    assert parameter["parameter_type"] == "BODY"
    (body,) = parameter["value"]
    assert re.fullmatch(r'\$\{jsonencode\(\{trigger = "schedule", schedule = each\.value\.name\}\)\}', body), body
    for handler, entry in tf.locals["schedules"].items():
        assert re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", entry["name"]), handler  # ScheduleRequest.schedule
        assert entry["recurrence"] == f"${{var.{handler}_schedule}}"
        assert "default" in tf.variables[f"{handler}_schedule"]


def test_each_function_has_a_route(tf: Config) -> None:
    deployment = tf.resource("oci_apigateway_deployment", "this")
    assert deployment["path_prefix"] == "/backup"
    spec = one(deployment["specification"])
    routes = one(spec["dynamic"])["routes"]
    assert routes["for_each"] == "${local.functions}"
    assert routes["iterator"] == "fn"
    content = one(routes["content"])
    assert content["path"] == "/${fn.value.slug}"
    assert content["methods"] == ["POST"]
    backend = one(content["backend"])
    assert backend["type"] == "ORACLE_FUNCTIONS_BACKEND"
    assert backend["function_id"] == "${oci_functions_function.this[fn.key].id}"
    assert {k: v["slug"] for k, v in tf.locals["functions"].items()} == ROUTES


# --- function configuration (the handlers' contract) ---------------------------------------------


def test_function_config_keys(tf: Config) -> None:
    fn = tf.resource("oci_functions_function", "this")
    # Operator extras first, module-managed keys after them, HANDLER last: the module's keys win.
    assert fn["config"] == (
        "${merge(local.extra_config[each.key], local.common_config, local.handler_config[each.key], "
        "{HANDLER = each.key})}"
    )
    common = tf.locals["common_config"]
    assert set(common) >= COMMON_KEYS
    assert common["NOTIFICATION_TOPIC_ID"] == "${oci_ons_notification_topic.this.id}"
    assert common["GATEWAY_TOKEN_SHA256"] == "${sha256(var.gateway_token)}"
    assert common["NOTIFY_ON"] == "${var.notify_on}"
    assert common["SELECTOR"] == "${var.selector}"
    assert common["COMPARTMENT_IDS"] == '${join(",", local.sweep_compartment_ids)}'
    handler_config = tf.locals["handler_config"]
    assert set(handler_config) == set(HANDLERS)
    for handler in HANDLERS:
        assert set(handler_config[handler]) >= HANDLER_KEYS[handler], handler
        assert tf.locals["extra_config"][handler] == f"${{var.extra_config_{handler}}}"
        variable = tf.variables[f"extra_config_{handler}"]
        assert variable["type"] == "${map(string)}"
        assert variable["default"] == {}
        # OCI_ENDPOINT_TEMPLATE is for local emulation only: never set, and refused in the extras.
        assert "OCI_ENDPOINT_TEMPLATE" not in set(common) | set(handler_config[handler])
        assert '"OCI_ENDPOINT_TEMPLATE"' in one(variable["validation"])["condition"]
        assert '"HANDLER"' in one(variable["validation"])["condition"]
    assert "OCI_ENDPOINT_TEMPLATE" not in fn["config"]


def _aliases(path: Path) -> set[str]:
    """The `alias="..."` names of the pydantic fields declared in a module (read, not imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        kw.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "alias" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)
    }


def test_config_keys_are_known_to_the_handlers(tf: Config) -> None:
    root = TF_DIR.parent
    settings = root / "shared" / "settings.py"
    names = next(
        ast.literal_eval(node.value)
        for node in ast.walk(ast.parse(settings.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "HANDLER_NAMES" for t in node.targets)
    )
    assert set(HANDLERS) == set(names)
    common = _aliases(settings)
    for handler in HANDLERS:
        module = root / "functions" / f"{handler}.py"
        sources = [module] if module.exists() else sorted((root / "functions" / handler).glob("*.py"))
        known = common.union(*(_aliases(source) for source in sources))
        keys = set(tf.locals["common_config"]) | set(tf.locals["handler_config"][handler]) | {"HANDLER"}
        assert keys <= known, f"{handler}: config keys the handler does not read: {sorted(keys - known)}"


# --- IAM -----------------------------------------------------------------------------------------


def test_every_iam_statement_is_compartment_scoped(tf: Config) -> None:
    statements = list(policy_statements(tf))
    assert len(statements) >= 10
    for name, statement in statements:
        assert re.search(r"\sin compartment id \$\{(var\.compartment_ocid|each\.value)\}", statement), (name, statement)
        assert not re.search(r"(?i)\bin\s+tenancy\b", statement), (name, statement)
        assert not re.search(r"(?i)\bmanage\s+all-resources\b", statement), (name, statement)
    per_compartment = tf.resource("oci_identity_policy", "functions_storage")["for_each"]
    assert per_compartment == "${toset(local.sweep_compartment_ids)}"


def test_iam_grants_what_the_functions_need(tf: Config) -> None:
    text = "\n".join(statement for _, statement in policy_statements(tf))
    dg = "Allow dynamic-group ${oci_identity_dynamic_group.functions.name} to "
    for grant in (
        "use volumes",
        "use boot-volumes",
        "use volume-groups",
        "manage volume-backups",
        "manage boot-volume-backups",
        "manage volume-group-backups",
        "{VOLUME_BACKUP_COPY, BOOT_VOLUME_BACKUP_COPY}",
        "read compartments",
        "use ons-topics",
        "use fn-invocation",
    ):
        assert f"{dg}{grant} in compartment id " in text, grant
    assert "Allow service cloudEvents to use functions-family in compartment id ${var.compartment_ocid}" in text
    assert "request.principal.type = 'ApiGateway'" in text
    for handler in HANDLERS:
        assert (
            "request.principal.type = 'resourceschedule', "
            f"request.principal.id = '${{oci_resource_scheduler_schedule.this[\"{handler}\"].id}}'"
        ) in text, handler


def test_dynamic_group_matches_these_functions_only(tf: Config) -> None:
    group = tf.resource("oci_identity_dynamic_group", "functions")
    assert group["compartment_id"] == "${var.tenancy_ocid}"
    rule = group["matching_rule"]
    assert rule.startswith("ANY {")
    assert "resource.type = 'fnfunc'" in rule
    assert "resource.compartment.id = '${var.compartment_ocid}'" in rule
    assert "resource.id = '${oci_functions_function.this[k].id}'" in rule
    assert "keys(local.functions)" in rule
    for kind in ("oci_identity_dynamic_group", "oci_identity_policy"):
        for name, body in tf.resources[kind].items():
            assert body["provider"] == "${oci.home}", f"{kind}.{name} must be created in the home region"


# --- API Gateway ---------------------------------------------------------------------------------


def test_gateway_is_never_anonymous(tf: Config) -> None:
    spec = one(tf.resource("oci_apigateway_deployment", "this")["specification"])
    policies = one(spec["request_policies"])
    auth = one(policies["authentication"])
    assert auth["type"] in {"JWT_AUTHENTICATION", "TOKEN_AUTHENTICATION"}
    assert auth["is_anonymous_access_allowed"] is False
    validation = one(auth["validation_policy"])
    assert validation["type"] == "REMOTE_JWKS"
    assert validation["uri"] == "${var.gateway_jwks_uri}"
    assert validation["is_ssl_verify_disabled"] is False
    claims = one(validation["additional_validation_policy"])
    assert claims["issuers"] == "${var.gateway_jwt_issuers}"
    assert claims["audiences"] == "${var.gateway_jwt_audiences}"
    limit = one(policies["rate_limiting"])
    assert limit["rate_key"] == "CLIENT_IP"

    route = one(one(spec["dynamic"])["routes"]["content"])
    route_policies = one(route["request_policies"])
    authorization = one(route_policies["authorization"])
    assert authorization["type"] == "${local.gateway_authorization}"
    choice = tf.locals["gateway_authorization"]
    assert "ANONYMOUS" not in choice
    assert set(re.findall(r'"([A-Z_]+)"', choice)) == {"ANY_OF", "AUTHENTICATION_ONLY"}
    assert "ANONYMOUS" not in tf.text


def test_gateway_sets_identity_headers(tf: Config) -> None:
    spec = one(tf.resource("oci_apigateway_deployment", "this")["specification"])
    route = one(one(spec["dynamic"])["routes"]["content"])
    headers = one(one(one(route["request_policies"])["header_transformations"])["set_headers"])
    items = {item["name"]: item for item in headers["items"]}
    assert items["X-Gateway-Token"]["values"] == ["${var.gateway_token}"]
    assert items["X-Auth-Subject"]["values"] == ["$${request.auth[sub]}"]  # HCL escape of ${request.auth[sub]}
    assert {item["if_exists"] for item in items.values()} == {"OVERWRITE"}
    token = tf.variables["gateway_token"]
    assert token["sensitive"] is True
    assert "default" not in token
    assert one(token["validation"])["condition"] == "${length(var.gateway_token) >= 32}"


# --- inputs, outputs, providers ------------------------------------------------------------------


def test_image_is_a_variable_without_default(tf: Config) -> None:
    image = tf.variables["function_image"]
    assert "default" not in image
    assert image["description"]
    match = re.search(r'regex\("(.+)", var\.function_image\)', one(image["validation"])["condition"])
    assert match, "function_image must be validated with a regex"
    pattern = re.compile(match.group(1).replace("\\\\", "\\"))
    for good in (
        "iad.ocir.io/mytenancy/block-backup:0.1.0",
        "us-ashburn-1.ocir.io/ns/team/block-backup:v2",
        "iad.ocir.io/ns/block-backup@sha256:" + "0" * 64,
        "localhost:5000/block-backup:dev",
    ):
        assert pattern.fullmatch(good), good
    for bad in ("block-backup", "iad.ocir.io/ns/block-backup", "iad.ocir.io/ns/repo:", "IAD.ocir.io/ns/repo:1"):
        assert not pattern.fullmatch(bad), bad


def test_variables_are_documented_and_examples_cover_required_ones(tf: Config) -> None:
    example = (TF_DIR / "terraform.tfvars.example").read_text(encoding="utf-8")
    for name, variable in tf.variables.items():
        assert variable.get("description"), f"variable {name} has no description"
        if "default" not in variable:
            assert re.search(rf"(?m)^{name}\s*=", example), f"{name} is required but missing from the example"
    for name, output in tf.outputs.items():
        assert output.get("description"), f"output {name} has no description"
    assert {"function_ids", "notification_topic_id", "gateway_url"} <= set(tf.outputs)


def test_provider_is_oci_only_and_pinned(tf: Config) -> None:
    required = one(one(tf.terraform)["required_providers"])
    assert {k for k in required if not k.startswith("__")} == {"oci"}
    assert required["oci"]["source"] == "oracle/oci"
    assert required["oci"]["version"] == ">= 8.22.0, < 9.0.0"
    kinds = set(tf.resources) | set(tf.data)
    assert all(kind.startswith("oci_") for kind in kinds), kinds
    assert "provisioner" not in tf.text
    assert {next(iter(p)) for p in tf.providers} == {"oci"}


def test_function_invoke_logs(tf: Config) -> None:
    log = tf.resource("oci_logging_log", "function_invoke")
    assert log["log_type"] == "SERVICE"
    source = one(one(log["configuration"])["source"])
    assert source == {
        "category": "invoke",
        "resource": "${oci_functions_application.this.id}",
        "service": "functions",
        "source_type": "OCISERVICE",
        "__is_block__": True,
    }


def test_functions_subnet_is_private(tf: Config) -> None:
    subnet = tf.resource("oci_core_subnet", "functions")
    assert subnet["prohibit_public_ip_on_vnic"] is True
    assert subnet["prohibit_internet_ingress"] is True
    assert tf.resource("oci_functions_application", "this")["subnet_ids"] == ["${oci_core_subnet.functions.id}"]
    assert tf.resource("oci_core_nat_gateway", "this")["count"] == "${length(var.copy_destination_regions) > 0 ? 1 : 0}"


def test_every_event_type_a_handler_registers_is_wired(tf: Config) -> None:
    """The handlers' own registrations (SPEC.event_types) match the Events rules, one to one."""
    import importlib

    for handler in HANDLERS:
        spec = importlib.import_module(f"functions.{handler}").SPEC
        assert spec.name == handler and spec.route == ROUTES[handler]
        assert sorted(spec.event_types) == sorted(tf.locals["event_types"][handler])
