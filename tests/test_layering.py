"""The layers of the code, checked: each imports only from itself and the layers below it.

    functions/           handlers (each a module or package of its own; never each other)
    shared/ (framework)  runtime, app, triggers, gateway, results, settings, log
    shared/rules/        naming, tags, retention, idempotency: pure backup rules
    shared/oci/          the SDK-free OCI client, usable on its own

Imports are read from the source (``ast``), so a lazy import inside a function counts too. Within a
layer, no module imports itself back through others: the project has no import circle (the emulator,
the demo and the benchmarks included).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("shared.oci", "shared.rules", "shared", "functions")  # lowest first


def layer_of(module: str) -> int | None:
    for rank, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            return rank
    return None


def imports_of(path: Path, package: str | None = None) -> list[str]:
    package = package or ".".join(path.relative_to(ROOT).with_suffix("").parts)
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = package.split(".")[: -node.level]
                found.append(".".join([*base, node.module or ""]).rstrip("."))
            elif node.module:
                found.append(node.module)
                found.extend(f"{node.module}.{alias.name}" for alias in node.names if node.module in LAYERS)
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = sorted([*ROOT.glob("shared/**/*.py"), *ROOT.glob("functions/**/*.py")])
PACKAGES = ("shared", "functions", "emulator", "demo", "bench")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    me = module_name(path)
    mine = layer_of(me)
    assert mine is not None
    upward = []
    for target in imports_of(path):
        rank = layer_of(target)
        if rank is None:
            continue
        if rank > mine:
            upward.append(target)
        handlers = mine == rank == LAYERS.index("functions")
        if handlers and target.split(".")[1] != me.split(".")[1]:  # a handler never imports another
            upward.append(target)
    assert not upward, f"{me} imports from a layer above it (or another handler): {upward}"


def test_the_oci_client_stands_alone() -> None:
    """``shared.oci`` imports nothing of ours outside itself: it can be lifted into another project."""
    for path in ROOT.glob("shared/oci/**/*.py"):
        ours = [t for t in imports_of(path) if layer_of(t) is not None and layer_of(t) != 0]
        assert not ours, f"{path.relative_to(ROOT)} imports {ours}"


def test_layering_check_catches_an_upward_import(tmp_path: Path) -> None:
    """The check itself: an import of the framework from the client is found, lazy or relative."""
    bad = tmp_path / "probe.py"
    bad.write_text("def f():\n    from shared.results import Report\n    from ..rules import tags\n")
    found = imports_of(bad, "shared.oci.probe")
    assert "shared.results" in found and "shared.rules" in found
    assert layer_of("shared.results") == 2 and layer_of("shared.rules.tags") == 1 and layer_of("shared.oci.probe") == 0


def import_graph(paths: list[Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (``from p import name`` counts as ``p.name`` when that is a module)."""
    modules = {module_name(path): path for path in paths}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else None
        targets = imports_of(path, f"{package}.__init__" if package else None)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circle_anywhere() -> None:
    paths = sorted(
        p
        for package in PACKAGES
        for p in ROOT.glob(f"{package}/**/*.py")
        if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)  # bench/.venv-*: not ours
    )
    paths.append(ROOT / "func.py")
    cycle = find_cycle(import_graph(paths))
    assert cycle is None, f"import circle: {' -> '.join(cycle or [])}"


def test_cycle_check_finds_a_lazy_circle(tmp_path: Path) -> None:
    """The check itself: two modules that import each other, one of them inside a function."""
    (tmp_path / "a.py").write_text("import shared.b\n")
    (tmp_path / "b.py").write_text("def f():\n    from shared import a\n")
    graph = {
        "shared.a": set(imports_of(tmp_path / "a.py", "shared.a")) & {"shared.b"},
        "shared.b": set(imports_of(tmp_path / "b.py", "shared.b")) & {"shared.a"},
    }
    assert find_cycle(graph) == ["shared.a", "shared.b", "shared.a"]
