"""The module's inputs and outputs tables in terraform/README.md, rendered from variables.tf and outputs.tf.

``tests/test_terraform_docs.py`` fails when the README's tables differ from what this renders; rewrite them
with ``.venv/bin/python -m tests.terraform_docs``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.test_terraform import TF_DIR, Config, _load

README = TF_DIR / "README.md"
MARKS = {"inputs": ("<!--inputs-->", "<!--/inputs-->"), "outputs": ("<!--outputs-->", "<!--/outputs-->")}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def _expression(value: Any) -> str:
    """HCL as python-hcl2 gives it back: ``${...}`` around expressions, plain values otherwise."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else json.dumps(value)


def inputs_table(config: Config) -> str:
    rows = ["| Name | Type | Default | Description |", "|---|---|---|---|"]
    required_first = sorted(config.variables.items(), key=lambda item: "default" in item[1])
    for name, variable in required_first:
        default = "(required)" if "default" not in variable else f"`{_expression(variable['default'])}`"
        kind = str(variable.get("type", "any")).removeprefix("${").removesuffix("}")
        secret = " (sensitive)" if variable.get("sensitive") else ""
        rows.append(f"| `{name}` | `{_cell(kind)}` | {_cell(default)} | {_cell(variable['description'])}{secret} |")
    return "\n".join(rows)


def outputs_table(config: Config) -> str:
    rows = ["| Name | Description |", "|---|---|"]
    rows += [f"| `{name}` | {_cell(output['description'])} |" for name, output in config.outputs.items()]
    return "\n".join(rows)


def rendered(config: Config) -> dict[str, str]:
    return {"inputs": inputs_table(config), "outputs": outputs_table(config)}


def shown(readme: str) -> dict[str, str]:
    """The tables between the README's marks."""
    tables = {}
    for name, (start, end) in MARKS.items():
        match = re.search(re.escape(start) + r"\n(?:(.*?)\n)?" + re.escape(end), readme, re.S)
        assert match, f"terraform/README.md has no {start} ... {end} table"
        tables[name] = match.group(1) or ""
    return tables


def rewrite(path: Path = README) -> None:
    text = path.read_text(encoding="utf-8")
    for name, table in rendered(_load()).items():
        start, end = MARKS[name]
        pattern = re.escape(start) + r"\n(?:.*?\n)?" + re.escape(end)
        text = re.sub(pattern, f"{start}\n{table}\n{end}".replace("\\", "\\\\"), text, flags=re.S)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    rewrite()
