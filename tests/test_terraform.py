"""Structural checks of terraform/ on the parsed HCL (python-hcl2): no provider, no network.

What `terraform validate` (../shared/tools/tf-validate) and checkov cannot see: that every
function has its Events rule, schedule and route, the event types and config keys the Python
handlers rely on, IAM scope, the image variable and the gateway's authentication.
"""

from __future__ import annotations

import ast
import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

hcl2 = pytest.importorskip("hcl2")

TF_DIR = Path(__file__).resolve().parent.parent / "terraform"
EXAMPLE_DIR = TF_DIR / "examples" / "basic"  # a root that calls the module: one region, one DR region, e-mail
HANDLERS = ("create_backup", "copy_backup", "retag_group_backup", "restore_backup")
ROUTES = {
    "create_backup": "create-backup",
    "copy_backup": "copy-backup",
    "retag_group_backup": "retag-group-backup",
    "restore_backup": "restore-backup",
}
EXPECTED_EVENT_TYPES = {
    "create_backup": [
        "com.oraclecloud.blockvolumes.createvolume.end",
        "com.oraclecloud.blockvolumes.createbootvolume.end",
        "com.oraclecloud.blockvolumes.createvolumegroup.end",
        "com.oraclecloud.computeapi.launchinstance.end",
    ],
    "copy_backup": [
        "com.oraclecloud.blockvolumes.createvolumebackup.end",
        "com.oraclecloud.blockvolumes.createbootvolumebackup.end",
        "com.oraclecloud.blockvolumes.createvolumegroupbackup.end",
    ],
    "retag_group_backup": ["com.oraclecloud.blockvolumes.createvolumegroupbackup.end"],
    "restore_backup": [
        "com.oraclecloud.blockvolumes.createvolume.end",
        "com.oraclecloud.blockvolumes.createbootvolume.end",
        "com.oraclecloud.blockvolumes.createvolumegroup.end",
    ],
}
COMMON_KEYS = {
    "NOTIFICATION_TOPIC_ID",
    "NOTIFICATION_TOPIC_ENDPOINT",
    "NOTIFY_ON",
    "GATEWAY_TOKEN_SHA256",
    "COMPARTMENT_IDS",
    "SELECTOR",
}
HANDLER_KEYS = {
    "create_backup": {
        "RETENTION_DAYS",
        "RETENTION_COUNT",
        "RETENTION_MIN_KEEP",
        "FULL_EVERY",
        "BACKUP_NAME_TEMPLATE",
        "BACKUP_LOCK_DAYS",
        "BACKUP_LOCK_MODE",
    },
    "copy_backup": {"COPY_DESTINATION_REGIONS", "COPY_KMS_KEY_IDS", "COPY_LOCK_DAYS", "COPY_LOCK_DAYS_BY_REGION"},
    "retag_group_backup": set(),
    "restore_backup": {
        "VERIFY_EVERY_DAYS",
        "RESTORE_REGIONS",
        "RESTORE_TTL_MINUTES",
        "RESTORE_TIMEOUT_MINUTES",
        "RESTORES_PER_RUN",
        "RESTORE_MAX_GB_PER_RUN",
    },
}


@dataclass
class Config:
    """All *.tf files of one folder (terraform/, the module, unless said), merged by block kind."""

    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    providers: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        assert name in self.resources.get(kind, {}), f"missing resource {kind}.{name}"
        return self.resources[kind][name]


def _load(directory: Path = TF_DIR) -> Config:
    options = hcl2.utils.SerializationOptions(strip_string_quotes=True, with_comments=False)
    config = Config()
    for path in sorted(directory.glob("*.tf")):
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
        for block in doc.get("module", []):
            config.modules.update(block)
        config.terraform.extend(doc.get("terraform", []))
        config.providers.extend(doc.get("provider", []))
    return config


@pytest.fixture(scope="module")
def tf() -> Config:
    return _load()


@pytest.fixture(scope="module")
def example() -> Config:
    return _load(EXAMPLE_DIR)


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


# --- the four functions and their triggers -----------------------------------------------------


