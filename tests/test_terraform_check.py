"""``terraform/validate.sh`` (the validate step of ``make terraform-check``) picks the right validator and says so.

The registry cannot be reached from CI, and ``../shared`` may be absent: a stand-in ``terraform`` on PATH
plays each answer of ``terraform init`` (the script's only input), so every branch runs here. The real
terraform runs the same script in ``make terraform-check``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.fdk_harness import ROOT

SCRIPT = ROOT / "terraform" / "validate.sh"
UNREACHABLE = (
    "Error: Failed to query available provider packages\\n\\nCould not retrieve the list of available versions "
    'for provider oracle/oci: could not connect to registry.terraform.io: failed to request discovery document: Get "'
    'https://registry.terraform.io/.well-known/terraform.json": dial tcp: lookup registry.terraform.io: no such host'
)
NO_MATCH = (
    "Error: Failed to query available provider packages\\n\\nCould not retrieve the list of available versions "
    "for provider oracle/oci: no available releases match the given constraints >= 8.22.0, < 9.0.0"
)
LOCK = 'provider "registry.terraform.io/oracle/oci" {\n  version = "8.30.0"\n  constraints = ">= 8.22.0, < 9.0.0"\n}\n'


def fake_terraform(bin_dir: Path, init_output: str, init_rc: int, log: Path) -> None:
    """A ``terraform`` that records its calls, formats fine, answers init as told and validates fine."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "terraform"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'for a in "$@"; do case "$a" in\n'
        "  fmt) exit 0;;\n"
        f"  init) printf '{init_output}\\n' >&2; exit {init_rc};;\n"
        '  validate) echo "Success! The configuration is valid."; exit 0;;\n'
        "esac; done\n"
        "exit 0\n"
    )
    script.chmod(0o755)


def run(
    tmp_path: Path, init_output: str, init_rc: int, *, shared: bool, validator_says: str = "Success! (offline)"
) -> tuple[int, str, list[str]]:
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    fake_terraform(bin_dir, init_output, init_rc, log)
    tf_dir = tmp_path / "tf"
    tf_dir.mkdir()
    (tf_dir / "main.tf").write_text("")
    if init_rc == 0:
        (tf_dir / ".terraform.lock.hcl").write_text(LOCK)
    shared_dir = tmp_path / "shared"
    if shared:
        tool = shared_dir / "tools" / "tf-validate"
        tool.parent.mkdir(parents=True)
        tool.write_text(f'#!/bin/sh\necho "offline validator on $1" >> "{log}"\nprintf \'{validator_says}\\n\'\n')
        tool.chmod(0o755)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TF_")},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "SHARED_DIR": str(shared_dir),
        "TF_CHECK_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        ["bash", str(SCRIPT), str(tf_dir)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return done.returncode, done.stdout + done.stderr, calls


def test_with_the_registry_the_real_provider_validates(tmp_path: Path) -> None:
    code, output, calls = run(tmp_path, "Terraform has been successfully initialized!", 0, shared=True)
    assert code == 0, output
    assert "terraform validate with the registry's oracle/oci provider 8.30.0" in output
    assert any("init -backend=false" in c for c in calls) and any(c.endswith("validate -no-color") for c in calls)
    assert not any("offline validator" in c for c in calls)


def test_registry_unreachable_falls_back_to_the_offline_validator(tmp_path: Path) -> None:
    code, output, calls = run(tmp_path, UNREACHABLE, 1, shared=True)
    assert code == 0, output
    assert "the Terraform registry is unreachable" in output and "could not connect to registry.terraform.io" in output
    assert "validate: FALLBACK to the offline validator" in output
    assert any(c.startswith("offline validator on") for c in calls)
    assert not any(c.endswith("validate -no-color") for c in calls)


def test_registry_unreachable_and_no_shared_folder_skips_validate_and_says_so(tmp_path: Path) -> None:
    code, output, _ = run(tmp_path, UNREACHABLE, 1, shared=False)
    assert code == 0, output
    assert "validate SKIPPED: no registry and no offline validator" in output


@pytest.mark.parametrize("shared", [True, False])
def test_any_other_init_failure_fails_the_check(tmp_path: Path, shared: bool) -> None:
    code, output, calls = run(tmp_path, NO_MATCH, 1, shared=shared)
    assert code == 1, output
    assert "no available releases match" in output and "not a network problem" in output
    assert not any(c.startswith("offline validator on") for c in calls)


WARNED = "Success! The configuration is valid, but there were some validation warnings\\nas shown above."


def test_the_fallback_does_not_point_at_warnings_it_dropped(tmp_path: Path) -> None:
    code, output, _ = run(tmp_path, UNREACHABLE, 1, shared=True, validator_says=WARNED)
    assert code == 0, output
    assert "as shown above" not in output and output.rstrip().endswith("Success! The configuration is valid.")


def test_the_fallback_keeps_warnings_that_are_there(tmp_path: Path) -> None:
    shown = "Warning: Deprecated attribute\\n\\n  on main.tf line 1\\n\\n" + WARNED
    code, output, _ = run(tmp_path, UNREACHABLE, 1, shared=True, validator_says=shown)
    assert code == 0 and "Warning: Deprecated attribute" in output and "as shown above." in output


def test_tf_validate_names_the_offline_validator(tmp_path: Path) -> None:
    """TF_VALIDATE points at the validator wherever it is (SHARED_DIR is not consulted then)."""
    tool = tmp_path / "elsewhere" / "my-validate"
    tool.parent.mkdir()
    tool.write_text('#!/bin/sh\necho "Success! (mine)"\n')
    tool.chmod(0o755)
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    fake_terraform(bin_dir, UNREACHABLE, 1, log)
    (tmp_path / "tf").mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TF_")},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "SHARED_DIR": str(tmp_path / "no-such-folder"),
        "TF_VALIDATE": str(tool),
        "TF_CHECK_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path / "tf")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and f"FALLBACK to the offline validator, {tool}" in done.stdout
    assert "Success! (mine)" in done.stdout


def test_the_outcome_is_kept_for_the_summary_of_make_test(tmp_path: Path) -> None:
    run(tmp_path / "bare", UNREACHABLE, 1, shared=False)
    assert (tmp_path / "bare" / "data" / "validate.outcome").read_text().strip() == (
        "SKIPPED: no registry access and no offline validator"
    )
    run(tmp_path / "offline", UNREACHABLE, 1, shared=True)
    outcome = (tmp_path / "offline" / "data" / "validate.outcome").read_text()
    assert outcome.startswith("validated with the offline validator")
