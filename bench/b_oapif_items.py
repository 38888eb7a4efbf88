"""oapif_items: paging through the full-scale PGT layer with OGC API – Features vs bare ST_AsGeoJSON paging.

Project: a client follows the ``next`` links (HTTP Link header) of
``/ogcapi/collections/<layer>/items?limit=N`` from the first page to the last over HTTP (gunicorn, one
worker, as `make run` serves it: registry lookup, visibility check, one SQL statement per page, the
count on the first page). Anchor: the same pages (ORDER BY id LIMIT/OFFSET, EPSG:4326) asked of
PostgreSQL directly with PostGIS' own feature writer ``ST_AsGeoJSON(record)``, rows joined into a
FeatureCollection, over psycopg. Features/s; target ≥ 0.5.
"""

from __future__ import annotations

import math
import time
import urllib.request

from bench import Context, Result
from remix import db

from .b_wms_getmap import _free_port, _serve
from .ogc_common import SLUG, TABLE, bench_layer, ensure_dataset

# The page is cut before it is serialised.
ANCHOR_SQL = db.compose(
    "SELECT ST_AsGeoJSON(t.*, 'geom', 7) FROM (SELECT id, feature_key, istat_code, layer,"
    " ST_Transform(geom, 4326) AS geom FROM (SELECT * FROM {table} ORDER BY id LIMIT %s OFFSET %s) p) t",
    table=db.relation(TABLE),
)
FEATURE = b'"type": "Feature"'  # ST_AsGeoJSON(record) writes each feature so, on both sides


def _http_pass(base: str, limit: int) -> tuple[float, int, int]:
    """Follow the next links (HTTP Link header) from the first page; returns (seconds, features, bytes)."""
    url = f"{base}/ogcapi/collections/{SLUG}/items?limit={limit}"
    features = size = 0
    started = time.perf_counter()
    while url:
        with urllib.request.urlopen(url, timeout=300) as response:  # noqa: S310 - loopback
            body = response.read()
            link = response.headers.get("Link", "")
        features += body.count(FEATURE)
        size += len(body)
        url = next((part.split(">")[0].lstrip(" <") for part in link.split(",") if 'rel="next"' in part), None)
    return time.perf_counter() - started, features, size


def _sql_pass(limit: int, total: int) -> tuple[float, int, int]:
    from .mapdata import raw_connection

    features = size = 0
    with raw_connection() as conn, conn.cursor() as cur:
        started = time.perf_counter()
        for offset in range(0, total, limit):
            cur.execute(ANCHOR_SQL, [limit, offset])
            body = ('{"type":"FeatureCollection","features":[' + ",".join(r[0] for r in cur.fetchall()) + "]}").encode()
            features += body.count(FEATURE)
            size += len(body)
        return time.perf_counter() - started, features, size


def run(ctx: Context) -> list[Result]:
    rows = ensure_dataset(ctx.scale)
    limit = 1000
    with bench_layer():
        port = _free_port()
        server = _serve(port, ctx.work_dir / "oapif_items_gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        try:
            _sql_pass(limit, rows)  # warm PostgreSQL's buffers for both sides
            urllib.request.urlopen(f"{base}/ogcapi/collections/{SLUG}/items?limit=1", timeout=60).read()  # noqa: S310
            best_http = best_sql = math.inf
            for _ in range(2):
                t_sql, n_sql, b_sql = _sql_pass(limit, rows)
                t_http, n_http, b_http = _http_pass(base, limit)
                best_sql, best_http = min(best_sql, t_sql), min(best_http, t_http)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert n_http == n_sql == rows, (n_http, n_sql, rows)
    return [
        Result(
            name="oapif_items",
            project=rows / best_http,
            anchor=rows / best_sql,
            unit="features/s",
            target=0.5,
            scale=f"{rows} polygons, pages of {limit} (EPSG:4326)",
            notes="HTTP /ogcapi items following next links (gunicorn, 1 worker) vs the same LIMIT/OFFSET pages"
            " as ST_AsGeoJSON(record) over psycopg",
            details={
                "seconds_http": round(best_http, 2),
                "seconds_sql": round(best_sql, 2),
                "bytes_http": b_http,
                "bytes_sql": b_sql,
            },
        )
    ]
