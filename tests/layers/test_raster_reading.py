"""One place reads rasters (layers.rasters); the ETL's raster load does not import the pipeline back."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("background", "consegne", "etl", "incontri", "indicatori", "layers", "mappature", "remix", "bench")


def _modules_imported(path: Path) -> set[str]:
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _sources():
    for app in APPS:
        yield from (p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


def test_the_raster_load_does_not_import_the_pipeline():
    assert not {m for m in _modules_imported(ROOT / "etl" / "rasters.py") if m.startswith("etl.pipeline")}


def test_the_raster_reader_sits_in_layers():
    above = ("etl", "mappature", "consegne", "incontri", "indicatori")
    imported = _modules_imported(ROOT / "layers" / "rasters.py")
    assert not {m for m in imported if m.split(".")[0] in above}


def test_rasters_are_opened_for_reading_only_in_layers_rasters():
    readers = []
    for path in _sources():
        if path == ROOT / "layers" / "rasters.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            if call and node.func.attr == "open" and getattr(node.func.value, "id", "") == "rasterio":
                mode = node.args[1] if len(node.args) > 1 else None
                if not (isinstance(mode, ast.Constant) and mode.value == "w"):
                    readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == []
