"""The largest import circle of ``hpo``: modules that import each other, directly or around a loop.

Reads imports as syntax (nothing is run). ``--runtime`` leaves out imports under
``if TYPE_CHECKING:`` (they never run); by default every import statement counts, at module level or
inside a function, since any of them ties the modules together for a reader.

    python benchmarks/house/import_cycles.py [--runtime] [--list]
"""

from __future__ import annotations

import argparse
import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2] / "hpo"


def module_of(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def graph(runtime: bool) -> dict[str, set[str]]:
    modules = {module_of(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}
    edges: dict[str, set[str]] = {m: set() for m in modules}

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for module, path in modules.items():
        tree = ast.parse(path.read_text())
        skipped: set[int] = set()
        if runtime:
            for node in ast.walk(tree):
                if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                    skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # ``from hpo import x`` runs hpo/__init__, which every import of hpo runs anyway: count x only
                targets = [f"{node.module}.{a.name}" for a in node.names] + ([node.module] if node.module != "hpo" else [])
            for target in targets:
                if target.startswith("hpo"):
                    resolved = resolve(target)
                    if resolved and resolved != module:
                        edges[module].add(resolved)
                        # importing a.b.c runs a/__init__ and a/b/__init__ too
                        parent = resolved.rpartition(".")[0]
                        while parent and parent != "hpo":
                            if parent in modules and parent != module and not module.startswith(parent + "."):
                                edges[module].add(parent)
                            parent = parent.rpartition(".")[0]
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            result.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return sorted((c for c in result if len(c) > 1), key=len, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runtime", action="store_true", help="leave out imports under TYPE_CHECKING")
    parser.add_argument("--list", action="store_true", help="print the modules of each circle")
    args = parser.parse_args()
    edges = graph(args.runtime)
    circles = strongly_connected(edges)
    print(f"{len(edges)} modules; circles (largest first): {[len(c) for c in circles] or 'none'}")
    if args.list:
        for circle in circles:
            print(f"- {len(circle)}: " + ", ".join(circle))


if __name__ == "__main__":
    main()
