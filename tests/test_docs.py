"""The newcomer's path in the docs holds together: sections cited exist, the outputs listed are the outputs,
the curl bodies are requests the functions accept, and every make target the guide uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.runtime import load_spec
from tests.fdk_harness import ROOT
from tests.test_image import make

GUIDE = ROOT / "terraform" / "README.md"
README = ROOT / "README.md"
ROUTES = {
    "create-backup": "create_backup",
    "copy-backup": "copy_backup",
    "retag-group-backup": "retag_group_backup",
    "restore-backup": "restore_backup",
}


def headings(path: Path) -> list[str]:
    return [line.lstrip("#").strip() for line in path.read_text().splitlines() if line.startswith("#")]


def test_the_sections_the_makefile_and_dockerfile_cite_exist() -> None:
    readme, guide = headings(README), headings(GUIDE)
    cited = 0
    for source in (ROOT / "Makefile", ROOT / "Dockerfile"):
        comments = " ".join(line for line in source.read_text().splitlines() if line.lstrip().startswith("#"))
        for section in re.findall(r'(?<!/)README "([^"]+)"', comments):
            assert section in readme, f"{source.name} cites README section {section!r}; it has {readme}"
            cited += 1
        for section in re.findall(r'terraform/README\.md "([^"]+)"', comments):
            assert section in guide, f"{source.name} cites terraform/README.md section {section!r}"
            cited += 1
        for number in re.findall(r"terraform/README\.md step (\d+)", comments):
            assert any(h.startswith(f"Step {number}.") for h in guide), f"{source.name}: no step {number}"
            cited += 1
    assert cited >= 5


def curl_calls(text: str) -> list[tuple[str, str]]:
    """(route, body) of every ``curl ... "$URL/<route>" ... -d '<json>'`` in the guide."""
    calls = re.findall(r'curl [^\n]*"\$URL/([a-z-]+)"(?:[^\n]*\\\n)*?[^\n]*-d \'(\{[^\']*\})\'', text)
    return [(route, body) for route, body in calls]


def test_the_guide_has_a_curl_for_each_function_with_a_body_it_accepts() -> None:
    calls = curl_calls(GUIDE.read_text())
    assert sorted(route for route, _ in calls) == sorted(ROUTES)
    for route, body in calls:
        spec = load_spec({"HANDLER": ROUTES[route]})
        concrete = body.replace("<...>", "aaaaaaaaexampleexampleexampleexample")
        try:
            request = spec.request.model_validate_json(concrete)
        except ValidationError as exc:
            pytest.fail(f"the guide's {route} body is refused: {exc}")
        assert getattr(request, "dry_run", None) is True, f"{route}: the guide's example should be a dry run"


def test_every_make_target_the_docs_use_exists() -> None:
    text = GUIDE.read_text() + README.read_text()
    code = re.findall(r"```.*?```", text, re.DOTALL) + re.findall(r"`[^`\n]+`", text)
    used = {target for snippet in code for target in re.findall(r"\bmake ([a-z][a-z-]+)", snippet)}
    assert {"image", "smoke", "demo", "test"} <= used
    for target in sorted(used):
        dry = make("-n", target, "IMAGE=x/y:1")
        assert dry.returncode == 0, f"make {target}: {dry.stderr}"
