"""indicators_refresh: recompute every indicator for all its levels after a reload of its inputs, against
the bare SQL of the same aggregates (the SELECT each indicator runs, without versions, runs or rows kept),
in the same run. Target ≥ 0.5 (the refresh within twice the time of the aggregates it computes).

The zonal statistic over the raster (heat anomaly) has no SQL anchor: it is left out of both sides and
its own time is reported in the details.
"""

from __future__ import annotations

import contextlib
import statistics
import time

from django.db import connection

from . import Context, Result
from .mapdata import raw_connection


@contextlib.contextmanager
def indicators_database():
    """A database of its own with every declared source loaded (as `make data` does)."""
    from etl import pipeline
    from etl.declarations import all_sources

    original = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{original}_bench_indicators"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=True)
    try:
        for source in all_sources().values():
            pipeline.run(source, run_by="bench")
        yield
    finally:
        connection.creation.destroy_test_db(original, verbosity=0, keepdb=True)


def _select(decl):
    """The aggregates of an indicator as a plain SELECT (what the refresh stores, minus its bookkeeping)."""
    from indicatori.compute import aggregates_sql

    return aggregates_sql(decl).as_string(connection.connection)


def run(ctx: Context) -> list[Result]:
    from indicatori.compute import compute_many
    from indicatori.declarations import all_indicators

    reps = 3 if ctx.quick else 9
    with indicators_database():
        decls = [d for d in all_indicators().values() if not d.zonal]
        zonal = [d for d in all_indicators().values() if d.zonal]
        selects = [(_select(d), d.param_values()) for d in decls]
        project, anchor, values = [], [], 0
        with raw_connection() as conn, conn.cursor() as cur:
            for _ in range(reps + 1):  # the first pair warms the caches and is dropped
                started = time.perf_counter()
                rows = 0
                for sql, params in selects:
                    cur.execute(sql, params)
                    rows += len(cur.fetchall())
                anchor.append(time.perf_counter() - started)
                started = time.perf_counter()
                values = sum(r.values for r in compute_many(decls, trigger="bench", force=True))  # as refresh_all
                project.append(time.perf_counter() - started)
        started = time.perf_counter()
        compute_many(zonal, trigger="bench", force=True)
        zonal_s = time.perf_counter() - started
    project, anchor = project[1:], anchor[1:]
    return [
        Result(
            name="indicators_refresh",
            project=statistics.median(project) * 1000,
            anchor=statistics.median(anchor) * 1000,
            unit="ms",
            target=0.5,
            higher_is_better=False,
            scale=f"{len(decls)} indicators, {values} values (comuni, zone, CMM, NIL), {reps} runs",
            notes="every SQL indicator recomputed and stored as a new version vs the bare SELECT of its aggregates",
            details={
                "rows_anchor": rows,
                "values_project": values,
                "zonal_indicators_s": round(zonal_s, 3),
                "project_ms": [round(p * 1000, 1) for p in project],
                "anchor_ms": [round(a * 1000, 1) for a in anchor],
            },
        )
    ]