def test_event_types_are_listed_once_in_locals(tf: Config) -> None:
    assert tf.locals["event_types"] == EXPECTED_EVENT_TYPES
    for path in TF_DIR.glob("*.tf"):
        if path.name != "locals.tf":
            assert "com.oraclecloud." not in path.read_text(encoding="utf-8"), (
                f"event types outside locals: {path.name}"
            )


def test_four_functions_on_one_image(tf: Config) -> None:
    fn = tf.resource("oci_functions_function", "this")
    assert fn["for_each"] == "${local.functions}"
    assert set(tf.locals["functions"]) == set(HANDLERS)
    assert fn["image"] == "${var.function_image}"
    assert fn["image_digest"] == "${var.image_digest}"  # null unless pinned: OCI resolves the tag
    assert tf.variables["image_digest"]["default"] is None
    assert fn["memory_in_mbs"] == "${tostring(var.function_memory_mb)}"
    assert fn["timeout_in_seconds"] == "${var.function_timeout_seconds}"
    assert fn["detached_mode_timeout_in_seconds"] == "${var.function_detached_timeout_seconds}"
    assert tf.variables["function_memory_mb"]["default"] == 256
    assert tf.variables["function_timeout_seconds"]["default"] == 300


def test_each_function_has_an_events_rule(tf: Config) -> None:
    rule = tf.resource("oci_events_rule", "this")
    assert rule["for_each"] == '${{for k, types in local.event_types : k => types if k != "restore_backup"}}'
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
    assert fn["config"] == "${local.function_config[each.key]}"
    # Operator extras first, module-managed keys after them, HANDLER last: the module's keys win.
    assert tf.locals["function_config"] == (
        "${{for k in keys(local.functions) : k => merge(local.extra_config[k], local.common_config, "
        "local.handler_config[k], {HANDLER = k})}}"
    )
    common = tf.locals["common_config_known"] | tf.locals["config_sized_later"]
    assert set(common) >= COMMON_KEYS
    assert tf.locals["config_sized_later"]["NOTIFICATION_TOPIC_ID"]["value"] == "${oci_ons_notification_topic.this.id}"
    assert tf.locals["config_sized_later"]["GATEWAY_TOKEN_SHA256"]["value"] == "${sha256(var.gateway_token)}"
    endpoint = tf.locals["config_sized_later"]["NOTIFICATION_TOPIC_ENDPOINT"]["value"]
    assert endpoint == "${oci_ons_notification_topic.this.api_endpoint}"  # PublishMessage without GetTopic
    assert common["NOTIFY_ON"] == "${var.notify_on}"
    assert common["SELECTOR"] == "${var.selector}"
    assert common["COMPARTMENT_IDS"] == '${join(",", local.sweep_compartment_ids)}'
    assert common["DETACHED_TIMEOUT_SECONDS"] == "${tostring(var.function_detached_timeout_seconds)}"
    handler_config = tf.locals["handler_config"]
    assert set(handler_config) == set(HANDLERS)
    for handler in HANDLERS:
        keys = set(handler_config[handler])
        assert keys >= HANDLER_KEYS[handler], handler
        # OCI_ENDPOINT_TEMPLATE is for local emulation only: never set, and refused in the extras.
        assert "OCI_ENDPOINT_TEMPLATE" not in set(common) | keys
    # one map of extras keyed by function (a new function needs no new variable)
    assert tf.locals["extra_config"] == "${{for k in keys(local.functions) : k => lookup(var.extra_config, k, {})}}"
    variable = tf.variables["extra_config"]
    assert variable["type"] == "${map(map(string))}" and variable["default"] == {}
    assert not any(name.startswith("extra_config_") for name in tf.variables)
    assert not re.search(r"OCI_ENDPOINT_TEMPLATE\s*=", tf.text)


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
        common_keys = set(tf.locals["common_config_known"]) | set(tf.locals["config_sized_later"])
        keys = common_keys | set(tf.locals["handler_config"][handler]) | {"HANDLER"}
        assert keys <= known, f"{handler}: config keys the handler does not read: {sorted(keys - known)}"


# --- IAM -----------------------------------------------------------------------------------------


SCOPES = r"var\.compartment_ocid|each\.value|each\.value\.compartment_id|local\.image_repository_compartment_id"


