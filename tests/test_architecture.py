"""The import direction of docs/architecture.md, checked against the code (every import, also those
inside functions): an app imports only the apps below it, and no module imports itself back."""

from __future__ import annotations

import ast
from collections import defaultdict
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each part of the tree and what it may import, from the bottom up (docs/architecture.md). The bottom
# modules of the remix package import Django, psycopg and pyarrow only; the rest of remix (settings,
# URLs, health, tokens) is the wiring on top and may import everything.
BOTTOM = ("remix.db", "remix.conf", "remix.storage")
_BASE = {"remix.db", "remix.conf", "remix.storage"}
ALLOWED = {
    "remix.db": set(),
    "remix.conf": set(),
    "remix.storage": {"remix.conf"},
    "background": _BASE,
    "layers": {"background", *_BASE},
    "mappature": {"layers", "background", *_BASE},
    "etl": {"mappature", "layers", "background", *_BASE},
    "consegne": {"etl", "mappature", "layers", "background", *_BASE},
    "indicatori": {"etl", "mappature", "layers", "background", *_BASE},
    "incontri": {"consegne", "etl", "mappature", "layers", "background", *_BASE},
}
APPS = ["remix", "background", "layers", "mappature", "etl", "consegne", "indicatori", "incontri"]


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            name = ".".join(rel.with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _targets(module: str, path: Path, node, modules) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            prefix = ".".join(package + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in modules else prefix for a in node.names]
    out = []
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name != module:
            out.append(name)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = defaultdict(set)
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[module].update(_targets(module, path, node, modules))
    return graph


def _part(module: str) -> str:
    return next((b for b in BOTTOM if module == b or module.startswith(b + ".")), module.split(".")[0])


def test_apps_import_only_what_lies_below_them():
    wrong = sorted(
        f"{m} imports {t}"
        for m, targets in _graph().items()
        for t in targets
        if _part(m) in ALLOWED and _part(t) != _part(m) and _part(t) not in ALLOWED[_part(m)]
    )
    assert wrong == []


def test_no_module_imports_itself_back():
    try:
        TopologicalSorter(_graph()).prepare()
    except CycleError as err:
        raise AssertionError(f"import cycle: {' -> '.join(err.args[1])}") from None


def test_the_bottom_module_imports_no_project_app():
    graph = _graph()
    assert graph, "no module found: the test reads the wrong folder"
    assert any(_part(m) == "remix.db" for m in graph)
    assert not [t for m, ts in graph.items() if _part(m) == "remix.db" for t in ts if _part(t) != "remix.db"]
