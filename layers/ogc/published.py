"""Fetches what MapServer and the exports must know about a registry layer's table, view or raster.

Identifiers are taken from the PostgreSQL catalogue (a layer's ``source`` is only looked up,
never spliced into SQL before it is found there); every value is a bound parameter.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction

from remix import db

from .. import rasters, relations
from ..errors import SourceError, StyleError
from ..styles import Classification, StyleClass, Symbol
from .errors import LayerSourceError

log = logging.getLogger(__name__)
DEFAULT_EXTENT = (470000.0, 5000000.0, 545000.0, 5065000.0)  # CMM in EPSG:32632, with a margin


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    label_it: str
    label_en: str


@dataclass(frozen=True)
class LayerSource:
    """A registry layer resolved against the database: plain data for the mapfile and the exports."""

    slug: str
    title_it: str
    title_en: str
    abstract_it: str
    abstract_en: str
    kind: str  # vector | raster
    style: Classification
    srid: int
    extent: tuple[float, float, float, float]
    keywords: tuple[str, ...] = ()
    attribution: str = ""
    synthetic: bool = False
    schema: str = "public"
    table: str = ""
    geom_column: str = "geom"
    geometry_type: str = "GEOMETRY"
    key: str = "id"
    columns: tuple[Column, ...] = ()
    raster_path: str = ""
    metadata: dict = field(default_factory=dict, hash=False, compare=False)
    value_label_it: str = "Valore"
    value_label_en: str = "Value"
    theme: str = ""  # the WMS group of the layer
    theme_it: str = ""
    theme_en: str = ""

    @property
    def identifier(self) -> db.Identifier:
        """The schema-qualified relation: ``db.compose("… FROM {t}", t=src.identifier)``."""
        return db.ident(self.schema, self.table)


def resolve(layer, extent: bool = True) -> LayerSource:
    """Resolve a ``layers.models.Layer`` row into a :class:`LayerSource` (two or three queries).

    The extent comes from the one the registry keeps in ``metadata["extent"]`` (refreshed after every
    load and publication), reprojected to the layer's CRS; only a layer without it is scanned.
    ``extent=False`` skips the extent altogether (exports do not need it).
    """
    common = _common(layer)
    if layer.kind == "raster":
        return _resolve_raster(layer, common)
    return _resolve_vector(layer, common, extent)


def _common(layer) -> dict:
    meta = layer.metadata if isinstance(layer.metadata, dict) else {}
    keywords = meta.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",") if k.strip()]
    if isinstance(meta.get("inspire_theme"), str):
        keywords = [*keywords, meta["inspire_theme"]]
    return {
        "slug": layer.slug,
        "title_it": layer.title_it,
        "title_en": layer.title_en or layer.title_it,
        "abstract_it": layer.abstract_it,
        "abstract_en": layer.abstract_en or layer.abstract_it,
        "kind": layer.kind,
        "style": classification(layer),
        "srid": layer.srid or 32632,
        "keywords": tuple(str(k) for k in keywords) + (layer.theme,),
        "attribution": _attribution(meta),
        "synthetic": layer.synthetic,
        "metadata": meta,
        **_theme(layer),
    }


def _theme(layer) -> dict:
    from django.utils import translation

    label = dict(type(layer).Theme.choices).get(layer.theme, layer.theme or "")
    with translation.override("it"):
        theme_it = str(label)
    with translation.override("en"):
        theme_en = str(label)
    return {"theme": layer.theme or "", "theme_it": theme_it, "theme_en": theme_en}


def classification(layer) -> Classification:
    """The registry's classification of the layer; an invalid style draws with the default symbol
    (logged) rather than taking the layer out of the services."""
    try:
        return layer.classification()
    except StyleError as err:
        log.warning("layer %s: style ignored: %s", layer.slug, err)
        only = StyleClass(layer.title_it, layer.title_en or layer.title_it, Symbol())
        return Classification("single", None, (only,))


def _attribution(meta: dict) -> str:
    """Who to credit: the declared attribution, else the owner's organisation (RNDT ``owner``)."""
    owner = meta.get("owner")
    organisation = owner.get("organisation") if isinstance(owner, dict) else owner
    return str(meta.get("attribution") or organisation or "")


