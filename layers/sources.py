"""What the registry reads from a layer's source: columns, extent, a bounded preview, intersections.

Sources are tables and views named by declarations (checked identifiers, quoted here) with their
geometry in the ``geom`` column, or GeoTIFF rasters; every value is a bound parameter.
"""

from __future__ import annotations

from pathlib import Path

from django.db import connection

from . import rasters
from .errors import SourceError
from .models import Layer

GEOM = "geom"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def raster_path(layer: Layer) -> Path:
    """The raster layer's file on this machine (layers.rasters: from the storage, cached per version)."""
    return rasters.local_path(layer)


def source_columns(source: str) -> dict[str, str] | None:
    """Columns of a table or view in the current schema (name → type), or None when it is missing."""
    sql = """SELECT column_name, data_type FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position"""
    with connection.cursor() as cur:
        cur.execute(sql, [source])
        rows = cur.fetchall()
    return dict(rows) if rows else None


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
    sql = f"""WITH s AS (SELECT count(*) AS n, ST_Extent({_q(GEOM)}) AS e FROM {_q(layer.source)})
              SELECT n, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
              FROM s, LATERAL (SELECT ST_Transform(ST_SetSRID(e::geometry, %s), 4326) AS b) t"""  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, [layer.srid])
        count, *box = cur.fetchone()
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
    props = ", ".join(f"%s, {_q(a['name'])}" for a in layer.attributes) or ""
    properties = f"json_build_object({props})" if props else "'{}'::json"
    sql = f"""SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
                json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(ST_Transform(g, 4326), 6)::json,
                                  'properties', p)), '[]'::json))::text
              FROM (SELECT {_q(GEOM)} AS g, {properties} AS p FROM {_q(layer.source)}
                    WHERE {_q(GEOM)} IS NOT NULL LIMIT %s) f"""  # noqa: S608 - quoted identifiers
    params = [a["name"] for a in layer.attributes] + [limit]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


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
        f"""SELECT %s WHERE EXISTS (SELECT 1 FROM {_q(layer.source)} s, g
               WHERE s.{_q(GEOM)} && g.geom AND ST_Intersects(s.{_q(GEOM)}, g.geom))"""  # noqa: S608
        for layer in vectors
    ]
    sql = "WITH g AS (SELECT ST_GeomFromEWKB(%s) AS geom) " + " UNION ALL ".join(parts)
    with connection.cursor() as cur:
        cur.execute(sql, [geom_ewkb, *[layer.slug for layer in vectors]])
        found.update(row[0] for row in cur.fetchall())
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
    from psycopg import sql

    if layer.kind != Layer.Kind.VECTOR:
        raise SourceError("Solo gli strati vettoriali si scaricano in GeoJSON o CSV.")
    names = [a["name"] for a in layer.attributes]
    query = sql.SQL(
        "SELECT {cols}ST_AsText(ST_Transform({g}, 4326), 6) FROM {src} WHERE {g} IS NOT NULL ORDER BY {order} LIMIT %s"
    ).format(
        cols=sql.SQL("").join(sql.SQL("{}::text, ").format(sql.Identifier(n)) for n in names),
        g=sql.Identifier(GEOM),
        src=sql.Identifier(layer.source),
        order=sql.SQL(", ").join(
            [*(sql.Identifier(n) for n in names[:1]), sql.SQL("ST_XMin({})").format(sql.Identifier(GEOM))]
        ),
    )
    with connection.cursor() as cur:
        cur.execute(query.as_string(connection.connection), [limit])
        return [*names, "wkt"], cur.fetchall()


def feature_count(layer: Layer, at_most: int) -> int:
    """How many features the layer's source holds, counting no further than ``at_most`` (bounded work)."""
    from psycopg import sql

    query = sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {src} WHERE {g} IS NOT NULL LIMIT %s) f").format(
        src=sql.Identifier(layer.source), g=sql.Identifier(GEOM)
    )
    with connection.cursor() as cur:
        cur.execute(query.as_string(connection.connection), [at_most])
        return cur.fetchone()[0]
