"""``make venv`` checks the interpreter before installing anything, and makes ``.venv`` again from scratch
when the Python that made it or a requirements file changed (a copy of the Makefile in a temporary folder,
planned with ``make -n``; stand-in interpreters report the versions)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fdk_harness import ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt", "shared/version.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def python_reporting(folder: Path, version: str) -> Path:
    """An interpreter that reports ``version`` to the Makefile's question and fails anything else."""
    major, minor = version.split(".")
    script = folder / f"python{version}"
    script.write_text(f'#!/bin/sh\ncase "$2" in *version_info*) echo "{major}.{minor}"; exit 0;; esac\nexit 1\n')
    script.chmod(0o755)
    return script


def make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )


def planned(project: Path, python: str) -> list[str]:
    """What ``make -n venv`` would run after the interpreter check (which always comes first)."""
    done = make(project, "-n", "venv", python)
    assert done.returncode == 0, done.stderr
    check, _, rest = done.stdout.partition("esac\n")
    assert check.startswith("case "), done.stdout
    return rest.splitlines()


@pytest.mark.parametrize("version", ["3.10", "3.9", "3.13"])
def test_an_unsupported_python_gets_one_line_naming_the_versions(project: Path, version: str) -> None:
    done = make(project, "demo", f"PYTHON={python_reporting(project, version)}")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()[:1]
    assert f"is Python {version}: this project needs Python 3.11 or 3.12" in line
    assert "make demo PYTHON=python3.12" in line
    assert not (project / ".venv").exists() and done.stdout == ""


def test_no_python_at_all_is_said_too(project: Path) -> None:
    done = make(project, "venv", f"PYTHON={project / 'nowhere' / 'python3'}")
    assert done.returncode == 2 and "is not a working Python: this project needs Python 3.11" in done.stderr


def test_the_venv_is_made_again_when_its_python_or_the_requirements_change(project: Path) -> None:
    python = f"PYTHON={python_reporting(project, '3.12')}"
    plan = planned(project, python)
    assert plan[0] == "rm -rf .venv" and plan[-1] == "touch .venv/.installed-python3.12"
    assert any("--require-hashes --no-deps -r requirements.txt" in line for line in plan)

    (project / ".venv").mkdir()
    (project / ".venv" / ".installed-python3.12").touch()
    assert planned(project, python) == []  # up to date: nothing to do
    # made by another Python: from scratch with this one
    other = planned(project, f"PYTHON={python_reporting(project, '3.11')}")
    assert other[0] == "rm -rf .venv" and other[-1] == "touch .venv/.installed-python3.11"
    # a requirements file changed after the venv was made
    later = time.time() + 5
    os.utime(project / "requirements-dev.txt", (later, later))
    assert planned(project, python)[0] == "rm -rf .venv"


def test_this_interpreter_is_supported() -> None:
    assert (3, 11) <= sys.version_info[:2] <= (3, 12)