def _resolve_raster(layer, common: dict) -> LayerSource:
    path = rasters.local_path(layer)
    if not path.exists():
        raise LayerSourceError(f"raster of layer {layer.slug!r} not found: {path}")
    declared = next((a for a in layer.attributes or [] if isinstance(a, dict) and a.get("name")), {})
    labels = {
        "value_label_it": declared.get("label_it") or "Valore",
        "value_label_en": declared.get("label_en") or declared.get("label_it") or "Value",
    }
    return LayerSource(raster_path=str(path), extent=rasters.extent(path), **labels, **common)


def _resolve_vector(layer, common: dict, with_extent: bool) -> LayerSource:
    try:
        rel = relations.resolve(layer)
    except SourceError as err:
        raise LayerSourceError(f"layer {layer.slug!r}: {err}") from err
    if rel.geom_column is None:
        raise LayerSourceError(f"layer {layer.slug!r}: {layer.source!r} is not a table or view with a geometry")
    if rel.key is None:
        raise LayerSourceError(f"layer {layer.slug!r}: {layer.source!r} has no id column")
    target_srid = rel.srid or common["srid"]
    extent = DEFAULT_EXTENT
    if with_extent:
        extent = _stored_extent(common["metadata"], target_srid) or _vector_extent(rel)
    return LayerSource(
        schema=rel.schema,
        table=rel.name,
        geom_column=rel.geom_column,
        geometry_type=(layer.geometry_type or rel.geometry_type or "GEOMETRY").upper(),
        key=rel.key,
        columns=_columns(layer.attributes, rel.columns, skip={rel.geom_column}),
        extent=extent,
        **{**common, "srid": target_srid},
    )


# The stored box is rounded to 1e-6 degrees and was computed from the corners of the data's box:
# widen it by ~1 m and follow its densified edges, so that the reprojected box still covers the data.
_STORED_PAD = 1e-5
_STORED_SEGMENT = 0.01


def _stored_extent(meta: dict, srid: int) -> tuple[float, float, float, float] | None:
    """The registry's extent (EPSG:4326, kept by ``layers.registry.refresh_extent``) in ``srid``, without
    reading the data; None when it is missing or not a plausible lon/lat box."""
    box = meta.get("extent")
    try:
        west, south, east, north = (float(box[k]) for k in ("west", "south", "east", "north"))
    except (TypeError, KeyError, ValueError):
        return None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):  # also rejects NaN
        return None
    pad = _STORED_PAD
    try:
        with transaction.atomic():  # a box outside the CRS's domain fails: then the data tells
            row = db.fetch_one(
                "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Transform(ST_Segmentize("
                "ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326), %(segment)s), %(srid)s)::box2d"
                " AS b) t",
                {
                    "west": max(west - pad, -180),
                    "south": max(south - pad, -90),
                    "east": min(east + pad, 180),
                    "north": min(north + pad, 90),
                    "segment": _STORED_SEGMENT,
                    "srid": srid,
                },
            )
    except DatabaseError as err:
        log.warning("layer extent %s not usable in EPSG:%s: %s", box, srid, err)
        return None
    if row is None or row[0] is None or not all(math.isfinite(v) for v in row):
        return None
    return tuple(float(v) for v in row)


def _vector_extent(rel: relations.Relation) -> tuple[float, float, float, float]:
    row = db.fetch_one(
        db.compose(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent({geom}) AS e FROM {rel}) s",
            geom=rel.geom_column,
            rel=rel.identifier,
        )
    )
    return DEFAULT_EXTENT if row is None or row[0] is None else tuple(float(v) for v in row)


def _columns(declared, catalogue: dict, skip: set) -> tuple[Column, ...]:
    """The registry's declared attributes that exist in the table, else every non-geometry column."""
    types = {name: base_type(kind) for name, kind in catalogue.items()}
    declared = [a for a in declared or [] if isinstance(a, dict) and a.get("name") in types]
    if declared:
        return tuple(
            Column(
                a["name"],
                types[a["name"]],
                a.get("label_it") or a["name"],
                a.get("label_en") or a.get("label_it") or a["name"],
            )
            for a in declared
            if a["name"] not in skip
        )
    return tuple(Column(n, t, n, n) for n, t in types.items() if n not in skip)


def base_type(kind: str) -> str:
    """A column's type without its modifiers (``numeric(12,2)`` → ``numeric``, ``geometry(Point,32632)`` →
    ``geometry``): what MapServer's GML types and the graduated classes are chosen by."""
    return _MODIFIERS.sub("", kind)


_MODIFIERS = re.compile(r"\([^)]*\)")
