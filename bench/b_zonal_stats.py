"""zonal_stats: incontri.zonal.refresh (every comune and every opportunity area of the full PGT set
over the heat raster, read from PostGIS, stored with versions) vs bare exactextract over the same
geometries and raster file, in the same run. Target ≥ 0.5 (the project within 2× of the bare tool).
"""

from __future__ import annotations

import statistics
import time

from . import Context, Result
from .mapdata import bench_database


def _ensure_raster():
    from etl import pipeline
    from etl.declarations import get_source
    from layers.models import Layer
    from layers.source_data import raster_path

    layer = Layer.objects.filter(slug="sttm1_anomalia_termica").first()
    if layer is None or not raster_path(layer).exists():
        pipeline.run(get_source("sttm1_anomalia_termica"), run_by="bench")
        from django.core.management import call_command

        call_command("layers", "sync", verbosity=0)
        layer = Layer.objects.get(slug="sttm1_anomalia_termica")
    return layer


def _bare(path, frames) -> int:
    """exactextract on the raster file over each area set's geometries (read by one SQL each)."""
    from exactextract import exact_extract

    n = 0
    for frame in frames():
        out = exact_extract(str(path), frame, ["mean", "max"], output="pandas")
        n += len(out)
    return n


def run(ctx: Context) -> list[Result]:
    import geopandas as gpd
    import numpy as np

    from incontri import zonal
    from layers.source_data import raster_path

    reps = 1 if ctx.quick else 3
    with bench_database(ctx.scale) as n_features:
        layer = _ensure_raster()
        sets = zonal.area_sets()

        def frames():
            for s in sets:
                _ids, _codes, geoms = zonal.read_areas(s)
                yield gpd.GeoDataFrame({"n": np.arange(len(geoms))}, geometry=geoms, crs=32632)

        project, anchor, n_areas = [], [], 0
        for _ in range(reps):  # alternate, so a busy machine slows both sides alike
            started = time.perf_counter()
            n_areas = _bare(raster_path(layer), frames)
            anchor.append(time.perf_counter() - started)
            started = time.perf_counter()
            zonal.refresh(rasters=[layer.slug], force=True)
            project.append(time.perf_counter() - started)
    return [
        Result(
            name="zonal_stats",
            project=statistics.median(project),
            anchor=statistics.median(anchor),
            unit="s",
            target=0.5,
            higher_is_better=False,
            scale=f"{n_features} PGT polygons, {n_areas} areas in {len(sets)} sets",
            notes="incontri.zonal.refresh (mean, max, share above threshold, stored) vs bare exactextract "
            "mean+max over the same geometries read from PostGIS",
        )
    ]
