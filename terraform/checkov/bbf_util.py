"""Helpers shared by this project's checkov checks (not a check itself).

checkov hands a check the resource configuration with every value wrapped in a list and with
variables, locals and dynamic blocks rendered where it can: a value may be a string, a list, a
list of lists, or the Python repr of a list. These helpers flatten all of that.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

TERRAFORM_DIR = Path(__file__).resolve().parent.parent


def first(value: Any) -> Any:
    """Unwrap checkov's single-element lists: [[x]] -> x."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def blocks(conf: Any, name: str) -> list[dict[str, Any]]:
    """The nested blocks called `name` in `conf` (always a list of dicts)."""
    if not isinstance(conf, dict):
        return []
    found = conf.get(name) or []
    if isinstance(found, dict):
        found = [found]
    out: list[dict[str, Any]] = []
    for item in found:
        if isinstance(item, dict):
            out.append(item)
        elif isinstance(item, list):
            out.extend(i for i in item if isinstance(i, dict))
    return out


def strings(value: Any) -> list[str]:
    """Every string inside a (nested) list value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    return [] if value is None else [str(value)]


_ALLOW = re.compile(r"(?i)\b(allow|endorse|admit|define)\s")


def policy_statements(conf: dict[str, Any]) -> list[str]:
    """The individual statements of an oci_identity_policy, however checkov rendered them."""
    out: list[str] = []
    for text in strings(conf.get("statements")):
        starts = [m.start() for m in _ALLOW.finditer(text)]
        if not starts:
            out.append(text)
            continue
        starts.append(len(text))
        out.extend(text[a:b].strip().rstrip("',\"]").strip() for a, b in itertools.pairwise(starts))
    return out


def raw_block(scanned_file: str, conf: dict[str, Any]) -> str | None:
    """The resource's source text (before checkov rendered variables), or None if unavailable."""
    start, end = conf.get("__start_line__"), conf.get("__end_line__")
    path = TERRAFORM_DIR / scanned_file.lstrip("/")
    if not isinstance(start, int) or not isinstance(end, int) or not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(lines[start - 1 : end])


def raw_attribute(raw: str, name: str) -> str | None:
    """The source text of a one-line attribute ``name = ...`` inside a block's source, or None."""
    match = re.search(rf"(?m)^\s*{re.escape(name)}\s*=\s*(.+?)\s*$", raw)
    return match.group(1) if match else None


def braced(text: str, opener: str) -> list[str]:
    """Every ``<opener> { ... }`` group of text (braces balanced, ``${...}`` included), outermost first."""
    groups: list[str] = []
    for match in re.finditer(rf"\b{opener}\s*\{{", text, re.IGNORECASE):
        depth, end = 0, None
        for i in range(match.end() - 1, len(text)):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    end = i + 1
                    break
        if end is not None:
            groups.append(text[match.start() : end])
    return groups
