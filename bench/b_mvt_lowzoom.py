"""mvt_lowzoom: cold vector tiles z8–z12 through /tiles/ (overviews) vs bare ST_AsMVT on the full table.

The full-scale PGT set as one layer classified by its regional layer (six classes). Its overviews are
built as a load builds them (timed, in the details); the HTTP passes start with an empty tile cache.
The anchor is ``ST_AsMVT`` over every polygon of the table, untouched, in the same run. Honesty check:
per class, the polygon area the tiles draw (decoded with mapbox-vector-tile, clipped to the tile)
must be within 2 % of the full data's area clipped to the same tiles (PostGIS, EPSG:3857). Also
reported: warm-cache throughput (the same tiles again) and the largest tile against the size budget.
"""

from __future__ import annotations

import math
import time
import urllib.request

from remix import db

from . import Context, Result
from .b_mvt_tiles import sample_tiles
from .mapdata import BENCH_VIEW, bench_database, http_server, raw_connection

ZOOMS = range(8, 13)
SLUG = "bench-pgt-classes"
CLASSES = (
    "tessuto_urbano_consolidato",
    "aree_agricole",
    "consumo_suolo",
    "ambiti_trasformazione",
    "ambiti_rigenerazione",
    "aree_dismesse",
)
AREA_TOLERANCE = 0.02
_WORLD = 2 * math.pi * 6378137


def _layer():
    from layers.models import Layer
    from layers.registry import data_changed

    palette = ("#fdae61", "#a6d96a", "#d7191c", "#2b83ba", "#abdda4", "#984ea3")
    layer, _ = Layer.objects.update_or_create(
        slug=SLUG,
        defaults={
            "title_it": "PGT sintetico per strato (benchmark)",
            "theme": Layer.Theme.PGT,
            "source": BENCH_VIEW,
            "published": True,
            "visibility": Layer.Visibility.PUBLIC,
            "synthetic": True,
            "geometry_type": "MultiPolygon",
            "attributes": [{"name": "istat_code"}, {"name": "layer"}],
            "style": {
                "kind": "categorized",
                "field": "layer",
                "classes": [{"value": c, "fill": f, "label_it": c} for c, f in zip(CLASSES, palette, strict=True)],
            },
        },
    )
    data_changed([layer])  # as a load would: new version, extent, overviews
    return layer


def _bare_pass(tiles, per_zoom: dict | None = None) -> tuple[float, list[bytes]]:
    """ST_AsMVT over every polygon of the full table, nothing simplified or dropped."""
    out = []
    sql = db.compose(
        """
        WITH b AS (SELECT ST_TileEnvelope(%s, %s, %s) AS env)
        SELECT ST_AsMVT(q, 'bare', 4096, 'geom', 'id') FROM (
            SELECT t.id, t.istat_code, t.layer, ST_AsMVTGeom(ST_Transform(t.geom, 3857), b.env, 4096, 64, true) AS geom
            FROM {view} t, b WHERE t.geom && ST_Transform(b.env, 32632)) q WHERE q.geom IS NOT NULL
    """,
        view=BENCH_VIEW,
    )
    with raw_connection() as conn, conn.cursor() as cur:
        started = time.perf_counter()
        for z, x, y in tiles:
            one = time.perf_counter()
            cur.execute(sql, [z, x, y])
            out.append(bytes(cur.fetchone()[0] or b""))
            if per_zoom is not None:
                per_zoom[z] = per_zoom.get(z, 0.0) + time.perf_counter() - one
        return time.perf_counter() - started, out


def _http_pass(base: str, tiles, per_zoom: dict | None = None) -> tuple[float, list[bytes]]:
    out = []
    started = time.perf_counter()
    for z, x, y in tiles:
        one = time.perf_counter()
        with urllib.request.urlopen(f"{base}/tiles/{SLUG}/{z}/{x}/{y}.pbf") as response:  # noqa: S310
            out.append(response.read())
        if per_zoom is not None:
            per_zoom[z] = per_zoom.get(z, 0.0) + time.perf_counter() - one
    return time.perf_counter() - started, out


