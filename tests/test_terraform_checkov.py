"""The project's own checkov checks (terraform/checkov/) catch what they exist for: one checkov run over an
unbroken copy of terraform/ and one broken copy per mutation. Skipped without .venv-checkov."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.test_terraform import TF_DIR, TOKEN

CHECKOV = TF_DIR.parent / ".venv-checkov" / "bin" / "checkov"


class Mutation(NamedTuple):
    """One broken copy of terraform/: `pattern` replaced once in `file`; `check` must then fail."""

    file: str
    pattern: str
    replacement: str
    check: str


RULE_LINE = r"(?m)^(\s*matching_rule\s*=\s*).*$"
RULE_END = r"(?m)^(\s*matching_rule\s*=\s*\"ANY \{.*)\}\"$"
MUTATIONS: dict[str, Mutation] = {
    "any_user_without_where": Mutation(
        "iam.tf",
        r"(\"Allow any-user to use functions-family in compartment id \$\{var\.compartment_ocid\}) where [^\"]*\"",
        r'\1"',
        "CKV_BBF_8",
    ),
    "group_of_every_fnfunc": Mutation(
        "iam.tf", RULE_LINE, "\\g<1>\"ANY {ALL {resource.type = 'fnfunc'}}\"", "CKV_BBF_7"
    ),
    "group_of_a_compartment": Mutation(
        "iam.tf", r", resource\.id = '\$\{oci_functions_function\.this\[k\]\.id\}'", "", "CKV_BBF_7"
    ),
    "group_with_instances": Mutation(
        "iam.tf",
        RULE_END,
        "\\g<1>, ALL {resource.type = 'instance', resource.compartment.id = '${var.compartment_ocid}'}}\"",
        "CKV_BBF_7",
    ),
    "group_with_instance_predicate": Mutation(
        "iam.tf", RULE_END, "\\g<1>, instance.compartment.id = '${var.compartment_ocid}'}\"", "CKV_BBF_7"
    ),
    "token_literal": Mutation(
        "apigateway.tf", r"values(\s*)= \[var\.gateway_token\]", r'values\1= ["' + TOKEN + '"]', "CKV_BBF_2"
    ),
    "jwks_tls_unverified": Mutation(
        "apigateway.tf", r"is_ssl_verify_disabled(\s*)= false", r"is_ssl_verify_disabled\1= true", "CKV_BBF_1"
    ),
    "anonymous_access": Mutation(
        "apigateway.tf", r"is_anonymous_access_allowed(\s*)= false", r"is_anonymous_access_allowed\1= true", "CKV_BBF_1"
    ),
    "rate_limit_total": Mutation("apigateway.tf", r'rate_key(\s*)= "CLIENT_IP"', r'rate_key\1= "TOTAL"', "CKV_BBF_3"),
    "manage_all_resources": Mutation(
        "iam.tf", r"to inspect compartments in", "to manage all-resources in", "CKV_BBF_4"
    ),
    "tenancy_wide": Mutation(
        "iam.tf",
        r"to \{ONS_TOPIC_PUBLISH\} in compartment id \$\{var\.compartment_ocid\}",
        "to {ONS_TOPIC_PUBLISH} in tenancy",
        "CKV_BBF_5",
    ),
    "tenancy_wide_beyond_limits": Mutation(
        "iam.tf", r"to read resource-availability in tenancy", "to read all-resources in tenancy", "CKV_BBF_5"
    ),
    "image_literal": Mutation(
        "functions.tf", r"(?m)^(\s*image\s*=\s*)var\.function_image$", r'\1"iad.ocir.io/ns/block-backup:1"', "CKV_BBF_6"
    ),
}


def test_custom_checks_catch_each_mutation(tmp_path: Path) -> None:
    """One checkov run over an unbroken copy and one broken copy per mutation: the copy is clean, and
    each mutation makes its check fail."""
    if not CHECKOV.is_file():
        pytest.skip(".venv-checkov is missing (`make terraform-check` creates it)")
    shutil.copytree(TF_DIR / "checkov", tmp_path / "checkov")  # the checks find the sources next to them
    ignore = shutil.ignore_patterns("checkov", ".terraform*", "*.tfstate*", "*.tfvars")
    shutil.copytree(TF_DIR, tmp_path / "baseline", ignore=ignore)
    for name, mutation in MUTATIONS.items():
        shutil.copytree(TF_DIR, tmp_path / name, ignore=ignore)
        path = tmp_path / name / mutation.file
        text, count = re.subn(mutation.pattern, mutation.replacement, path.read_text(encoding="utf-8"), count=1)
        assert count == 1, f"mutation {name} no longer applies to {mutation.file}"
        path.write_text(text, encoding="utf-8")
    sources = "".join(p.read_text(encoding="utf-8") for p in (TF_DIR / "checkov").glob("*.py"))
    ours = ",".join(sorted(set(re.findall(r'id="(CKV_BBF_\d+)"', sources))))
    options = ["--skip-download", "--quiet", "--compact", "--framework", "terraform", "-o", "json", "--check", ours]
    done = subprocess.run(
        [str(CHECKOV), *options, "-d", str(tmp_path), "--external-checks-dir", str(tmp_path / "checkov")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(done.stdout)
    failed: dict[str, set[str]] = {}
    for result in report["results"]["failed_checks"]:
        failed.setdefault(result["file_path"].strip("/").split("/")[0], set()).add(result["check_id"])
    assert "baseline" not in failed, failed.get("baseline")
    for name, mutation in MUTATIONS.items():
        assert mutation.check in failed.get(name, set()), f"{mutation.check} did not catch {name}: {failed.get(name)}"
