"""Layers as data: read and check the declarations in layers/declarations/*.yaml.

One YAML file per layer; ``_common.yaml`` holds the metadata every layer shares (owner, contact,
licence...), which a layer's own ``metadata`` overrides key by key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import DeclarationError, StyleError
from .models import Layer
from .styles import parse_style

DECLARATIONS_DIR = Path(__file__).resolve().parent / "declarations"
COMMON_FILE = "_common.yaml"
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# Fields a declaration sets; `layers sync` applies them unless edited in the admin (see layers.sync).
MANAGED_FIELDS = (
    "title_it",
    "title_en",
    "abstract_it",
    "abstract_en",
    "theme",
    "kind",
    "source",
    "dataset_id",
    "geometry_type",
    "srid",
    "attributes",
    "style",
    "min_zoom",
    "max_zoom",
    "visibility",
    "synthetic",
    "sort_order",
)
REQUIRED = ("slug", "title_it", "title_en", "abstract_it", "abstract_en", "theme", "source")
# Metadata the registry computes from the data: never declared, always refreshed.
COMPUTED_METADATA = ("extent", "features", "lineage")


@dataclass(frozen=True)
class Declaration:
    slug: str
    fields: dict
    metadata: dict
    published: bool
    path: str


def load_all(directory: Path = DECLARATIONS_DIR) -> list[Declaration]:
    """Every declaration, checked; raises DeclarationError naming the file at the first problem."""
    common = _read(directory / COMMON_FILE) if (directory / COMMON_FILE).exists() else {}
    declarations = [
        parse(_read(path), common.get("metadata", {}), str(path.name))
        for path in sorted(directory.glob("*.yaml"))
        if path.name != COMMON_FILE
    ]
    slugs = [d.slug for d in declarations]
    duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
    if duplicates:
        raise DeclarationError(f"Identificativi di strato ripetuti: {', '.join(duplicates)}.")
    return declarations


def parse(raw: dict, common_metadata: dict, name: str = "<dichiarazione>") -> Declaration:
    """One declaration from its YAML mapping, with the shared metadata merged in."""
    missing = [key for key in REQUIRED if not raw.get(key)]
    if missing:
        raise DeclarationError(f"{name}: mancano i campi obbligatori {', '.join(missing)}.")
    fields = {key: raw[key] for key in MANAGED_FIELDS if key in raw}
    fields.setdefault("kind", Layer.Kind.VECTOR)
    fields.setdefault("attributes", [])
    fields.setdefault("style", {})
    _check_choices(fields, name)
    _check_source(fields, name)
    try:
        raster = fields["kind"] == Layer.Kind.RASTER
        classification = parse_style(fields["style"], geometry_type="Raster" if raster else "")
    except StyleError as err:
        raise DeclarationError(f"{name}: stile non valido: {err}") from err
    exposed = {a.get("name") for a in fields["attributes"]}
    if fields["kind"] == Layer.Kind.VECTOR and classification.field and classification.field not in exposed:
        # Maps and previews receive only the exposed attributes: they must be able to classify.
        raise DeclarationError(
            f"{name}: il campo dello stile {classification.field!r} non è tra gli attributi esposti."
        )
    metadata = {**common_metadata, **(raw.get("metadata") or {})}
    computed = [key for key in COMPUTED_METADATA if key in metadata]
    if computed:
        raise DeclarationError(f"{name}: i metadati {', '.join(computed)} sono calcolati dai dati, non dichiarati.")
    return Declaration(raw["slug"], fields, metadata, bool(raw.get("published", False)), name)


def _check_choices(fields: dict, name: str) -> None:
    for key, choices in (("theme", Layer.Theme), ("kind", Layer.Kind), ("visibility", Layer.Visibility)):
        if key in fields and fields[key] not in choices.values:
            raise DeclarationError(f"{name}: valore {fields[key]!r} non ammesso per '{key}'.")


def _check_source(fields: dict, name: str) -> None:
    """Sources and attributes become SQL identifiers: only plain lower-case names are accepted."""
    if fields["kind"] == Layer.Kind.RASTER:
        if not fields["source"].endswith((".tif", ".tiff")):
            raise DeclarationError(f"{name}: la sorgente di uno strato raster è un file GeoTIFF.")
        return
    if not IDENTIFIER.match(fields["source"]):
        raise DeclarationError(f"{name}: sorgente {fields['source']!r} non è un nome di tabella o vista.")
    for attribute in fields["attributes"]:
        if not IDENTIFIER.match(str(attribute.get("name", ""))) or not attribute.get("label_it"):
            raise DeclarationError(f"{name}: ogni attributo vuole un nome (minuscolo) e un'etichetta italiana.")


def _read(path: Path) -> dict:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except yaml.YAMLError as err:
        raise DeclarationError(f"{path.name}: YAML non valido: {err}") from err
    if not isinstance(data, dict):
        raise DeclarationError(f"{path.name}: attesa una mappa di campi.")
    return data