def tile_areas(tiles, blobs, field: str = "layer") -> dict[str, float]:
    """Area (EPSG:3857 m²) of the polygons the tiles draw, per class, each clipped to its tile."""
    import mapbox_vector_tile
    from shapely.geometry import box, shape

    frame, areas = box(0, 0, 4096, 4096), {}
    for (z, _x, _y), blob in zip(tiles, blobs, strict=True):
        if not blob:
            continue
        unit = (_WORLD / 2**z / 4096) ** 2
        for layer in mapbox_vector_tile.decode(blob).values():
            for feature in layer["features"]:
                geom = shape(feature["geometry"])
                if geom.geom_type in ("Polygon", "MultiPolygon"):
                    cls = str(feature["properties"].get(field))
                    areas[cls] = areas.get(cls, 0.0) + geom.buffer(0).intersection(frame).area * unit
    return areas


def data_areas(tiles) -> dict[str, float]:
    """Area (EPSG:3857 m²) of the full data per class, clipped to each tile, computed by PostGIS."""
    areas: dict[str, float] = {}
    with raw_connection() as conn, conn.cursor() as cur:
        for z, x, y in tiles:
            cur.execute(
                db.compose(
                    """
                WITH b AS (SELECT ST_TileEnvelope(%s, %s, %s) AS env)
                SELECT t.layer, sum(ST_Area(ST_ClipByBox2D(ST_Transform(t.geom, 3857), b.env)))
                FROM {view} t, b WHERE t.geom && ST_Transform(b.env, 32632) GROUP BY t.layer
            """,
                    view=BENCH_VIEW,
                ),
                [z, x, y],
            )
            for cls, area in cur.fetchall():
                areas[cls] = areas.get(cls, 0.0) + area
    return areas


def run(ctx: Context) -> list[Result]:
    from mappature.models import TileCache, TileOverview

    tiles = sample_tiles(4 if ctx.quick else 12, seed=11, zooms=ZOOMS)
    with bench_database(ctx.scale) as n_features, http_server() as base:
        started = time.perf_counter()
        _layer()  # registry.data_changed builds the overviews, as a load does (extent included)
        build_s = time.perf_counter() - started
        bands = dict(TileOverview.objects.filter(layer=SLUG).values_list("band", "rows"))
        _bare_pass(tiles[:3])  # warm PostgreSQL's buffers for both sides
        best_bare = best_http = math.inf
        zoom_http: dict[int, float] = {}
        zoom_bare: dict[int, float] = {}
        for _ in range(2):
            TileCache.objects.filter(layer=SLUG).delete()  # cold: nothing cached
            t_http, blobs = _http_pass(base, tiles, zoom_http)
            t_bare, bare = _bare_pass(tiles, zoom_bare)
            best_bare, best_http = min(best_bare, t_bare), min(best_http, t_http)
        t_warm, _ = _http_pass(base, tiles)
        want, got = data_areas(tiles), tile_areas(tiles, blobs)
    deviation = {c: round(got.get(c, 0.0) / want[c] - 1, 4) for c in want}
    worst = max(abs(v) for v in deviation.values())
    largest = max(len(b) for b in blobs)
    per_zoom = {z: sum(1 for t in tiles if t[0] == z) for z in ZOOMS}
    notes = (
        f"HTTP /tiles/ from overviews (cold cache) vs bare ST_AsMVT over the full table; class area within "
        f"{worst:.2%} of the data's (limit {AREA_TOLERANCE:.0%}); warm cache {len(tiles) / t_warm:.0f} tiles/s"
    )
    if worst > AREA_TOLERANCE:
        notes += " — AREA CHECK FAILED"
    return [
        Result(
            name="mvt_lowzoom",
            project=len(tiles) / best_http,
            anchor=len(tiles) / best_bare,
            unit="tiles/s",
            target=5.0,
            scale=f"{n_features} polygons, {len(tiles)} tiles z8–z12 {per_zoom}",
            notes=notes,
            details={
                "seconds_http": round(best_http, 3),
                "seconds_bare": round(best_bare, 3),
                "per_zoom_ratio_two_runs": {z: round(zoom_bare[z] / zoom_http[z], 1) for z in ZOOMS},
                "per_zoom_seconds_http_two_runs": {z: round(v, 2) for z, v in zoom_http.items()},
                "warm_cache_tiles_per_s": round(len(tiles) / t_warm, 1),
                "overview_build_s": round(build_s, 2),
                "overview_rows": bands,
                "area_deviation_per_class": deviation,
                "area_check_met": worst <= AREA_TOLERANCE,
                "largest_tile_bytes": largest,
                "bytes_http": sum(len(b) for b in blobs),
                "bytes_bare": sum(len(b) for b in bare),
            },
        )
    ]
