"""What a release carries: a license, one version, a changelog, a compatibility promise the code keeps,
hashed pins, a wheel that builds, and a pre-commit configuration that runs what ``make test`` runs first."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from functions.restore_backup.outcomes import KEY as RESTORE_TESTS_KEY
from functions.restore_backup.posture import KEY as RESTORE_POSTURE_KEY
from functions.restore_backup.recovery import ProgressSection, RecoverySection
from shared.posture import DrPosture, ProtectionPosture
from shared.results import Item, RunResult
from shared.rules import recovery, restore, tags
from shared.version import __version__
from tests.fdk_harness import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def promised(name: str) -> list[str]:
    """The names the README's compatibility promise lists between ``<!--promise:name-->`` marks."""
    match = re.search(rf"<!--promise:{name}-->(.*?)<!--/promise-->", README, re.S)
    assert match, f"README has no <!--promise:{name}--> list"
    return re.findall(r"`([^`]+)`", match.group(1))


def test_the_license_is_apache_2() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert "## License" in README and "Apache License 2.0" in README


def test_the_version_is_written_once() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert "version" in PYPROJECT["project"]["dynamic"] and "version" not in PYPROJECT["project"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "shared.version.__version__"}
    func_yaml = (ROOT / "func.yaml").read_text(encoding="utf-8")
    assert re.search(r"^version: (\S+)$", func_yaml, re.M)[1] == __version__  # type: ignore[index]
    # every image tag the docs and examples show is this version
    shown = {
        (path.relative_to(ROOT).as_posix(), tag)
        for path in [ROOT / "README.md", ROOT / "Makefile", ROOT / "Dockerfile", *(ROOT / "terraform").rglob("*")]
        if path.is_file() and ".terraform" not in path.parts and path.suffix not in (".pyc", ".json")
        for tag in re.findall(r"block-backup:(\d+\.\d+\.\d+)", path.read_text(encoding="utf-8", errors="replace"))
    }
    assert shown and all(tag == __version__ for _, tag in shown), sorted(shown)


def test_the_changelog_has_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Keep a Changelog" in changelog and "## [Unreleased]" in changelog
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)
    assert releases and releases[0] == __version__, releases
    assert "python -m tests.emulator" in changelog and "`emulator/`" in changelog


def test_the_promise_lists_every_tag_key_and_result_field() -> None:
    keys = {value for name, value in vars(tags).items() if name.endswith("_KEY") and isinstance(value, str)}
    restore_tags = {getattr(restore, name) for name in restore.TAGS}
    recovery_tags = {getattr(recovery, name) for name in recovery.TAGS}
    assert set(promised("tags")) == keys | {tags.MANAGED_BY_VALUE} | restore_tags | recovery_tags
    sections = {ProtectionPosture.KEY, DrPosture.KEY, RESTORE_POSTURE_KEY, RESTORE_TESTS_KEY}
    sections |= {RecoverySection.key, ProgressSection.key}
    document = {field.alias or name for name, field in RunResult.model_fields.items()} | sections
    assert set(promised("result")) == document
    assert set(promised("item")) == {field.alias or name for name, field in Item.model_fields.items()}


def test_runtime_dependencies_are_declared_and_the_pins_satisfy_them() -> None:
    declared = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0].lower(): d for d in PYPROJECT["project"]["dependencies"]}
    assert set(declared) == {"fdk", "requests", "cryptography", "pydantic"}
    from packaging.requirements import Requirement

    from tests.test_image import requirement_names

    pins = requirement_names(ROOT / "requirements.txt")
    for name, spec in declared.items():
        assert Requirement(spec).specifier.contains(pins[name]), (spec, pins[name])


def test_every_runtime_pin_carries_hashes() -> None:
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==\S+((?:\s*\\\n\s*--hash=sha256:[0-9a-f]{64})+)", text, re.M)
    pins = [line for line in text.splitlines() if re.match(r"^[A-Za-z0-9_.-]+==", line)]
    assert pins and len(entries) == len(pins), "every pin is followed by its --hash lines"
    assert "--require-hashes --no-deps -r requirements.txt" in (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_pip_wheel_builds(tmp_path: Path) -> None:
    """``pip wheel .`` on the project's files: one wheel with the two packages, this version, the dependencies."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("shared", "functions"):
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "--disable-pip-version-check",
            "-w",
            str(tmp_path),
            *[str(source)],
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode and "No matching distribution found for setuptools" in done.stderr:
        pytest.skip("no package index to install the build backend (setuptools) from")
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name == f"oci_block_backup_functions-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"oci_block_backup_functions-{__version__}.dist-info/METADATA").decode()
    assert {name.split("/")[0] for name in names} == {
        "shared",
        "functions",
        f"oci_block_backup_functions-{__version__}.dist-info",
    }
    assert "shared/oci/signing.py" in names and "functions/copy_backup/__init__.py" in names
    assert "License-Expression: Apache-2.0" in metadata
    requires = re.findall(r"^Requires-Dist: ([A-Za-z0-9_.-]+)", metadata, re.M)
    assert sorted(requires) == ["cryptography", "fdk", "pydantic", "requests"]


def test_pre_commit_runs_the_first_checks_of_make_test() -> None:
    config = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    hooks = re.findall(r"^\s+entry: (.+)$", config, re.M)
    assert hooks == [
        ".venv/bin/ruff check --force-exclude",
        ".venv/bin/ruff format --check --force-exclude",
        "make typecheck",
        "terraform fmt -check -recursive terraform/",
    ]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(VENV)/bin/ruff check ." in makefile and "$(VENV)/bin/ruff format --check ." in makefile
    assert re.search(r"^typecheck: ", makefile, re.M)
