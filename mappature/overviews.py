"""Generalised overviews of large polygon layers: what vector tiles read at low zooms.

A z10 tile of the metropolitan PGT covers some 100,000 polygons, each well under a pixel: running
``ST_AsMVT`` over them all takes seconds and draws specks. So, for each polygon layer with at least
``MVT_OVERVIEW_MIN_FEATURES`` features, the load that changes its data also builds one overview per
zoom band (``BANDS``), in its own transaction, recorded in ``TileOverview`` with the layer's
``data_version``: a tile only reads an overview of the version it was asked for, otherwise it falls
back to the full data. The rule, for band ``b`` with ``p`` the size in metres of a screen pixel at
zoom ``b`` (256-pixel tiles, EPSG:3857):

- a polygon of at least ``MERGE_PIXELS`` square pixels (``16 p²``, 4 × 4 pixels) is kept, simplified with a tolerance
  of ``p / 4`` (``ST_SimplifyPreserveTopology``), with its class;
- smaller polygons are merged per class, comune and grid cell (``CELL_PIXELS`` × ``CELL_PIXELS``,
  8 × 8 pixels, aligned with the tile grid, so no merged feature crosses a tile edge at zoom ≤ ``b``) into
  one square of their total area, centred on their area-weighted centre and kept inside the cell.

So each class keeps its total area (the tile's integer grid aside) and every feature its class —
the value of the layer style's classification field (for a graduated style, the smallest value of
the merged features, which lies in the same range). Territory filters keep working: features
never merge across comuni. Points and lines are not generalised.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.db import connection, transaction

from layers.models import Layer
from layers.styles import StyleError, parse_style
from remix import db

from . import conf
from .errors import UnknownLayerError
from .layer_source import resolve
from .models import TileOverview

log = logging.getLogger(__name__)

BANDS = (9, 10, 11, 12)  # a tile at zoom z reads the smallest band ≥ z; above the last, the full data
MERGE_PIXELS = 16  # polygons under this many square pixels (4 × 4) at the band's zoom are merged
CELL_PIXELS = 8  # merge cell side, in pixels at the band's zoom
TABLE_PREFIX = "mvt_overview_"
_WORLD = 2 * math.pi * 6378137
_ORIGIN = _WORLD / 2  # EPSG:3857 tile grid origin (-_ORIGIN, +_ORIGIN)


def min_features() -> int:
    return conf.MVT_OVERVIEW_MIN_FEATURES


def band_for(z: int) -> int | None:
    return next((b for b in BANDS if b >= z), None)


def pixel(band: int) -> float:
    return _WORLD / (2**band) / 256


def _class_sql(layer: Layer, columns: tuple[str, ...]) -> tuple[str | None, str, db.Composable, list]:
    """(field, kind, per-row class expression, params) of the layer style's classification.

    Categorized: the field's value. Graduated: the lower bound of the feature's range, so the value a
    merged feature carries falls in the range of every feature it stands for.
    """
    try:
        style = parse_style(layer.style or {}, geometry_type=layer.geometry_type)
    except StyleError:
        return None, "", db.SQL("NULL"), []
    if not style.field or style.field not in columns:
        return None, "", db.SQL("NULL"), []
    col = db.ident("t", style.field)
    if style.kind == "graduated":
        cases, params = [], []
        last = len(style.classes) - 1
        for i, cls in enumerate(style.classes):
            cases.append(
                db.compose(
                    "WHEN (%s::float8 IS NULL OR {col} >= %s) AND (%s::float8 IS NULL OR {col} {upper} %s) "
                    "THEN coalesce(%s::float8, {col})",
                    col=col,
                    upper=db.SQL("<=" if i == last else "<"),
                )
            )
            params += [cls.min, cls.min, cls.max, cls.max, cls.min]
        return style.field, "graduated", db.compose("(CASE {cases} END)::text", cases=db.join(cases, " ")), params
    return style.field, style.kind, db.compose("{col}::text", col=col), []


def eligible(layer: Layer) -> bool:
    return (
        layer.kind == Layer.Kind.VECTOR
        and "polygon" in (layer.geometry_type or "").lower()
        and (layer.metadata or {}).get("features") is not None
        and layer.metadata["features"] >= min_features()
    )


def table_name(slug: str, version: int, band: int) -> str:
    digest = hashlib.sha1(slug.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{TABLE_PREFIX}{digest}_v{version}_z{band}"


def _tables_of(slug: str) -> list[str]:
    prefix = table_name(slug, 0, 0).rsplit("_v", 1)[0] + "_v"
    rows = db.fetch_all(
        "SELECT relname FROM pg_class WHERE relkind = 'r' "
        "AND relnamespace = current_schema()::regnamespace AND starts_with(relname, %s)",
        [prefix],
    )
    return [row[0] for row in rows]


def _drop(tables) -> None:
    with connection.cursor() as cur:
        for name in tables:
            db.execute(cur, db.compose("DROP TABLE IF EXISTS {t}", t=name))


def rebuild(layer: Layer) -> dict[int, int]:
    """Build (or drop) the overviews of ``layer`` for its current data version; {band: rows}.

    Runs in the caller's transaction when there is one (the ETL's load), so the overview commits
    with the data it generalises. Each band is a table of its own, named after the layer, version and
    band, written in one go and indexed by a sorted GiST build; the previous version's tables are
    dropped with the transaction.
    """
    started = time.perf_counter()
    old = set(_tables_of(layer.slug))
    built = {}
    with transaction.atomic():
        TileOverview.objects.filter(layer=layer.slug).delete()
        if eligible(layer):
            try:
                built = _build(layer)
            except UnknownLayerError:
                built = {}
        # Dropped in the same transaction: a tile of the old version that runs meanwhile waits for the
        # commit (the end of the load), then finds its table gone and is drawn from the data.
        _drop(old - {o.table for o in TileOverview.objects.filter(layer=layer.slug)})
    log.info("overviews of %s v%s: %s in %.2f s", layer.slug, layer.data_version, built, time.perf_counter() - started)
    return built


def _build(layer: Layer) -> dict[int, int]:
    started = time.perf_counter()
    source = resolve(layer)
    field, kind, value, params = _class_sql(layer, source.columns)
    istat = db.SQL("t.istat_code" if "istat_code" in source.columns else "NULL")
    built, records = {}, []
    with connection.cursor() as cur:
        cur.execute("SET LOCAL jit = off")
        cur.execute("DROP TABLE IF EXISTS overview_src")
        # Each geometry projected once (a function in FROM; an expression would be copied into each
        # use); only those large enough to be kept anywhere are stored. CREATE … AS runs in parallel.
        query = db.compose(
            """
            CREATE TEMPORARY TABLE overview_src ON COMMIT DROP AS
            SELECT {istat}::text AS istat_code, {value} AS val, area, ST_X(c) AS cx, ST_Y(c) AS cy,
                   CASE WHEN area >= %s THEN g END AS g
            FROM {table} t, LATERAL ST_Transform(t.geom, 3857) g, LATERAL ST_Area(g) area,
                 LATERAL ST_Centroid(g) c
            WHERE t.geom IS NOT NULL AND NOT ST_IsEmpty(t.geom)
        """,
            istat=istat,
            value=value,
            table=source.table,
        )
        # In the statement's order: the class expression's values (graduated styles), then the area threshold.
        db.execute(cur, query, [*params, MERGE_PIXELS * pixel(BANDS[-1]) ** 2])
        total = cur.rowcount
        log.debug("overview source of %s: %.2f s", layer.slug, time.perf_counter() - started)
        for band in BANDS:
            name = table_name(layer.slug, layer.data_version, band)
            built[band] = _build_band(cur, name, band, field, kind)
            log.debug("overview band %s of %s: %s rows", band, layer.slug, built[band])
            records.append(
                TileOverview(
                    layer=layer.slug,
                    band=band,
                    data_version=layer.data_version,
                    table=name,
                    source_features=total,
                    rows=built[band],
                    class_field=field or "",
                )
            )
        cur.execute("DROP TABLE overview_src")
    TileOverview.objects.bulk_create(records)
    return built


def _build_band(cur, name: str, band: int, field: str | None, kind: str) -> int:
    p = pixel(band)
    # Graduated values go back to numbers for the map's client-side classification.
    props = db.SQL(
        (
            "jsonb_build_object(%(field)s::text, val::float8)"
            if kind == "graduated"
            else "jsonb_build_object(%(field)s::text, val)"
        )
        if field
        else "'{}'::jsonb"
    )
    table = db.ident(name)
    t0 = time.perf_counter()
    db.execute(cur, db.compose("DROP TABLE IF EXISTS {table}", table=table))
    db.execute(
        cur,
        _BAND.format(table=table, props=props),
        {
            "field": field,
            "tolerance": p / 4,
            "merge": MERGE_PIXELS * p * p,
            "cell": p * CELL_PIXELS,
            "origin": _ORIGIN,
        },
    )
    rows = cur.rowcount
    log.debug("  table %.2f s", time.perf_counter() - t0)
    # Built once from all rows: a sorted GiST build, many times quicker than inserting into an index.
    db.execute(cur, db.compose("CREATE INDEX ON {table} USING gist (geom)", table=table))
    log.debug("  index %.2f s", time.perf_counter() - t0)
    return rows  # no ANALYZE (0.3-0.5 s on the larger bands): a tile's bbox test takes the index anyway


_BAND = db.SQL("""
        CREATE TABLE {table} AS
        SELECT istat_code::varchar(6) AS istat_code, {props} AS props, 1 AS features,
               ST_SimplifyPreserveTopology(g, %(tolerance)s) AS geom
        FROM overview_src WHERE area >= %(merge)s
        UNION ALL
        SELECT istat_code, {props}, n, ST_MakeEnvelope(x - s / 2, y - s / 2, x + s / 2, y + s / 2, 3857)
        FROM (SELECT istat_code, val, n, s,
                     -- the square stays inside its cell when it fits (never across a tile edge)
                     CASE WHEN s >= %(cell)s THEN x0 + %(cell)s / 2
                          ELSE least(greatest(mx, x0 + s / 2), x0 + %(cell)s - s / 2) END AS x,
                     CASE WHEN s >= %(cell)s THEN y0 + %(cell)s / 2
                          ELSE least(greatest(my, y0 + s / 2), y0 + %(cell)s - s / 2) END AS y
              FROM (SELECT istat_code, val, count(*)::int AS n, sqrt(sum(area)) AS s,
                           sum(cx * area) / nullif(sum(area), 0) AS mx, sum(cy * area) / nullif(sum(area), 0) AS my,
                           -%(origin)s + i * %(cell)s AS x0, -%(origin)s + j * %(cell)s AS y0
                    FROM (SELECT *, floor((cx + %(origin)s) / %(cell)s) AS i, floor((cy + %(origin)s) / %(cell)s) AS j
                          FROM overview_src WHERE area < %(merge)s AND area > 0) small
                    GROUP BY istat_code, val, i, j) cells) squares
    """)


def layers_changed(layers) -> None:
    """Hook of ``layers.registry`` (a load bumped these layers' data versions, or ``layers sync`` declared
    them): rebuild the overviews that are not those of the layer's current version."""
    for layer in layers:
        layer.refresh_from_db(fields=["data_version", "metadata", "kind", "geometry_type", "style", "source"])
        built = set(TileOverview.objects.filter(layer=layer.slug).values_list("data_version", flat=True))
        if eligible(layer) and built != {layer.data_version} or not eligible(layer) and built:
            rebuild(layer)


def current(slug: str, data_version: int, band: int) -> str | None:
    """The table of ``slug``'s overview of ``band`` built for ``data_version``, if there is one."""
    return (
        TileOverview.objects.filter(layer=slug, data_version=data_version, band=band)
        .values_list("table", flat=True)
        .first()
    )
