"""etl_load: the same ~300,000-polygon PGT GeoPackage loaded by Remix's ETL and by ogr2ogr.

Both load into a scratch database created for the run and dropped after, so the app's data is
untouched. The ETL run is the real one: staging with COPY, validation, repair, upsert, version
record and archive; ogr2ogr uses COPY and builds the spatial index, as the issue asks. Figures
are features per second of wall time, each tool reading the file itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager

import psycopg
import pyogrio
from django.core.management import call_command
from django.db import connection, connections

from bench import Context, Result
from etl import pipeline
from etl.declarations import get_source
from etl.synthetic import pgt
from remix import db as rdb

SOURCE = "pgt_sintetico"
RUNS = 2


def run(ctx: Context) -> list[Result]:
    if shutil.which("ogr2ogr") is None:
        raise RuntimeError("ogr2ogr not found: install gdal-bin (scripts/debian-packages.txt)")
    source = get_source(SOURCE)
    started = time.perf_counter()
    path = str(pgt.generate(source, scale=ctx.scale))  # cached by seed/scale: generated once per machine
    print(f"[bench] etl_load: GeoPackage ready in {time.perf_counter() - started:.1f} s", flush=True)
    layers = [name for name, _ in pyogrio.list_layers(path)]
    features = sum(pyogrio.read_info(path, layer=name)["features"] for name in layers)
    etl_s = ogr_s = float("inf")
    with scratch_database() as db:
        call_command("migrate", verbosity=0)
        pipeline.run(get_source("comuni"), run_by="bench")
        for attempt in range(RUNS):  # best of RUNS: the machine is shared, the best run is the least disturbed
            steps = {}
            _empty_target()
            t0 = time.perf_counter()
            result = pipeline.run(source, location=path, run_by="bench", force=True, progress=_timer(steps))
            if time.perf_counter() - t0 < etl_s:
                etl_s, best_steps = time.perf_counter() - t0, steps
            t0 = time.perf_counter()
            _ogr2ogr(db, path, fresh=attempt == 0)
            ogr_s = min(ogr_s, time.perf_counter() - t0)
        ogr_count = _count(layers)
        steps = best_steps
    if result.loaded != features or ogr_count != features:
        raise RuntimeError(f"loaded ETL {result.loaded} / ogr2ogr {ogr_count} of {features} features")
    print(
        f"[bench] etl_load: {features} features, ETL {etl_s:.1f} s, ogr2ogr {ogr_s:.1f} s; "
        f"ETL steps: {', '.join(f'{k} {v:.1f} s' for k, v in steps.items())}",
        flush=True,
    )
    return [
        Result(
            name="etl_load",
            project=features / etl_s,
            anchor=features / ogr_s,
            unit="features/s",
            target=0.5,
            scale=f"{features} polygons",
            notes="ETL: read + COPY staging + SQL validation/repair + upsert + version",
            details={
                "features": features,
                "etl_s": round(etl_s, 2),
                "ogr2ogr_s": round(ogr_s, 2),
                "etl_steps_s": {k: round(v, 2) for k, v in steps.items()},
            },
        )
    ]


def _timer(steps: dict):
    """A progress callback recording how long each pipeline step took (where the time goes)."""
    state = {"name": None, "t": time.perf_counter()}

    def step(name):
        now = time.perf_counter()
        if state["name"]:
            steps[state["name"]] = now - state["t"]
        state.update(name=name, t=now)

    return step


@contextmanager
def scratch_database():
    """Point Django's connection at a fresh PostGIS database for the duration, then drop it."""
    conn = connections["default"]
    original = conn.settings_dict["NAME"]
    name = f"{original}_bench_etl"[:63]
    _admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    conn.close()
    conn.settings_dict["NAME"] = name
    try:
        with connection.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        yield dict(conn.settings_dict)
    finally:
        conn.close()
        conn.settings_dict["NAME"] = original
        _admin(f'DROP DATABASE IF EXISTS "{name}"')


def _admin(*statements: str) -> None:
    """CREATE/DROP DATABASE cannot run in a transaction: an autocommit side connection does them."""
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"],
        port=s["PORT"],
        user=s["USER"],
        password=s.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        for sql in statements:
            admin.execute(sql)


def _empty_target() -> None:
    """Each ETL run loads into an empty PgtFeature, as ogr2ogr loads into new tables."""
    with connection.cursor() as cur:
        cur.execute("TRUNCATE mappature_pgtfeature")


def _ogr2ogr(db: dict, path: str, fresh: bool = True) -> None:
    with connection.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS ogr CASCADE")
        cur.execute("CREATE SCHEMA ogr")
    pg = f"PG:host={db['HOST']} port={db['PORT']} user={db['USER']} dbname={db['NAME']}"
    subprocess.run(
        [
            "ogr2ogr",
            "--config",
            "PG_USE_COPY",
            "YES",
            "-f",
            "PostgreSQL",
            pg,
            path,
            "-lco",
            "SCHEMA=ogr",
            "-lco",
            "SPATIAL_INDEX=GIST",
            "-lco",
            "GEOMETRY_NAME=geom",
            "-nlt",
            "MULTIPOLYGON",
        ],
        check=True,
        env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
    )


def _count(layers: list[str]) -> int:
    with connection.cursor() as cur:
        total = 0
        for name in layers:
            rdb.execute(cur, rdb.compose("SELECT count(*) FROM {t}", t=("ogr", name)))
            total += cur.fetchone()[0]
    return total
