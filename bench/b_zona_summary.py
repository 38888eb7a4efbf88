"""zona_summary: /api/riepilogo of a zona omogenea and of the whole CMM vs the bare SQL aggregates.

Median and p95 latency over repeated requests with the full PGT set loaded; target ≥ 0.67
(the endpoint within 1.5× of the SQL it runs).
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.request

from . import Context, Result
from .mapdata import bench_database, http_server, raw_connection

CASES = (("zona", "nord-ovest"), ("cmm", ""))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _timed_pairs(statements, url: str, reps: int) -> tuple[list[float], list[float], dict]:
    """SQL and HTTP timed alternately, so a busy machine slows both sides alike."""
    sql_times, http_times, body = [], [], {}
    with raw_connection() as conn, conn.cursor() as cur:
        for _ in range(reps):
            started = time.perf_counter()
            for sql, params in statements:
                cur.execute(sql, params)
                cur.fetchall()
            sql_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            with urllib.request.urlopen(url) as response:  # noqa: S310
                body = json.loads(response.read())
            http_times.append(time.perf_counter() - started)
    return sql_times, http_times, body


def run(ctx: Context) -> list[Result]:
    from mappature.filters import MapFilter
    from mappature.queries_summary import statements

    reps = 5 if ctx.quick else 21
    results = []
    with bench_database(ctx.scale) as n_features, http_server() as base:
        for name, zona in CASES:
            flt = MapFilter(zona=zona or None)
            url = f"{base}/api/riepilogo" + (f"?zona={zona}" if zona else "")
            _timed_pairs(statements(flt), url, 2)  # warm-up
            sql_times, http_times, body = _timed_pairs(statements(flt), url, reps)
            for stat, fn in (("median", statistics.median), ("p95", _p95)):
                results.append(
                    Result(
                        name=f"zona_summary_{name}_{stat}",
                        project=fn(http_times) * 1000,
                        anchor=fn(sql_times) * 1000,
                        unit="ms",
                        target=0.67,
                        higher_is_better=False,
                        scale=f"{n_features} polygons, {reps} requests",
                        notes=f"/api/riepilogo{'?zona=' + zona if zona else ''} vs its 3 SQL aggregates over psycopg",
                        details={"n_interventions": body["summary"]["n_interventions"]},
                    )
                )
    return results
