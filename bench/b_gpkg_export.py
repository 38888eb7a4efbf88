"""GeoPackage export speed: Remix's export (one zona; the whole PGT set) vs ``ogr2ogr`` PostGIS → GPKG, same query.

Project: ``layers.exports.jobs`` plan + run, as the API and ``manage.py layers export`` do it
(visibility check, counts and limits, ogr2ogr, then styles, aliases, metadata and readme).
Anchor: ``ogr2ogr`` alone with the very SELECT the export runs, tuned the same way
(``-gt 65536``, ``OGR_SQLITE_SYNCHRONOUS=OFF``). Export jobs and files are removed afterwards.
"""

from __future__ import annotations

import subprocess
import time

import pyogrio

from bench import Context, Result

from .ogc_common import SLUG, bench_layer, ensure_dataset

ZONA = "nord-ovest"


def _project(slug: str, kind: str, key: str) -> tuple[float, object]:
    from layers.exports import jobs

    started = time.perf_counter()
    job = jobs.plan(None, [slug], kind, key)
    job = jobs.run(job)
    elapsed = time.perf_counter() - started
    assert job.status == "done", job.message
    return elapsed, job


def _anchor(job, work) -> float:
    from layers.exports import gpkg
    from layers.models import Layer
    from layers.ogc.published import resolve

    src = resolve(Layer.objects.get(slug=job.layers[0]))
    datasource, env = gpkg.pg_datasource()
    out = work / "gpkg_export_anchor.gpkg"
    out.unlink(missing_ok=True)
    sql = gpkg.select_sql(src, job.pk if job.area_kind else None)
    cmd = [
        "ogr2ogr",
        "-f",
        "GPKG",
        str(out),
        datasource,
        "-sql",
        sql,
        "-nln",
        src.slug,
        "-nlt",
        "MULTIPOLYGON",
        "-lco",
        "GEOMETRY_NAME=geom",
        *gpkg.GDAL_SPEED,
    ]
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    elapsed = time.perf_counter() - started
    written = pyogrio.read_info(out, layer=src.slug)["features"]
    assert written == job.features_total, (written, job.features_total)
    out.unlink(missing_ok=True)
    return elapsed


def _case(name: str, kind: str, key: str, ctx: Context, rounds: int) -> Result:
    from pathlib import Path

    from layers.exports.models import ExportJob

    project = anchor = float("inf")
    # Alternate the two sides and keep each one's best round: the machine is shared.
    for _round in range(1 if ctx.quick else rounds):
        seconds, job = _project(SLUG, kind, key)
        project = min(project, seconds)
        try:
            anchor = min(anchor, _anchor(job, ctx.work_dir))
            features = job.features_total
        finally:
            Path(job.file).unlink(missing_ok=True)
            ExportJob.objects.filter(pk=job.pk).delete()
    return Result(
        name,
        features / project,
        features / anchor,
        "features/s",
        0.8,
        f"{features} polygons" + (f" in zona {key}" if key else " (whole PGT set)"),
        notes="Remix export (counts, limits, styles, metadata) vs ogr2ogr with the same SELECT",
        details={"project_s": round(project, 3), "anchor_s": round(anchor, 3)},
    )


def run(ctx: Context) -> list[Result]:
    ensure_dataset(ctx.scale)
    with bench_layer():
        # The zona export takes about a second: more rounds, so that load bursts of the shared machine even out.
        return [_case("gpkg_export_zona", "zona", ZONA, ctx, 7), _case("gpkg_export_all", "", "", ctx, 3)]
