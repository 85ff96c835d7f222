"""Access to the read-only reference folder beside the repo (``../shared``); absent in a user's clone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference"
TOOLS_DIR = REFERENCE_DIR.parent / "tools"


def reference_json(name: str) -> Any:
    path = REFERENCE_DIR / name
    if not path.exists():
        pytest.skip(f"reference file {path} not present (only in the development workspace)")
    return json.loads(path.read_text())
