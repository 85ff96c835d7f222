"""terraform/README.md's inputs and outputs tables are those of variables.tf and outputs.tf (rendered by
tests/terraform_docs.py, which also rewrites them), and the prose names no variable the module lacks."""

from __future__ import annotations

import re

from tests.terraform_docs import README, rendered, shown
from tests.test_terraform import _load


def test_the_inputs_and_outputs_tables_are_the_modules() -> None:
    config = _load()
    tables = shown(README.read_text(encoding="utf-8"))
    expected = rendered(config)
    assert tables["inputs"] == expected["inputs"], "run .venv/bin/python -m tests.terraform_docs"
    assert tables["outputs"] == expected["outputs"], "run .venv/bin/python -m tests.terraform_docs"
    assert len(tables["inputs"].splitlines()) == 2 + len(config.variables)


def test_the_guide_names_no_variable_the_module_lacks() -> None:
    config = _load()
    text = README.read_text(encoding="utf-8")
    for gone in ("extra_config_create_backup", "extra_config_copy_backup", "extra_config_retag_group_backup"):
        assert gone not in text
    named = set(re.findall(r"`var\.([a-z_0-9]+)`", text))
    assert named <= set(config.variables), named - set(config.variables)