def test_every_iam_statement_is_compartment_scoped(tf: Config) -> None:
    statements = list(policy_statements(tf))
    assert len(statements) >= 10
    for name, statement in statements:
        if name == "functions_limits":  # the one tenancy-wide statement: the Limits service's usage counts
            assert statement == f"{DG}read resource-availability in tenancy"
            continue
        assert re.search(rf"\sin compartment id \$\{{({SCOPES})\}}", statement), (name, statement)
        assert not re.search(r"(?i)\bin\s+tenancy\b", statement), (name, statement)
        assert not re.search(r"(?i)\bmanage\s+all-resources\b", statement), (name, statement)
    per_compartment = tf.resource("oci_identity_policy", "functions_storage")["for_each"]
    assert per_compartment == "${toset(local.sweep_compartment_ids)}"


# Operation -> permissions (OCI policy reference, "Details for the Core Services" and the service pages)
# -> the statement granting them. The same table is in terraform/README.md ("IAM").
DG = "Allow dynamic-group ${local.dynamic_group} to "
STORAGE_GRANTS = {
    "{VOLUME_INSPECT, VOLUME_WRITE}": {"VOLUME_INSPECT", "VOLUME_WRITE"},
    "inspect volume-groups": {"VOLUME_GROUP_INSPECT"},
    "{VOLUME_BACKUP_INSPECT, VOLUME_BACKUP_READ, VOLUME_BACKUP_CREATE, VOLUME_BACKUP_UPDATE, VOLUME_BACKUP_DELETE, "
    "VOLUME_BACKUP_COPY}": {"VOLUME_BACKUP_COPY"},
    "{BOOT_VOLUME_BACKUP_INSPECT, BOOT_VOLUME_BACKUP_READ, BOOT_VOLUME_BACKUP_CREATE, BOOT_VOLUME_BACKUP_UPDATE, "
    "BOOT_VOLUME_BACKUP_DELETE, BOOT_VOLUME_BACKUP_COPY}": {"BOOT_VOLUME_BACKUP_COPY"},
    "{VOLUME_GROUP_BACKUP_INSPECT, VOLUME_GROUP_BACKUP_CREATE, VOLUME_GROUP_BACKUP_UPDATE, "
    "VOLUME_GROUP_BACKUP_DELETE}": {"VOLUME_GROUP_BACKUP_CREATE"},
    "inspect compartments": {"COMPARTMENT_INSPECT"},
}


def test_iam_grants_what_the_functions_need(tf: Config) -> None:
    text = "\n".join(statement for _, statement in policy_statements(tf))
    for grant in STORAGE_GRANTS:
        assert f"{DG}{grant} in compartment id ${{each.value}}" in text, grant
    assert f"{DG}{{ONS_TOPIC_PUBLISH}} in compartment id ${{var.compartment_ocid}}" in text
    # InvokeFunction: these functions only (target.function.id); GetFunction (invokeEndpoint) unconditioned:
    # Functions documents no variable naming the function for it, and an unknown variable declines the request
    assert (
        f"{DG}use fn-invocation in compartment id ${{var.compartment_ocid}} where ANY {{${{local.these_functions}}}}"
        in text
    )
    assert f"{DG}read fn-function in compartment id ${{var.compartment_ocid}}" in text.splitlines()
    assert "target.function.id = '${oci_functions_function.this[k].id}'" in tf.locals["these_functions"]
    assert "Allow service cloudEvents to use functions-family in compartment id ${var.compartment_ocid}" in text
    assert "request.principal.type = 'ApiGateway'" in text
    for handler in HANDLERS:
        assert (
            "request.principal.type = 'resourceschedule', "
            f"request.principal.id = '${{oci_resource_scheduler_schedule.this[\"{handler}\"].id}}'"
        ) in text, handler
    # The Functions service pulls the image and attaches to the subnet.
    assert "Allow service faas to read repos in compartment id ${local.image_repository_compartment_id}" in text
    assert "Allow service faas to use virtual-network-family in compartment id ${var.compartment_ocid}" in text
    # Copies to Vault keys: the Block Volume service uses each key, the functions get key-delegate on it.
    keys = tf.resource("oci_identity_policy", "copy_keys")
    assert keys["for_each"] == "${var.copy_kms_keys}"
    assert keys["statements"] == [
        "Allow service blockstorage to use keys in compartment id ${each.value.compartment_id} "
        "where target.key.id = '${each.value.key_id}'",
        f"{DG}use key-delegate in compartment id ${{each.value.compartment_id}} "
        "where target.key.id = '${each.value.key_id}'",
    ]


