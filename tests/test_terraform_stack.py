"""The Resource Manager stack of terraform/examples/basic: schema.yaml lists every variable of the root (and
nothing else), each in one group, says which are required as variables.tf does, and asks for the token as a
password; ``make stack`` packs a zip whose root is that root with the module inside it."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.test_terraform import EXAMPLE_DIR, Config, _load

yaml = pytest.importorskip("yaml")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLE_DIR / "schema.yaml").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def example() -> Config:
    return _load(EXAMPLE_DIR)


def test_every_variable_is_in_the_schema_and_every_schema_variable_exists(
    schema: dict[str, Any], example: Config
) -> None:
    assert set(schema["variables"]) == set(example.variables)
    grouped = [name for group in schema["variableGroups"] for name in group["variables"]]
    assert sorted(grouped) == sorted(example.variables), "each variable in exactly one group"


def test_required_as_in_variables_tf_and_the_token_is_a_password(schema: dict[str, Any], example: Config) -> None:
    for name, variable in example.variables.items():
        assert schema["variables"][name]["required"] is ("default" not in variable), name
        assert schema["variables"][name].get("title"), name
    token = schema["variables"]["gateway_token"]
    assert token["type"] == "password" and example.variables["gateway_token"]["sensitive"] is True
    lists = {name for name, v in example.variables.items() if v["type"] == "${list(string)}"}
    assert lists == {name for name, v in schema["variables"].items() if v["type"] == "array"}
    hidden = next(group for group in schema["variableGroups"] if group.get("visible") is False)
    assert set(hidden["variables"]) == {"tenancy_ocid", "config_file_profile"}  # Resource Manager sets the tenancy
    assert schema["schemaVersion"] == "1.1.0" and schema["title"]


def test_make_stack_packs_the_example_root_with_the_module(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    done = subprocess.run(
        ["make", "--no-print-directory", "stack", f"STACK_ZIP={tmp_path / 'stack.zip'}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(tmp_path / "stack.zip") as archive:
        names = set(archive.namelist())
        main = archive.read("main.tf").decode()
    assert {"schema.yaml", "main.tf", "variables.tf", "providers.tf", "outputs.tf"} <= names
    assert "modules/block_backup/functions.tf" in names and "modules/block_backup/variables.tf" in names
    assert not any("checkov" in n or "examples" in n or n.endswith((".tfvars", ".tfstate")) for n in names), names
    assert 'source = "./modules/block_backup"' in main and '"../.."' not in main
