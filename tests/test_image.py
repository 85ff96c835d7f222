"""The function image: pinned run-time set, what the build context leaves out, and a function that
works without fdk's install-time-only dependencies (the image installs with --no-deps)."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from emulator import EmulatorControl
from tests.conftest import HOME_REGION, StartFunction
from tests.fdk_harness import ROOT

NOT_IN_IMAGE = ("pytest", "pytest-asyncio", "cython", "pbr", "wheel", "iso8601", "setuptools", "pygments")


def requirement_names(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip().removesuffix("\\").strip()  # a pin continues with its hashes
        if not line or line.startswith("-"):
            continue
        name, sep, version = line.partition("==")
        assert sep and re.fullmatch(r"[0-9][0-9a-z.]*", version), f"not pinned: {line}"
        pins[name.lower().replace("_", "-")] = version
    return pins


def test_runtime_requirements_are_few_pinned_and_test_free() -> None:
    pins = requirement_names(ROOT / "requirements.txt")
    assert {"fdk", "requests", "cryptography", "pydantic"} <= set(pins)
    assert not set(pins) & set(NOT_IN_IMAGE)
    assert "pytest-httpserver" not in (ROOT / "requirements.txt").read_text()
    # make venv installs the hashed runtime set first, then the dev tools (a file that included the hashed one
    # would put the dev tools under --require-hashes too)
    assert "-r requirements.txt" not in (ROOT / "requirements-dev.txt").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes --no-deps -r requirements.txt" in makefile


def test_one_build_path_the_dockerfile() -> None:
    """func.yaml says ``runtime: docker``: the Fn CLI builds the repository's Dockerfile (and refuses to build
    without one) instead of generating its own without ``--no-deps`` and the compiled code; no second recipe."""
    func_yaml = dict(
        line.split(":", 1) for line in (ROOT / "func.yaml").read_text().splitlines() if re.match(r"^[a-z_]+:", line)
    )
    assert func_yaml["runtime"].strip() == "docker"
    assert not {"build_image", "run_image", "entrypoint", "cmd", "build"} & set(func_yaml), func_yaml
    assert int(func_yaml["timeout"]) == 300 and int(func_yaml["memory"]) >= 128
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--no-deps -r requirements.txt" in dockerfile
    assert 'ENTRYPOINT ["/python/bin/fdk", "/function/func.py", "handler"]' in dockerfile
    assert not list(ROOT.glob("Dockerfile?*")) and not list(ROOT.glob("*/Dockerfile"))


def make(*args: str) -> subprocess.CompletedProcess[str]:
    """``make`` in the repository, as a user runs it (not as a sub-make of ``make test``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_make_image_builds_for_the_function_platform() -> None:
    """``make image`` is the documented build: docker (or podman) build --platform linux/amd64 of the Dockerfile."""
    dry = make("-n", "image", "IMAGE=iad.ocir.io/ns/block-backup:1.2.3")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[-1].split() == [
        "docker",
        "build",
        "--platform",
        "linux/amd64",
        "-t",
        "iad.ocir.io/ns/block-backup:1.2.3",
        ".",
    ]
    arm = make("-n", "image", "IMAGE=x/y:1", "PLATFORM=linux/arm64", "DOCKER=podman")
    assert arm.stdout.splitlines()[-1].split() == ["podman", "build", "--platform", "linux/arm64", "-t", "x/y:1", "."]
    missing = make("image")
    assert missing.returncode != 0 and "set REGISTRY=" in missing.stdout and " or IMAGE=" in missing.stdout
    # REGISTRY alone: the image is block-backup tagged with the product's version
    from shared.version import __version__

    tagged = make("-n", "image", "REGISTRY=iad.ocir.io/ns")
    assert tagged.stdout.splitlines()[-1].split()[-2] == f"iad.ocir.io/ns/block-backup:{__version__}"
    guide = (ROOT / "terraform" / "README.md").read_text()
    assert "make image IMAGE=" in guide and "PLATFORM=linux/arm64" in guide
    readme = (ROOT / "README.md").read_text()
    assert "fn build` works too" not in readme and "make image" in readme


def test_dockerfile_byte_compiles_the_code_for_a_read_only_file_system(tmp_path: Path) -> None:
    """The image's compile step, run on a copy of the code: every module gets a hash-based .pyc."""
    line = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if "compileall" in line)
    command = shlex.split(line.split("&&", 1)[1])
    assert command[:3] == ["python3", "-m", "compileall"] and "unchecked-hash" in command
    function = tmp_path / "function"
    shutil.copytree(ROOT / "shared", function / "shared", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "functions", function / "functions", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "func.py", function / "func.py")
    args = [
        str(function) + arg.removeprefix("/function") if arg.startswith("/function/") else arg for arg in command[1:]
    ]
    subprocess.run([sys.executable, *args], check=True)
    sources = [function / "func.py", *function.glob("shared/*.py"), *function.glob("functions/*.py")]
    for source in sources:
        (cached,) = (source.parent / "__pycache__").glob(f"{source.stem}.*.pyc")
        assert cached.read_bytes()[4:8] == b"\x01\x00\x00\x00", f"{cached} is not an unchecked-hash pyc"


def test_build_context_leaves_out_tests_terraform_and_git() -> None:
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines() if p.strip() and p[0] != "#"]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path, p) or path.split("/")[0] == p for p in patterns)

    for path in (".git", "tests/test_image.py", "terraform/functions.tf", "bench/run.py", "demo/run.py", ".venv"):
        assert ignored(path), path
    for path in ("func.py", "shared/runtime.py", "functions/create_backup/__init__.py", "requirements.txt"):
        assert not ignored(path), path


def test_function_runs_without_fdk_install_time_dependencies(
    emu: EmulatorControl, start_function: StartFunction, compartment: str, tmp_path: Path
) -> None:
    """A ``sitecustomize`` that refuses to import pytest, Cython, pbr, ... : the event path still works."""
    blocker = tmp_path / "sitecustomize.py"
    blocked = ("pytest", "_pytest", "pytest_asyncio", "Cython", "pbr", "wheel", "iso8601", "setuptools", "pygments")
    blocker.write_text(
        "import sys\n"
        "class _Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {blocked!r}:\n"
        "            raise ImportError(f'{name} is not in the function image')\n"
        "sys.meta_path.insert(0, _Refuse())\n"
    )
    volume = emu.create_volume(HOME_REGION, compartment, "v")
    event = next(e for e in emu.event_envelopes("createvolume.end") if e["data"]["resourceId"] == volume["id"])
    fn = start_function("create_backup", {"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    result = fn.call(event).json()
    assert result["counts"] == {"created": 1}, fn.logs()