def test_no_statement_uses_a_resource_type_oci_does_not_have(tf: Config) -> None:
    """Resource types of the policy reference only (there is no `boot-volumes`: boot volumes are `volumes`)."""
    known = {
        "volumes", "volume-groups", "volume-backups", "boot-volume-backups", "volume-group-backups",
        "compartments", "ons-topics", "fn-invocation", "functions-family", "tag-namespaces", "keys",
        "key-delegate", "repos", "virtual-network-family", "metrics", "fn-function", "resource-availability",
    }  # fmt: skip
    for name, statement in policy_statements(tf):
        verb = re.search(r"\bto (inspect|read|use|manage) ([a-z-]+)", statement)
        if verb:
            assert verb.group(2) in known, (name, statement)
    assert "boot-volumes" not in tf.text


def test_policy_compartment_must_be_an_ancestor(tf: Config) -> None:
    """A compartment given as policy_compartment_ocid is checked against every compartment a statement names."""
    runtime = tf.resource("oci_identity_policy", "functions")
    check = one(one(runtime["lifecycle"])["precondition"])
    assert check["condition"] == "${length(local.policy_compartment_outside) == 0}"
    assert "ancestor" in check["error_message"]
    for level in range(1, 6):
        assert f"parent_{level}" in tf.data["oci_identity_compartment"]
    assert tf.data["oci_identity_compartment"]["parent_1"]["for_each"] == (
        "${local.check_policy_ancestry ? toset(local.policy_named_compartments) : toset([])}"
    )
    assert "ancestor" in tf.variables["policy_compartment_ocid"]["description"]


def test_policies_on_the_tenancy_need_no_ancestry_check(console: Console) -> None:
    """The tenancy is every compartment's ancestor: nothing is read, nothing is outside."""
    assert console.value("[local.check_policy_ancestry, local.policy_compartment_outside]") == [False, []]
    tenancy = console.value("var.tenancy_ocid")
    assert console.value("local.policy_compartment_outside", policy_compartment_ocid=tenancy) == []


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
    # length, classes, distinct characters, no expression, placeholders: test_terraform_token.py
    assert len(token["validation"]) == 5


# --- inputs, outputs, providers ------------------------------------------------------------------


def test_image_is_a_variable_without_default(tf: Config) -> None:
    image = tf.variables["function_image"]
    assert "default" not in image
    conditions = [block["condition"] for block in image["validation"]]
    assert any("local.ocir_hosts" in c for c in conditions), "function_image must be checked against the region"
    assert tf.locals["ocir_hosts"].count("ocir") == 3  # <key>.ocir.io, <region>.ocir.io, ocir.<region>.oci.<domain>


def test_variables_are_documented_and_the_example_sets_the_required_ones(tf: Config, example: Config) -> None:
    call = example.modules["block_backup"]
    for name, variable in tf.variables.items():
        assert variable.get("description"), f"variable {name} has no description"
        if "default" not in variable:
            assert name in call, f"{name} is required by the module but examples/basic does not set it"
    assert set(call) - {"source", "providers", "__is_block__"} <= set(tf.variables)
    tfvars = (EXAMPLE_DIR / "terraform.tfvars.example").read_text(encoding="utf-8")
    for name, variable in example.variables.items():
        assert variable.get("description"), f"examples/basic: variable {name} has no description"
        if "default" not in variable and name != "gateway_token":  # a secret: TF_VAR_gateway_token, never a file
            assert re.search(rf"(?m)^{name}\s*=", tfvars), f"{name} is required but missing from the example tfvars"
    for name, output in tf.outputs.items():
        assert output.get("description"), f"output {name} has no description"
        assert example.outputs[name]["value"] == f"${{module.block_backup.{name}}}", name  # make smoke reads them
    assert {"function_ids", "notification_topic_id", "gateway_url"} <= set(tf.outputs)


