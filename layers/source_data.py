"""What the registry reads from a layer's source: columns, extent, a bounded preview, intersections.

Sources are tables and views named by declarations (``table`` or ``schema.table``, composed as identifiers
with ``remix.db``) with their geometry in the ``geom`` column, or GeoTIFF rasters; every value is a bound
parameter.
"""

from __future__ import annotations

from pathlib import Path

from remix import db

from . import rasters
from .errors import SourceError
from .models import Layer
from .relations import split

GEOM = "geom"


def _relation(layer: Layer) -> db.Identifier:
    return db.ident(*split(layer.source))


def raster_path(layer: Layer) -> Path:
    """The raster layer's file on this machine (layers.rasters: from the storage, cached per version)."""
    return rasters.local_path(layer)


def source_columns(source: str) -> dict[str, str] | None:
    """Columns of a table or view (name → type), or None when it is missing; read afresh (a load may
    have just changed them)."""
    return db.columns(split(source)) or None


def check_source(layer: Layer) -> list[str]:
    """Problems that would stop the layer being drawn (missing source, undeclared columns)."""
    if layer.kind == Layer.Kind.RASTER:
        return [] if raster_path(layer).exists() else [f"raster {layer.source} non trovato"]
    columns = source_columns(layer.source)
    if columns is None:
        return [f"tabella o vista {layer.source} non trovata"]
    wanted = [GEOM] + [a["name"] for a in layer.attributes]
    return [f"colonna {name} assente in {layer.source}" for name in wanted if name not in columns]


def data_extent(layer: Layer) -> tuple[dict | None, int | None]:
    """Bounding box in EPSG:4326 (west, south, east, north) and feature count; (None, None) if empty."""
    if layer.kind == Layer.Kind.RASTER:
        return _raster_extent(layer), None
    query = db.compose(
        """WITH s AS (SELECT count(*) AS n, ST_Extent({geom}) AS e FROM {rel})
           SELECT n, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
           FROM s, LATERAL (SELECT ST_Transform(ST_SetSRID(e::geometry, %s), 4326) AS b) t""",
        geom=GEOM,
        rel=_relation(layer),
    )
    count, *box = db.fetch_one(query, [layer.srid])
    if not count or box[0] is None:
        return None, 0
    return _bbox(box), count


def _raster_extent(layer: Layer) -> dict | None:
    # The registry reads only the raster's header, to describe it; the ETL is what writes it.
    path = raster_path(layer)
    return rasters.extent_4326(path) if path.exists() else None


def _bbox(box) -> dict:
    west, south, east, north = (round(float(v), 6) for v in box)
    return {"west": west, "south": south, "east": east, "north": north}


def preview_geojson(layer: Layer, limit: int) -> str:
    """The first ``limit`` features as GeoJSON text in EPSG:4326, with the declared attributes only."""
    if layer.kind != Layer.Kind.VECTOR:
        raise SourceError("Solo gli strati vettoriali hanno un'anteprima degli elementi.")
    names = [a["name"] for a in layer.attributes]
    pairs = [db.compose("{key}, {column}", key=db.Placeholder(f"name_{i}"), column=n) for i, n in enumerate(names)]
    properties = db.compose("json_build_object({pairs})", pairs=pairs) if pairs else db.SQL("'{}'::json")
    query = db.compose(
        """SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
             json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(ST_Transform(g, 4326), 6)::json,
                               'properties', p)), '[]'::json))::text
           FROM (SELECT {geom} AS g, {properties} AS p FROM {rel} WHERE {geom} IS NOT NULL LIMIT %(limit)s) f""",
        geom=GEOM,
        properties=properties,
        rel=_relation(layer),
    )
    return db.fetch_value(query, {"limit": limit, **{f"name_{i}": n for i, n in enumerate(names)}})


def intersecting(layers: list[Layer], geom_ewkb: bytes, bbox4326: dict) -> set[str]:
    """Slugs of the layers with data inside a geometry (EPSG:32632 EWKB), in one query.

    Vector layers are tested on their features (index-assisted ``&&`` then ``ST_Intersects``), not
    on the stored extent, which only the ETL and `layers sync` refresh (a PGT act published
    through another path changes the data too); rasters, written only by the ETL, on their extent.
    """
    found = {layer.slug for layer in layers if layer.kind == Layer.Kind.RASTER and _overlaps(layer, bbox4326)}
    vectors = [layer for layer in layers if layer.kind == Layer.Kind.VECTOR]
    if not vectors:
        return found
    parts = [
        db.compose(
            "SELECT {slug} WHERE EXISTS (SELECT 1 FROM {rel} s, g"
            " WHERE s.{geom} && g.geom AND ST_Intersects(s.{geom}, g.geom))",
            slug=db.Placeholder(f"slug_{i}"),
            rel=_relation(layer),
            geom=GEOM,
        )
        for i, layer in enumerate(vectors)
    ]
    query = db.compose(
        "WITH g AS (SELECT ST_GeomFromEWKB(%(geom)s) AS geom) {parts}", parts=db.join(parts, " UNION ALL ")
    )
    params = {"geom": geom_ewkb, **{f"slug_{i}": layer.slug for i, layer in enumerate(vectors)}}
    found.update(row[0] for row in db.fetch_all(query, params))
    return found


def _overlaps(layer: Layer, box: dict) -> bool:
    # A catalogue listing annotates the extent alone (catalogue.search(listing=True)).
    extent = layer.extent if hasattr(layer, "extent") else layer.metadata.get("extent")
    if not extent:
        return False
    return not (
        extent["east"] < box["west"]
        or extent["west"] > box["east"]
        or extent["north"] < box["south"]
        or extent["south"] > box["north"]
    )


def download_rows(layer: Layer, limit: int) -> tuple[list[str], list[tuple]]:
    """Up to ``limit`` features for a download: the declared attributes then the geometry as WKT in
    EPSG:4326 (6 decimals), in a stable order (the source's primary ordering by geometry is not kept)."""
    if layer.kind != Layer.Kind.VECTOR:
        raise SourceError("Solo gli strati vettoriali si scaricano in GeoJSON o CSV.")
    names = [a["name"] for a in layer.attributes]
    query = db.compose(
        "SELECT {columns} FROM {rel} WHERE {g} IS NOT NULL ORDER BY {order} LIMIT %s",
        columns=[
            *(db.compose("{c}::text", c=n) for n in names),
            db.compose("ST_AsText(ST_Transform({g}, 4326), 6)", g=GEOM),
        ],
        g=GEOM,
        rel=_relation(layer),
        order=[*names[:1], db.compose("ST_XMin({g})", g=GEOM)],
    )
    return [*names, "wkt"], db.fetch_all(query, [limit])


def feature_count(layer: Layer, at_most: int) -> int:
    """How many features the layer's source holds, counting no further than ``at_most`` (bounded work)."""
    query = db.compose(
        "SELECT count(*) FROM (SELECT 1 FROM {rel} WHERE {g} IS NOT NULL LIMIT %s) f", rel=_relation(layer), g=GEOM
    )
    return db.fetch_value(query, [at_most])
