"""The gateway token cannot go out as a placeholder or a weak secret, and no file carries it.

The validation blocks of ``variable "gateway_token"`` are run by the real ``terraform plan`` on a
module holding only that variable (no provider, so nothing is downloaded); skipped without terraform.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TF_DIR = ROOT / "terraform"
TERRAFORM = shutil.which("terraform")
GENERATE = 'export TF_VAR_gateway_token="$(openssl rand -base64 48)"'


def variable_block(name: str) -> str:
    text = (TF_DIR / "variables.tf").read_text(encoding="utf-8")
    match = re.search(rf'^variable "{name}" \{{\n.*?^\}}\n', text, re.MULTILINE | re.DOTALL)
    assert match, f"variable {name} not found in variables.tf"
    return match.group(0)


def terraform(module: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run terraform in ``module`` without the caller's TF_VAR_ values or CLI configuration."""
    assert TERRAFORM is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_VAR_")}
    env |= {"TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    return subprocess.run(
        [TERRAFORM, *args, "-input=false", "-no-color"], cwd=module, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def token_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if TERRAFORM is None:
        pytest.skip("terraform is not on PATH")
    module = tmp_path_factory.mktemp("gateway-token")
    (module / "main.tf").write_text(variable_block("gateway_token"), encoding="utf-8")
    done = terraform(module, "init", "-backend=false")
    assert done.returncode == 0, done.stdout + done.stderr
    return module


def plan(module: Path, token: str) -> tuple[bool, str]:
    """``terraform plan`` with this token: (accepted, the output with line breaks folded)."""
    done = terraform(module, "plan", "-var", f"gateway_token={token}")
    return done.returncode == 0, " ".join((done.stdout + done.stderr).split())


def generated() -> str:
    """What ``openssl rand -base64 48`` prints: 64 characters of base64."""
    return base64.b64encode(os.urandom(48)).decode()


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("replace-with-the-output-of-openssl-rand-base64-48", "looks like a placeholder"),
        ("demo-gateway-token-0123456789abcdef", "looks like a placeholder"),
        ("gateway-shared-token-for-tests-0123456789", "looks like a placeholder"),
        ("CHANGEME-Zq8Lm3Np7Rt2Vx6Bd9Fh4Jk1Ws5Yc0Ge", "looks like a placeholder"),
        ("Example-Zq8Lm3Np7Rt2Vx6Bd9Fh4Jk1Ws5Yc0Ge", "looks like a placeholder"),
        ("d726be372b3d45159dbc82d9af6ab5749300f136cac2a2d1b41fb834b563b059", "at least three of"),  # hex
        ("correcthorsebatterystaplecorrecthorsebatterystaple", "at least three of"),
        ("Aa1!" * 12, "fewer than 16 distinct"),
        ("Zq8Lm3Np7Rt2Vx6Bd9Fh4Jk1", "32-512 printable ASCII"),  # 24 characters
        ("Zq8Lm3Np7Rt2 Vx6Bd9Fh4Jk1Ws5Yc0Ge+Ua7Qo", "32-512 printable ASCII"),  # a space
        ("", "32-512 printable ASCII"),
    ],
)
def test_placeholders_and_weak_tokens_are_refused(token_module: Path, token: str, reason: str) -> None:
    accepted, output = plan(token_module, token)
    assert not accepted, output
    assert "Invalid value for variable" in output and reason in output, output
    assert "openssl rand -base64 48" in output  # every refusal says how to make a good one


def test_generated_tokens_pass(token_module: Path) -> None:
    for token in (generated(), generated(), "Zq8Lm3Np7Rt2Vx6Bd9Fh4Jk1Ws5Yc0Ge+Ua7Qo/Ei"):
        accepted, output = plan(token_module, token)
        assert accepted, output


def test_the_token_is_in_no_file_and_the_docs_say_how_to_make_one() -> None:
    example = (TF_DIR / "examples" / "basic" / "terraform.tfvars.example").read_text(encoding="utf-8")
    assigned = [line for line in example.splitlines() if re.match(r"\s*gateway_token\s*=", line)]
    assert not assigned, "terraform.tfvars.example must not set gateway_token (a copied tfvars beats TF_VAR_)"
    assert GENERATE in example
    guide = (TF_DIR / "README.md").read_text(encoding="utf-8")
    assert GENERATE in guide
    assert "openssl rand -hex" not in guide + example + variable_block("gateway_token")
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert any(p in ignored for p in ("*.tfvars", "terraform.tfvars", "terraform/terraform.tfvars")), ignored