def test_the_module_configures_no_provider_and_the_example_passes_both(tf: Config, example: Config) -> None:
    """A child module takes its providers from the caller: `oci` (the functions' region) and `oci.home`."""
    required = one(one(tf.terraform)["required_providers"])
    assert {k for k in required if not k.startswith("__")} == {"oci"}
    assert required["oci"]["source"] == "oracle/oci"
    assert required["oci"]["version"] == ">= 8.22.0, < 9.0.0"
    assert required["oci"]["configuration_aliases"] == ["${oci.home}"]
    kinds = set(tf.resources) | set(tf.data)
    assert all(kind.startswith("oci_") for kind in kinds), kinds
    assert "provisioner" not in tf.text
    assert tf.providers == [] and "backend" not in one(tf.terraform)
    assert {p["oci"].get("alias") for p in example.providers} == {None, "home"}
    home = next(p["oci"] for p in example.providers if p["oci"].get("alias") == "home")
    assert home["region"] == "${var.home_region}"
    call = example.modules["block_backup"]
    assert call["source"] == "../.." and call["providers"] == {"oci": "oci", "${oci.home}": "${oci.home}"}
    assert one(one(example.terraform)["required_providers"])["oci"]["version"] == required["oci"]["version"]


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
    """The handlers' own registrations (SPEC.event_kinds) match the Events rules, one to one."""
    import importlib

    for handler in HANDLERS:
        spec = importlib.import_module(f"functions.{handler}").SPEC
        assert spec.name == handler and spec.route == ROUTES[handler]
        assert sorted(spec.event_kinds) == sorted(tf.locals["event_types"][handler])


# --- plan-time checks, evaluated by the real `terraform console` (offline) -------------------------
#
# ../shared/tools/tf-validate serves the provider's schemas through a stand-in plugin; with it,
# `terraform console` evaluates variables (and their validations) and locals of this configuration
# without a provider or network. Resources read as unknown, which is why the checks below live in
# variable validations and in locals (the preconditions only compare those locals).

TF_VALIDATE = TF_DIR.parent.parent / "shared" / "tools" / "tf-validate"
TOKEN = "Zq8Lm3Np7Rt2Vx6Bd9Fh4Jk1Ws5Yc0Ge"  # passes the gateway_token validation (mixed classes, no placeholder word)
BASE_VARS: dict[str, Any] = {
    "gateway_token": TOKEN,
    "gateway_jwks_egress_cidrs": ["203.0.113.10/32"],
}
# The module's inputs in the console (a root of its own: terraform.tfvars.json), as examples/basic sets them.
MODULE_INPUTS: dict[str, Any] = {
    "tenancy_ocid": "ocid1.tenancy.oc1..aaaaaaaaexampleexampleexampleexampleexampleexampleexample",
    "compartment_ocid": "ocid1.compartment.oc1..aaaaaaaaexampleexampleexampleexampleexampleexampleexampl",
    "region": "us-ashburn-1",
    "function_image": "iad.ocir.io/mytenancynamespace/block-backup:0.1.0",
    "copy_destination_regions": ["us-phoenix-1"],
    "notification_email": "storage-team@example.com",
    "gateway_jwt_issuers": ["https://identity.oraclecloud.com/", "https://identity.oraclecloud.com"],
    "gateway_jwt_audiences": ["block-backup-api/"],
    "gateway_jwks_uri": "https://idcs-0123456789abcdef0123456789abcdef.identity.oraclecloud.com/admin/v1/SigningCert/jwk",
}
# What makes the module a root in the console: the two provider configurations a caller passes.
CONSOLE_PROVIDERS = 'provider "oci" {}\n\nprovider "oci" {\n  alias = "home"\n}\n'


