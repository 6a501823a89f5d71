"""The emulator package's shape: no import cycles, nothing imported from the client side."""

from __future__ import annotations

import ast
from pathlib import Path

import alfa_notebook.emulator as package

PACKAGE_DIR = Path(package.__file__).parent
PACKAGE = "alfa_notebook.emulator"
MODULES = {path.stem: path for path in PACKAGE_DIR.glob("*.py")}


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute names, wherever the import sits (functions and
    ``if TYPE_CHECKING:`` blocks included: a cycle there is still a cycle of dependencies)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                parent = PACKAGE.split(".")[: len(PACKAGE.split(".")) - (node.level - 1)]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            for alias in node.names:  # ``from . import hostile`` imports the submodule only
                submodule = base == PACKAGE and alias.name in MODULES
                found.add(f"{base}.{alias.name}" if submodule else base)
    return found


def _graph() -> dict[str, set[str]]:
    """Submodule -> the submodules it imports (``__init__`` for the package itself)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        edges = set()
        for imported in _imports(path):
            if imported == PACKAGE:
                edges.add("__init__")
            elif imported.startswith(PACKAGE + "."):
                submodule = imported[len(PACKAGE) + 1 :].split(".")[0]
                if submodule in MODULES:
                    edges.add(submodule)
        graph[name] = edges - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, state = [], dict.fromkeys(graph, 0)  # 0 new, 1 on the path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state[nxt] == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif state[nxt] == 0:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if state[node] == 0:
            visit(node, [node])
    return cycles


def test_the_emulator_has_no_import_cycles() -> None:
    graph = _graph()
    assert "turn" not in graph["store"], "the store's records know nothing of running turns"
    assert _cycles(graph) == []


def test_the_emulator_imports_nothing_from_the_client_side() -> None:
    client_side = {
        f"{name}: {imported}"
        for name, path in MODULES.items()
        for imported in _imports(path)
        if imported.startswith("alfa_notebook") and not imported.startswith(PACKAGE)
    }
    assert client_side == set()


def test_no_emulator_module_shares_the_client_tables_name() -> None:
    assert "tables" not in MODULES and "sample_tables" in MODULES
