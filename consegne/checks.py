"""File- and layer-level checks of a delivery: pure functions over what the readers returned.

The feature-level checks (geometry, attributes, topology) run in SQL on the staging table
(see :mod:`consegne.sqlchecks`); these only need the file list and each layer's schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .rules import severity
from .spec import LayerSpec, Spec

REQUIRED_PARTS = (".shx", ".dbf")
COMPATIBLE = {"real": {"real", "integer"}, "integer": {"integer"}, "text": {"text"}, "date": {"date", "text"}}


@dataclass
class Found:
    """A finding before it is stored: rule, layer, feature and message parameters."""

    rule: str
    layer: str = ""
    feature: str = ""
    params: dict = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return severity(self.rule)


@dataclass
class DeliveredLayer:
    """A layer of the delivered file that matches a spec layer: its code, the file, the GeoPackage layer
    (None for a shapefile). Not a registry layer (``layers.models.Layer``)."""

    code: str
    path: Path
    gpkg_layer: str | None = None


def discover_shapefiles(folder: Path, spec: Spec) -> tuple[list[DeliveredLayer], list[Found]]:
    """Match the shapefiles of an unpacked zip to the spec layers; report missing and unknown files."""
    found: list[Found] = []
    delivered = []
    for shp in sorted(folder.glob("*.shp")):
        code = shp.stem.lower()
        if code not in spec.layers:
            found.append(Found("unknown_layer", params={"name": shp.name, "spec": spec.code}))
            continue
        missing = [ext for ext in REQUIRED_PARTS if not shp.with_suffix(ext).is_file()]
        found += [Found("missing_part", code, params={"name": shp.name, "ext": ext}) for ext in missing]
        if not shp.with_suffix(".prj").is_file():
            found.append(Found("missing_prj", code, params={"name": shp.name}))
            missing.append(".prj")
        if not missing:
            delivered.append(DeliveredLayer(code, shp))
    found += missing_layers({shp.stem.lower() for shp in folder.glob("*.shp")}, spec)
    return delivered, found


def discover_gpkg_layers(path: Path, names: list[str], spec: Spec) -> tuple[list[DeliveredLayer], list[Found]]:
    """Match the layers of a GeoPackage to the spec layers."""
    found: list[Found] = []
    delivered = []
    for name in names:
        if name.lower() in spec.layers:
            delivered.append(DeliveredLayer(name.lower(), path, name))
        else:
            found.append(Found("unknown_layer", params={"name": name, "spec": spec.code}))
    return delivered, found + missing_layers({n.lower() for n in names}, spec)


def missing_layers(delivered: set[str], spec: Spec) -> list[Found]:
    return [
        Found("missing_layer", code, params={"layer": code})
        for code, layer in spec.layers.items()
        if layer.required and code not in delivered
    ]


def check_crs(code: str, srid: int | None, spec: Spec) -> list[Found]:
    """CRS findings; an error here means the layer's geometries cannot be placed."""
    if srid is None:
        return [Found("crs_unknown", code, params={"layer": code})]
    if srid not in spec.accepted_srids:
        accepted = ", ".join(f"EPSG:{s}" for s in spec.accepted_srids)
        return [Found("crs_not_accepted", code, params={"layer": code, "srid": srid, "accepted": accepted})]
    if srid != 32632:
        return [Found("crs_reprojected", code, params={"layer": code, "srid": srid})]
    return []


def check_fields(layer: LayerSpec, field_types: dict[str, str]) -> list[Found]:
    """Missing fields, fields of the wrong type, fields the spec does not know."""
    found = []
    known = set()
    for fld in layer.fields:
        known.add(fld.name)
        kind = field_types.get(fld.name)
        if kind is None:
            found.append(Found("missing_field", layer.code, params={"layer": layer.code, "field": fld.name}))
        elif kind not in COMPATIBLE[fld.type]:
            found.append(
                Found(
                    "field_type",
                    layer.code,
                    params={"layer": layer.code, "field": fld.name, "found": kind, "expected": fld.type},
                )
            )
    for name in sorted(set(field_types) - known):
        found.append(Found("extra_field", layer.code, params={"layer": layer.code, "field": name}))
    return found


def blocking(found: list[Found]) -> bool:
    return any(f.severity == "errore" for f in found)