class Console:
    """`terraform console` on a copy of the module made a root (two provider blocks, MODULE_INPUTS)."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env

    def run(self, expression: str, **variables: Any) -> tuple[Any, str]:
        """(value of the expression, error text): the error text is empty when every input was valid."""
        args = ["terraform", "console", "-no-color"]
        for name, value in {**BASE_VARS, **variables}.items():
            args.append(f"-var={name}={value if isinstance(value, str) else json.dumps(value)}")
        done = subprocess.run(
            args,
            input=f"jsonencode({expression})\n",
            capture_output=True,
            text=True,
            cwd=self.workdir,
            env=self.env,
            timeout=120,
        )
        output = done.stdout + done.stderr
        errors = output[output.index("Error:") :] if "Error:" in output else ""
        last = [line for line in done.stdout.splitlines() if line.startswith('"')]
        value = json.loads(json.loads(last[-1])) if last and not errors else None
        return value, errors

    def value(self, expression: str, **variables: Any) -> Any:
        value, errors = self.run(expression, **variables)
        assert not errors, errors
        return value

    def refused(self, variable: str, **variables: Any) -> str:
        """The validation message for an input that must be refused."""
        _, errors = self.run("null", **variables)
        assert "Invalid value for variable" in errors, f"{variables} was accepted"
        assert f'variable "{variable}"' in errors, errors
        return " ".join(errors.split())


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Console:
    return open_console(tmp_path_factory)


def run_tf_validate(directory: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """tf-validate on ``directory``, one at a time across test workers: its first run installs the stand-in
    provider into a shared cache, which two runs at once would both write."""
    with open(Path(tempfile.gettempdir()) / "tf-validate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return subprocess.run(
            [str(TF_VALIDATE), str(directory)], capture_output=True, text=True, timeout=300, check=False, env=env
        )


def open_console(tmp_path_factory: pytest.TempPathFactory) -> Console:
    """A `terraform console` on a fresh copy of terraform/ (skips when terraform or tf-validate is missing)."""
    if shutil.which("terraform") is None or not TF_VALIDATE.is_file():
        pytest.skip("terraform or ../shared/tools/tf-validate not available")
    workdir = tmp_path_factory.mktemp("tf") / "terraform"
    ignore = shutil.ignore_patterns("checkov", "examples", ".terraform*", "*.tfstate*", "*.tfvars")
    shutil.copytree(TF_DIR, workdir, ignore=ignore)
    (workdir / "console_providers.tf").write_text(CONSOLE_PROVIDERS, encoding="utf-8")
    (workdir / "terraform.tfvars.json").write_text(json.dumps(MODULE_INPUTS), encoding="utf-8")
    # tf-validate prepares the stand-in provider (a cached venv) and the CLI config pointing at it.
    run_tf_validate(workdir)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "oci-schema-provider"
    if not (cache / "cli.tfrc").is_file():
        pytest.skip("tf-validate did not set up its provider stand-in")
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cache / "cli.tfrc"),
        "OCI_SCHEMA_JSON": str(TF_VALIDATE.parent.parent / "reference" / "oci-terraform-schema.json"),
        "CHECKPOINT_DISABLE": "1",
    }
    return Console(workdir, env)


def test_example_inputs_are_valid(console: Console) -> None:
    names = console.value("[local.unique_name, local.ocir_hosts]")
    assert names == [
        "block-backup-iad",
        ["iad.ocir.io", "us-ashburn-1.ocir.io", "ocir.us-ashburn-1.oci.oraclecloud.com"],
    ]


def test_image_must_be_ocir_of_the_function_region(console: Console) -> None:
    digest = "sha256:" + "ab" * 32
    # The three host forms of the region are local.ocir_hosts (test_example_inputs_are_valid).
    good = "ocir.us-ashburn-1.oci.oraclecloud.com/ns/team/block-backup:1.2.3"
    assert console.value("[var.function_image, var.image_digest]", function_image=good, image_digest=digest) == [
        good,
        digest,
    ]
    for bad in (
        "phx.ocir.io/ns/block-backup:1",  # another region's registry
        "docker.io/library/python:3.12",  # not OCI Registry
        "localhost:5000/block-backup:dev",
        "iad.ocir.io/ns/block-backup",  # no tag
        f"iad.ocir.io/ns/block-backup@{digest}",  # a digest belongs in image_digest
    ):
        console.refused("function_image", function_image=bad)
    console.refused("image_digest", image_digest="sha256:xyz")
    # The same image is right for another region only from that region's registry.
    elsewhere = {"region": "us-phoenix-1", "copy_destination_regions": ["us-ashburn-1"]}
    assert console.value("var.function_image", function_image="phx.ocir.io/ns/r:1", **elsewhere)


def test_tenancy_unique_names_differ_per_region(console: Console, tf: Config) -> None:
    phx = {
        "region": "us-phoenix-1",
        "function_image": "phx.ocir.io/ns/block-backup:1",
        "copy_destination_regions": ["us-ashburn-1"],
    }
    assert console.value("local.unique_name", **phx) == "block-backup-phx"
    fra = {"region": "eu-frankfurt-1", "function_image": "fra.ocir.io/ns/block-backup:1", "name_prefix": "drsite"}
    assert console.value("local.unique_name", **fra) == "drsite-fra"
    for kind, name in (
        ("oci_identity_dynamic_group", "functions"),
        ("oci_ons_notification_topic", "this"),
        *(("oci_identity_policy", policy) for policy in tf.resources["oci_identity_policy"]),
    ):
        assert tf.resource(kind, name)["name"].startswith("${local.unique_name}-"), (kind, name)


def test_public_gateway_needs_explicit_ingress(console: Console) -> None:
    message = console.refused("gateway_ingress_cidrs", gateway_endpoint_type="PUBLIC")
    assert "explicit gateway_ingress_cidrs" in message
    cidrs = console.value(
        "local.gateway_ingress_cidrs", gateway_endpoint_type="PUBLIC", gateway_ingress_cidrs=["198.51.100.0/24"]
    )
    assert cidrs == ["198.51.100.0/24"]
    assert console.value("local.gateway_ingress_cidrs") == ["10.42.0.0/24"]  # PRIVATE: the VCN


def test_private_gateway_reaches_the_jwks_host(console: Console) -> None:
    """PRIVATE: an egress rule (HTTPS, through the NAT gateway) to the JWKS host; required."""
    console.refused("gateway_jwks_egress_cidrs", gateway_jwks_egress_cidrs=[])
    rules = console.value(
        "[for r in local.gateway_egress_rules : [r.destination, r.destination_type]"
        ' if r.destination_type == "CIDR_BLOCK"]',
        gateway_jwks_egress_cidrs=["203.0.113.10/32", "203.0.113.11/32"],
    )
    assert rules == [["203.0.113.10/32", "CIDR_BLOCK"], ["203.0.113.11/32", "CIDR_BLOCK"]]
    public = console.value(
        "[for r in local.gateway_egress_rules : r.destination]",
        gateway_endpoint_type="PUBLIC",
        gateway_ingress_cidrs=["198.51.100.0/24"],
        gateway_jwks_egress_cidrs=[],
    )
    assert public == ["0.0.0.0/0"]  # through the internet gateway: Functions and the JWKS host


def test_detached_timeout_is_longer_than_the_sync_timeout(console: Console) -> None:
    config = console.value("local.common_config_known")
    assert config["DETACHED_TIMEOUT_SECONDS"] == "900"
    assert "longer than function_timeout_seconds" in console.refused(
        "function_detached_timeout_seconds", function_detached_timeout_seconds=120
    )
    console.refused("function_detached_timeout_seconds", function_detached_timeout_seconds=3601)
    assert console.value("local.common_config_known.DETACHED_TIMEOUT_SECONDS", function_detached_timeout_seconds=3600)


def test_provisioned_concurrency_follows_the_memory_step(console: Console, tf: Config) -> None:
    assert console.value("local.provisioned_concurrency_step") == 20  # 256 MB
    assert console.value("var.provisioned_concurrency", provisioned_concurrency={"create_backup": 40}) == {
        "create_backup": 40
    }
    console.refused("provisioned_concurrency", provisioned_concurrency={"create_backup": 10})
    assert console.value(
        "var.provisioned_concurrency", provisioned_concurrency={"create_backup": 10}, function_memory_mb=512
    )
    console.refused("provisioned_concurrency", provisioned_concurrency={"nightly": 20})
    assert tf.variables["provisioned_concurrency"]["default"] == {}


def _config_bytes(config: dict[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in config.items())


def test_function_config_size_is_checked_at_plan_time(console: Console, tf: Config) -> None:
    """4 KB of UTF-8 keys and values per function; later values count at their reserved size."""
    sized = console.value("local.function_config_sized")
    counted = console.value("local.function_config_bytes")
    for handler in HANDLERS:
        assert counted[handler] == _config_bytes(sized[handler]), handler
        assert len(sized[handler]["NOTIFICATION_TOPIC_ID"]) == 100
        assert len(sized[handler]["GATEWAY_TOKEN_SHA256"]) == 64
        assert counted[handler] < 1024
    wide = console.value("local.function_config_bytes", extra_config={"copy_backup": {"COPY_NAME_TEMPLATE": "é" * 10}})
    assert wide["copy_backup"] == counted["copy_backup"] + len("COPY_NAME_TEMPLATE") + 20  # 2 bytes each
    many = [f"ocid1.compartment.oc1..{'a' * 60}{i:04d}" for i in range(60)]
    big = console.value("local.function_config_bytes", sweep_compartment_ids=many)
    assert all(size > 4096 for size in big.values())
    check = one(one(tf.resource("oci_functions_function", "this")["lifecycle"])["precondition"])
    assert check["condition"] == "${local.function_config_bytes[each.key] <= local.function_config_limit_bytes}"
    assert tf.locals["function_config_limit_bytes"] == 4096
    assert "4 KB" in check["error_message"]


def test_extra_config_cannot_override_managed_keys(console: Console) -> None:
    managed = console.value("local.managed_config_keys")
    for handler in HANDLERS:
        assert {"HANDLER", "OCI_ENDPOINT_TEMPLATE", "NOTIFICATION_TOPIC_ID", "DETACHED_TIMEOUT_SECONDS"} <= set(
            managed[handler]
        )
    assert "COPY_KMS_KEY_IDS" in managed["copy_backup"] and "RETENTION_DAYS" in managed["create_backup"]
    console.refused("extra_config", extra_config={"copy_backup": {"COPY_KMS_KEY_IDS": "x=y"}})
    console.refused("extra_config", extra_config={"retag_group_backup": {"OCI_ENDPOINT_TEMPLATE": "x"}})
    extras = console.value("local.extra_config", extra_config={"create_backup": {"DRY_RUN": "true"}})
    assert extras == {"create_backup": {"DRY_RUN": "true"}} | {k: {} for k in HANDLERS if k != "create_backup"}
    config = console.value("local.function_config_sized", extra_config={"copy_backup": {"COPY_RETENTION_DAYS": "14"}})
    assert config["copy_backup"]["COPY_RETENTION_DAYS"] == "14" and "COPY_RETENTION_DAYS" not in config["create_backup"]


def test_copy_keys_set_the_config_and_the_grants(console: Console) -> None:
    key = "ocid1.key.oc1.phx.abcdefgh.aaaaaaaakey"
    vault_compartment = "ocid1.compartment.oc1..aaaaaaaavault"
    keys = {"us-phoenix-1": {"key_id": key, "compartment_id": vault_compartment}}
    config = console.value("local.handler_config.copy_backup", copy_kms_keys=keys)
    assert config["COPY_KMS_KEY_IDS"] == f"us-phoenix-1={key}"
    assert console.value("local.handler_config.copy_backup.COPY_KMS_KEY_IDS") == ""
    assert vault_compartment in console.value("local.policy_named_compartments", copy_kms_keys=keys)
    other_region = {"eu-frankfurt-1": {"key_id": key, "compartment_id": vault_compartment}}
    console.refused("copy_kms_keys", copy_kms_keys=other_region)


def test_region_table_matches_the_client(console: Console) -> None:
    from shared.oci.regions import REALM_DOMAINS, REGION_KEYS, REGION_REALMS

    table = console.value("local.regions")
    expected = {
        name: {"key": key.lower(), "domain": REALM_DOMAINS[REGION_REALMS[name]]} for key, name in REGION_KEYS.items()
    }
    assert table == expected
