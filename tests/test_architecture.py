"""The layout keeps its shape: no import cycles, small modules, short functions, and a
report layer that imports no model.

Imports are read from the source (module level and inside functions, not under
``if TYPE_CHECKING:``), so a lazy import that closes a cycle counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "galton"
#: The size limits of the layout (issue 15): lines per module, statements' lines per
#: function body (signature and docstring aside).
MODULE_LINES = 600
FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> set[str]:
    """galton modules that ``path`` imports (a ``from`` import of a submodule counts as the
    submodule)."""
    found: set[str] = set()
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("galton"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            if base.startswith("galton"):
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    found.add(sub if sub in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    found.discard(here)
    return {m for m in found if m in MODULES}


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _cycle() -> list[str] | None:
    """One import cycle among galton's modules, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(GRAPH):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_the_graph_is_read() -> None:
    """The checks below see real edges (a parser that found none would pass them all)."""
    assert "galton.backends.base" in GRAPH["galton.training.loop"]
    assert "galton.estimators.fitting.memory" in GRAPH["galton.estimators.neural"]
    assert sum(len(v) for v in GRAPH.values()) > 100


def test_no_import_cycles() -> None:
    assert _cycle() is None, " -> ".join(_cycle() or [])


@pytest.mark.parametrize(
    "layer, forbidden",
    [
        ("galton.report", ("galton.estimators", "galton.comparison", "galton.training")),
        ("galton.backends", ("galton.estimators", "galton.training", "galton.comparison")),
        ("galton.training", ("galton.estimators", "galton.comparison", "galton.cli")),
        # a model renders its own page through the report layer, which imports no model
        ("galton.estimators", ("galton.comparison", "galton.cli")),
        ("galton.comparison", ("galton.cli",)),
        # an explanation, like a model, renders itself (a notebook's _repr_html_) through the
        # report layer, which is a leaf
        ("galton.explain", ("galton.cli",)),
    ],
)
def test_imports_point_one_way(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module == layer or module.startswith(layer + ".")
        for target in targets
        if target.startswith(forbidden)
    )
    assert not wrong, wrong


def test_the_report_is_a_leaf() -> None:
    """The report renders numbers it is given: it imports nothing of galton but itself and
    the file-writing helpers, so models and comparisons can call it without a cycle."""
    allowed = ("galton.report", "galton.atomic", "galton.errors")
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.startswith("galton.report")
        for target in targets
        if not target.startswith(allowed)
    )
    assert not wrong, wrong


def test_modules_are_small() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert not {n: s for n, s in sizes.items() if s > MODULE_LINES}


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        body = body[1:]  # the docstring
    if not body:
        return 0
    return (body[-1].end_lineno or body[-1].lineno) - body[0].lineno + 1


def test_functions_are_short() -> None:
    long = {}
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_function and (lines := _body_lines(node)) > FUNCTION_LINES:
                long[f"{name}.{node.name}"] = lines
    assert not long, long
