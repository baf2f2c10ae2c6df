"""The package's shape: stages import only earlier stages, no module imports itself back
(lazy and type-checking-only imports included), and every stage says what it takes and gives."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dagfactory"

# A module may import modules of its own rank or lower; a stage (load ... cli) imports only the
# stages before it, and the shared vocabulary below every stage.
RANKS = {
    "dagfactory": 0,
    "dagfactory.diagnostics": 0,
    "dagfactory.values": 0,
    "dagfactory.operators": 1,
    "dagfactory.load": 2,
    "dagfactory.targets": 3,
    "dagfactory.check": 4,
    "dagfactory.model": 5,
    "dagfactory.emit": 6,
    "dagfactory.verify": 7,
    "dagfactory.cli": 8,
    "dagfactory.__main__": 9,
}
STAGES = ("load", "check", "emit", "verify", "cli", "operators")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(module: str) -> set[str]:
    """Every dagfactory module ``module`` imports, wherever the import statement is (a function
    body, ``if TYPE_CHECKING:``), with the packages whose ``__init__`` that runs."""
    found: set[str] = set()
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module for a in node.names
            ]
        for name in names:
            if name.split(".")[0] != "dagfactory":
                continue
            parts = name.split(".")
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    # The packages holding ``module`` are being imported already when it runs: not an import of it.
    parts = module.split(".")
    found -= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return {name for name in found if name in MODULES}


def rank(module: str) -> int:
    while module not in RANKS:
        module = module.rpartition(".")[0]
    return RANKS[module]


def stage(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def test_the_import_graph_has_no_cycle() -> None:
    graph = nx.DiGraph()
    for module in MODULES:
        graph.add_node(module)
        graph.add_edges_from((module, other) for other in imported(module) if other != "dagfactory")
    assert list(nx.simple_cycles(graph)) == []


def test_every_module_is_ranked() -> None:
    assert all(rank(module) >= 0 for module in MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_stage_imports_only_earlier_stages(module: str) -> None:
    later = sorted(
        other
        for other in imported(module)
        if rank(other) > rank(module)
        or (rank(other) == rank(module) and stage(other) != stage(module) and rank(module))
    )
    assert later == [], f"{module} (rank {rank(module)}) imports later stages"


@pytest.mark.parametrize("package", STAGES)
def test_every_stage_says_what_it_takes_and_gives(package: str) -> None:
    docstring = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring, f"dagfactory/{package}/__init__.py needs its docstring"
    assert len(docstring.split()) >= 20, f"dagfactory/{package}/__init__.py needs its docstring"


def test_the_checks_need_neither_jinja2_nor_airflow() -> None:
    reach = set()
    todo = ["dagfactory.check", "dagfactory.cli"]
    while todo:
        module = todo.pop()
        if module in reach:
            continue
        reach.add(module)
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in tree.body:  # module level only: commands import their stages when they run
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                todo.extend(other for other in imported_statement(node) if other in MODULES)
    heavy = {
        name
        for module in reach
        for node in ast.parse(MODULES[module].read_text(encoding="utf-8")).body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for name in imported_statement(node)
        if name.split(".")[0] in ("jinja2", "airflow")
    }
    assert heavy == set()
    assert importlib.util.find_spec("dagfactory.check") is not None


def imported_statement(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    names = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
    parts = base.split(".")
    return names + [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
