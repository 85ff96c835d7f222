"""``terraform/examples/basic`` (a root that calls the module) passes ``terraform validate``, run as ``make
terraform-check`` runs it (terraform/validate.sh): with the registry's provider, or the offline validator when
the registry is unreachable. Skipped, saying why, without terraform or either validator."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_terraform import EXAMPLE_DIR, TF_DIR, TF_VALIDATE, run_tf_validate


def test_the_example_root_validates(tmp_path: Path) -> None:
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not on PATH")
    if TF_VALIDATE.is_file():
        run_tf_validate(tmp_path)  # the stand-in provider installed once, under the lock, before the script uses it
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")} | {
        "TF_CHECK_DATA_DIR": str(tmp_path / "data"),
        "TF_VALIDATE": str(TF_VALIDATE),
    }
    done = subprocess.run(
        ["bash", str(TF_DIR / "validate.sh"), str(EXAMPLE_DIR), str(TF_DIR)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    if "validate SKIPPED" in output:
        pytest.skip("no registry and no offline validator: " + output.strip().splitlines()[-1])
    assert "terraform validate with the registry's oracle/oci provider" in output or "FALLBACK" in output, output
    assert "Success! The configuration is valid." in output
    assert "as shown above" not in output or "Warning:" in output
