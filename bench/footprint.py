"""Runtime dependency footprint: each side's requirement set installed with ``pip install --target``.

That is how the function image installs dependencies (``/python``). Ours is ``requirements.txt``,
with ``--no-deps`` when the Dockerfile uses it (the file is then the complete run-time set); the SDK
side is ``oci`` + ``fdk`` (``requirements-sdk.txt``) with their dependencies, as users install it.
Sizes are the apparent bytes of every installed file (``.pyc`` included, as pip compiles them), in MB
(10^6 bytes). "Runtime only" also removes what no code imports at run time: the fdk's install-time
requirements (pytest & co., Cython, pbr, wheel, iso8601) and what only they pull in; the sizes per
distribution come from each ``*.dist-info/RECORD``.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.procs import BENCH, PRODUCT_VENV
from tests.fdk_harness import ROOT

WORK = BENCH / ".work" / "footprint"
SDK_REQUIREMENTS = BENCH / "requirements-sdk.txt"  # also what bench/.venv-sdk is made from
# Installed because fdk 0.1.128 hard-requires them; nothing imports them when a function runs.
FDK_INSTALL_TIME_ONLY = frozenset(
    {
        *("pytest", "pytest-asyncio", "cython", "pbr", "wheel", "iso8601"),  # the fdk's own requirements
        *("iniconfig", "pluggy", "pygments", "packaging", "setuptools"),  # theirs (setuptools: pbr's)
    }
)


@dataclass(frozen=True)
class Footprint:
    total_bytes: int
    by_distribution: dict[str, int]

    @property
    def runtime_only_bytes(self) -> int:
        return self.total_bytes - sum(self.by_distribution.get(name, 0) for name in FDK_INSTALL_TIME_ONLY)


def image_installs_without_deps() -> bool:
    """Does the Dockerfile install ``requirements.txt`` with ``--no-deps`` (the complete, pinned set)?"""
    dockerfile = ROOT / "Dockerfile"
    return dockerfile.exists() and "--no-deps" in dockerfile.read_text()


def install(name: str, requirements: list[str], *, no_deps: bool) -> Path:
    """``pip install --target`` once per requirement set (reused while the set is unchanged)."""
    flags = ["--no-deps"] if no_deps else []
    spec = "\n".join([*flags, *requirements])
    target = WORK / name
    stamp = target / ".requirements"
    if stamp.exists() and stamp.read_text() == spec:
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    pip = [str(PRODUCT_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-cache-dir", *flags, "--target", str(target), *requirements], check=True)
    stamp.write_text(spec)
    return target


def tree_bytes(path: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(path):
        for file in files:
            full = os.path.join(folder, file)
            if file != ".requirements" and not os.path.islink(full):
                total += os.path.getsize(full)
    return total


def by_distribution(target: Path) -> dict[str, int]:
    """Bytes per installed distribution (normalised name), from the files its RECORD lists."""
    sizes: dict[str, int] = {}
    for record in target.glob("*.dist-info/RECORD"):
        name = record.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0].lower().replace("_", "-")
        total = 0
        with record.open(newline="") as handle:
            for row in csv.reader(handle):
                file = target / row[0] if row else target
                if file.is_file() and not file.is_symlink():
                    total += file.stat().st_size
        sizes[name] = total
    return sizes


def runtime_only_imports(target: Path, python_path: Path, modules: list[str]) -> bool:
    """Do ``modules`` import with ``target`` minus the install-time-only distributions? (no site-packages)"""
    hidden = sorted(
        top
        for record in target.glob("*.dist-info/RECORD")
        if record.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0].lower().replace("_", "-")
        in FDK_INSTALL_TIME_ONLY
        for top in _top_levels(record)
    )
    code = (
        "import sys, importlib.abc\n"
        f"hidden = set({hidden!r})\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in hidden:\n"
        "            raise ImportError('install-time only: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"sys.path[:0] = [{str(python_path)!r}, {str(target)!r}]\n"
        f"for m in {modules!r}: __import__(m)\n"
    )
    result = subprocess.run([str(PRODUCT_VENV / "bin" / "python"), "-S", "-c", code], capture_output=True, text=True)
    return result.returncode == 0


def _top_levels(record: Path) -> set[str]:
    tops = set()
    with record.open(newline="") as handle:
        for row in csv.reader(handle):
            first = row[0].split("/")[0] if row else ""
            if first and not first.endswith((".dist-info", ".pth")) and first not in ("..", "bin", "__pycache__"):
                tops.add(first.removesuffix(".py").split(".")[0])
    return tops


def measure_side(name: str, requirements: list[str], *, no_deps: bool) -> Footprint:
    target = install(name, requirements, no_deps=no_deps)
    return Footprint(tree_bytes(target), by_distribution(target))


def requirements(path: Path) -> list[str]:
    """The requirement specifiers of a requirements file: comments dropped, continued lines joined, per-line
    options (``--hash=...``: the image checks them, a size measurement need not) left out."""
    logical = path.read_text().replace("\\\n", " ").splitlines()
    specs = [line.split("#")[0].split() for line in logical]
    return [words[0] for words in specs if words and not words[0].startswith("-")]


SIDES = {"product": ROOT / "requirements.txt", "oci-sdk": SDK_REQUIREMENTS}


def no_deps(side: str) -> bool:
    """Ours is installed as the image does; the SDK side as users install it (with its dependencies)."""
    return side == "product" and image_installs_without_deps()


def install_dir(side: str) -> Path:
    """Where ``side``'s requirement set is installed (named after a hash of the set and flags)."""
    spec = [*requirements(SIDES[side]), f"no-deps={no_deps(side)}"]
    return WORK / f"{side}-{hashlib.sha256('|'.join(spec).encode()).hexdigest()[:8]}"


def measure() -> dict[str, Footprint]:
    for side in SIDES:  # drop installs of earlier requirement sets
        for stale in WORK.glob(f"{side}-*"):
            if stale != install_dir(side):
                shutil.rmtree(stale, ignore_errors=True)
    return {
        side: measure_side(install_dir(side).name, requirements(path), no_deps=no_deps(side))
        for side, path in SIDES.items()
    }
