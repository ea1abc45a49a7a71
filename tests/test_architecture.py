"""The house rules that keep the code easy to change, checked on every run:

- every import inside `balance_desk` points down a layer (or stays inside its own package);
- no import cycle, counting imports inside functions and type-only ones;
- only `balance_desk/gui/` may import PySide6, enforced by ruff's banned-API rule (TID251).

The layers are written out here, and in docs/architecture.md in words.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import balance_desk

PACKAGE_DIR = Path(balance_desk.__file__).parent
REPO = PACKAGE_DIR.parent

# Lowest first. A module may import its own component, or any component of a lower layer; the
# components of one layer are siblings and never import each other (the CLI and the GUI, say).
LAYERS: list[dict[str, tuple[str, ...]]] = [
    {
        "floor": (
            "balance_desk",
            "balance_desk.errors",
            "balance_desk.money",
            "balance_desk.model",
            "balance_desk.holdings",
            "balance_desk.valuation",
            "balance_desk.history",
            "balance_desk.paths",
            "balance_desk.config",
            "balance_desk.credentials",
            "balance_desk.logs",
            "balance_desk.autostart",
        )
    },
    {"sources": ("balance_desk.sources",)},
    {
        "setup": ("balance_desk.setup",),
        "present": ("balance_desk.present",),
        "simulator": ("balance_desk.simulator",),
    },
    {"fetcher": ("balance_desk.fetcher",)},
    {
        "cli": ("balance_desk.cli",),
        "gui": ("balance_desk.gui",),
        "launch": ("balance_desk.launch",),
    },
    {"main": ("balance_desk.main",)},
    {"__main__": ("balance_desk.__main__",)},
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def component(module: str) -> tuple[int, str]:
    """(layer index, component name) of a module; the longest matching prefix wins."""
    best: tuple[int, str, int] | None = None
    for rank, layer in enumerate(LAYERS):
        for name, prefixes in layer.items():
            for prefix in prefixes:
                if module == prefix or module.startswith(prefix + "."):
                    if prefix == "balance_desk" and module != "balance_desk":
                        continue  # the root package itself, not everything under it
                    if best is None or len(prefix) > best[2]:
                        best = (rank, name, len(prefix))
    assert best is not None, f"{module} is in no layer: add it to LAYERS and the docs"
    return best[0], best[1]


def imports_of(module: str) -> set[str]:
    """Every balance_desk module that `module` imports anywhere in its body."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            names = [
                f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in MODULES else origin
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            # `import a.b.c` names a module; an attribute path resolves to its module.
            target = name
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]
            if target in MODULES and target != module:
                found.add(target)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        component(module)


def test_imports_point_down_or_stay_inside_their_package() -> None:
    wrong = []
    for module, targets in GRAPH.items():
        rank, name = component(module)
        for target in sorted(targets):
            target_rank, target_name = component(target)
            if target_name != name and target_rank >= rank:
                wrong.append(f"{module} ({name}) imports {target} ({target_name})")
    assert wrong == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    assert _cycles() == []


def test_the_cycle_check_finds_a_cycle() -> None:
    GRAPH["balance_desk.money"].add("balance_desk.model")  # model imports money already
    try:
        assert _cycles() == [["balance_desk.model", "balance_desk.money"]]
    finally:
        GRAPH["balance_desk.money"].discard("balance_desk.model")


def _ruff(path: str, source: str) -> str:
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), "check", "--no-cache", "--stdin-filename", path, "-"],
        input=source, capture_output=True, text=True, cwd=REPO, check=False,
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    "source",
    [
        "import PySide6\n",
        "from PySide6.QtCore import QObject\n\nQObject()\n",
        "import PySide6.QtWidgets\n",
    ],
)
def test_lint_refuses_qt_outside_the_gui(source: str) -> None:
    assert "TID251" in _ruff("balance_desk/present/rows.py", source)


def test_lint_allows_qt_inside_the_gui() -> None:
    assert "TID251" not in _ruff(
        "balance_desk/gui/window/glyphs.py", "from PySide6.QtCore import QObject\n\nQObject()\n"
    )
