"""mvt_tiles: vector tiles through /tiles/ (HTTP) vs ST_AsMVT over the layer's view run directly, full PGT set.

Tiles z10–z15 over the Città metropolitana, sampled deterministically. The layer has its overviews,
built as a load builds them, so the endpoint draws z10–z12 from them (mvt_lowzoom checks what they
draw) and z13–z15 from the view; the anchor runs the view's own statement (generalised on the fly
below z12, as before overviews) at every zoom. The HTTP pass starts with an empty tile cache, so
low zooms pay for rendering and storing; a second pass over the same tiles gives cache-hit
throughput. Target ≥ 1.0.
"""

from __future__ import annotations

import math
import random
import time
import urllib.request

from . import Context, Result
from .mapdata import BENCH_VIEW, bench_database, http_server, raw_connection

CMM_BBOX = (8.70, 45.17, 9.55, 45.65)  # lon/lat, EPSG:4326
ZOOMS = range(10, 16)


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def sample_tiles(per_zoom: int, seed: int = 7, zooms: range = ZOOMS) -> list[tuple[int, int, int]]:
    rng, out = random.Random(seed), []
    for z in zooms:
        x0, y1 = _tile_xy(CMM_BBOX[0], CMM_BBOX[1], z)
        x1, y0 = _tile_xy(CMM_BBOX[2], CMM_BBOX[3], z)
        grid = [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        out += sorted(rng.sample(grid, min(per_zoom, len(grid))))
    return out


def _layer():
    from layers.models import Layer
    from layers.registry import data_changed

    layer, _ = Layer.objects.update_or_create(
        slug="bench-pgt-all",
        defaults={
            "title_it": "PGT sintetico (benchmark)",
            "theme": Layer.Theme.PGT,
            "source": BENCH_VIEW,
            "published": True,
            "visibility": Layer.Visibility.PUBLIC,
            "synthetic": True,
            "geometry_type": "MultiPolygon",
            "attributes": [{"name": "istat_code"}, {"name": "layer"}],
        },
    )
    data_changed([layer])  # as a load would: new version, extent, overviews
    return layer


def _sql_pass(source, tiles) -> tuple[float, list[int]]:
    from mappature.filters import MapFilter
    from mappature.tiles import tile_sql

    sizes = []
    with raw_connection() as conn, conn.cursor() as cur:
        started = time.perf_counter()
        for z, x, y in tiles:
            sql, params = tile_sql(source, MapFilter(), z, x, y)
            cur.execute(sql, params)
            sizes.append(len(cur.fetchone()[0] or b""))
        return time.perf_counter() - started, sizes


def _http_pass(base: str, tiles) -> tuple[float, list[int]]:
    sizes = []
    started = time.perf_counter()
    for z, x, y in tiles:
        with urllib.request.urlopen(f"{base}/tiles/bench-pgt-all/{z}/{x}/{y}.pbf") as response:  # noqa: S310
            sizes.append(len(response.read()))
    return time.perf_counter() - started, sizes


def _same_tiles(a: list[int], b: list[int]) -> bool:
    """Same non-empty tiles and about the same bytes (parallel ST_AsMVT may order its dictionaries differently)."""
    return [n > 0 for n in a] == [n > 0 for n in b] and abs(sum(a) - sum(b)) <= 0.05 * max(sum(a), 1)


def _from_data(tiles, sizes) -> list[int]:
    """The sizes of the tiles both sides draw from the view (above the overviews' zooms)."""
    from mappature.overviews import BANDS

    return [n for (z, _x, _y), n in zip(tiles, sizes, strict=True) if z > BANDS[-1]]


def run(ctx: Context) -> list[Result]:
    from mappature.layer_source import resolve
    from mappature.models import TileCache
    from mappature.overviews import BANDS

    tiles = sample_tiles(6 if ctx.quick else 25)
    with bench_database(ctx.scale) as n_features, http_server() as base:
        source = resolve(_layer())
        _sql_pass(source, tiles)  # warm PostgreSQL's buffers for both sides
        best_sql = best_http = math.inf
        for _ in range(2):
            TileCache.objects.filter(layer=source.slug).delete()  # the HTTP pass starts from an empty cache
            t_sql, size_sql = _sql_pass(source, tiles)
            t_http, size_http = _http_pass(base, tiles)
            best_sql, best_http = min(best_sql, t_sql), min(best_http, t_http)
        cached = [t for t in tiles if t[0] <= BANDS[-1]]  # the tiles the cache keeps
        t_warm, _ = _http_pass(base, cached)
        assert _same_tiles(_from_data(tiles, size_sql), _from_data(tiles, size_http)), (
            "the endpoint must return the tiles the SQL makes"
        )
    return [
        Result(
            name="mvt_tiles",
            project=len(tiles) / best_http,
            anchor=len(tiles) / best_sql,
            unit="tiles/s",
            target=1.0,
            scale=f"{n_features} polygons, {len(tiles)} tiles z10–z15",
            notes=f"HTTP /tiles/ (cold cache, overviews at z10–z12) vs the view's ST_AsMVT SQL over psycopg; "
            f"cache hits {len(cached) / t_warm:.0f} tiles/s",
            details={
                "bytes": sum(size_http),
                "seconds_http": round(best_http, 3),
                "seconds_sql": round(best_sql, 3),
                "cache_hit_tiles_per_s": round(len(cached) / t_warm, 1),
            },
        )
    ]
