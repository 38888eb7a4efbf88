"""The etl package's modules import each other in one direction: no cycle, read from the source."""

import ast
from pathlib import Path

import etl

ROOT = Path(etl.__file__).resolve().parent
# etl.rasters (raster publication) is being moved to the one raster reader by its own change.
SKIP = {"etl.rasters"}


def _graph() -> dict[str, set[str]]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = ["etl", *path.relative_to(ROOT).with_suffix("").parts]
        package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if package else parts)
        if name not in SKIP:
            modules[name] = (path, name if package else name.rpartition(".")[0])
    graph = {m: set() for m in modules}
    for name, (path, package) in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):  # imports inside functions count too
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_the_etl_modules_form_no_import_cycle():
    graph = _graph()
    assert {"etl.staging", "etl.codelists", "etl.readers", "etl.readers.remote"} <= set(graph)
    assert "etl.scratch" in graph["etl.codelists"]  # the graph is really read
    assert _cycle(graph) is None, " → ".join(_cycle(graph))
