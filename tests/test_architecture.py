"""The package's layers a newcomer reads in one look (README, "Where things live"): no module imports one that
imports it back, and each layer imports only the layers below it."""
from __future__ import annotations

import ast

from conftest import ROOT

PACKAGE = ROOT / "sfc_check"
# what each layer may import (besides itself); the top-level modules are the core every layer shares
CORE = {"errors", "model", "yamlsafe", "validation", "findings", "rejectedrows", "sortedruns", "scratch", "schemas"}
ALLOWED = {
    "data": set(),
    "language": {"data"},
    "backends": {"data", "language"},
    "governance": {"data", "language"},
    "app": {"data", "language", "backends", "governance"},
    "report": {"data", "language", "governance", "app"},
    "cli": {"data", "language", "governance", "app", "report"},
}


def _imports() -> dict[str, set[str]]:
    """Module → the package modules it imports (anywhere in it, function-level imports included)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = name if parts[-1] == "__init__" else name.rsplit(".", 1)[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                found |= {f"{target}.{a.name}" for a in node.names} if node.module is None else {target}
        graph[name] = found
    known = set(graph)

    def module(dotted: str) -> str:
        while dotted not in known and "." in dotted:
            dotted = dotted.rsplit(".", 1)[0]
        return dotted
    return {m: {module(d) for d in deps} - {m} for m, deps in graph.items()}


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = _imports()
    cycles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    cycles.append(path + [start])
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
    assert cycles == []


def test_each_layer_imports_only_the_layers_below_it() -> None:
    def layer(module: str) -> str | None:
        """The layer a module belongs to; None for the package itself and its core modules."""
        parts = module.split(".")
        return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None
    wrong = []
    for module, deps in _imports().items():
        for dep in deps:
            mine, theirs = layer(module), layer(dep)
            if theirs is None or theirs == mine:
                continue
            if mine is None or theirs not in ALLOWED[mine]:
                wrong.append((module, dep))
    assert wrong == []
    assert {m.split(".")[1] for m in _imports() if "." in m and layer(m) is None} <= CORE | {"__init__"}
