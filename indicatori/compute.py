"""Compute indicator values from their declarations, after each load of one of their inputs.

Every value is kept: a computation on new input versions adds a run and its rows and marks the
previous rows as no longer current. A computation on the same input versions and declaration is
skipped. SQL is composed with psycopg.sql; the declarations' queries are trusted project files,
their parameters and every value are bound.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from psycopg import sql

from etl.models import DatasetVersion
from etl.sources import all_sources

from .declarations import IndicatorDecl, all_indicators, dependants
from .models import Indicator, IndicatorRun

log = logging.getLogger(__name__)
LOADED = (DatasetVersion.Status.LOADED, DatasetVersion.Status.RESTORED)
ZONAL_TABLE = "ind_zonal"


def input_versions(decl: IndicatorDecl) -> dict:
    """The latest loaded version of each input, plus the declaration's digest."""
    versions = dict(
        DatasetVersion.objects.filter(source_id__in=decl.inputs, status__in=LOADED, version__isnull=False)
        .order_by("source_id", "version").values_list("source_id", "version")
    )
    return {"inputs": {s: versions.get(s) for s in decl.inputs}, "declaration": decl.digest[:16]}


def is_synthetic(decl: IndicatorDecl) -> bool:
    sources = all_sources()
    return any(sources[s].synthetic for s in decl.inputs if s in sources)


def sync_indicator(decl: IndicatorDecl) -> Indicator:
    indicator, _ = Indicator.objects.update_or_create(
        code=decl.code,
        defaults={
            "title_it": decl.title_it, "title_en": decl.title_en, "description_it": decl.description_it,
            "description_en": decl.description_en, "theme": decl.theme, "unit": decl.unit,
            "levels": list(decl.levels), "inputs": list(decl.inputs), "higher_is_better": decl.higher_is_better,
            "declaration": decl.as_dict(), "digest": decl.digest,
        },
    )
    return indicator


def compute(decl: IndicatorDecl, *, trigger: str = "", force: bool = False) -> IndicatorRun | None:
    """Compute ``decl`` for all its levels unless its inputs and declaration are unchanged."""
    versions = input_versions(decl)
    if any(v is None for v in versions["inputs"].values()):
        log.info("indicator %s: inputs not loaded yet %s", decl.code, versions["inputs"])
        return None
    with transaction.atomic():
        indicator = sync_indicator(decl)
        last = IndicatorRun.objects.filter(indicator=indicator).order_by("-id").first()
        if last and last.input_versions == versions and not force:
            return None
        started = time.perf_counter()
        run = IndicatorRun.objects.create(indicator=indicator, input_versions=versions, trigger=trigger[:80])
        with connection.cursor() as cur:
            if decl.zonal:
                _zonal(cur, decl)
            cur.execute(_insert_sql(decl), {**decl.param_values(), "run": run.id, "indicator": indicator.id})
            run.values = cur.rowcount
            cur.execute(
                "UPDATE indicatori_indicatorvalue SET current = false "
                "WHERE indicator_id = %s AND current AND run_id <> %s", [indicator.id, run.id],
            )
        run.duration_s = time.perf_counter() - started
        run.save(update_fields=["values", "duration_s"])
    return run


def refresh_dependants(source_id: str, *, trigger: str = "") -> list[IndicatorRun]:
    """What the ETL calls after a load of ``source_id``: only the indicators that read it."""
    return [run for decl in dependants(source_id) if (run := compute(decl, trigger=trigger))]


def refresh_all(*, force: bool = False, progress: Callable[[str], None] | None = None) -> list[IndicatorRun]:
    runs = []
    for decl in all_indicators().values():
        if progress:
            progress(decl.code)
        run = compute(decl, trigger="refresh", force=force)
        if run:
            runs.append(run)
    return runs


def _value(decl: IndicatorDecl, aggregated: bool) -> sql.Composable:
    num, den = (sql.SQL("sum(num)"), sql.SQL("sum(den)")) if aggregated else (sql.SQL("num"), sql.SQL("den"))
    scale = sql.Literal(decl.scale)
    if decl.aggregate == "ratio":
        value = sql.SQL("({num})::float8 / nullif(({den})::float8, 0) * {scale}").format(num=num, den=den, scale=scale)
    else:
        value = sql.SQL("({num})::float8 * {scale}").format(num=num, scale=scale)
    # Sums of floats carry binary noise (8970.769999999999): six decimals are kept.
    return sql.SQL("round(({v})::numeric, 6)::float8").format(v=value)


def _escaped(query: str) -> str:
    """A declared query with its literal ``%`` doubled; ``%(name)s`` stay the declared parameters."""
    return re.sub(r"%(?!\()", "%%", query)


def _insert_sql(decl: IndicatorDecl) -> sql.Composed:
    query = sql.SQL(_escaped(decl.query)) if decl.query else sql.SQL(
        "SELECT area, period, num, den FROM ind_zonal WHERE level = 'comune'")
    head = sql.SQL("%(run)s, %(indicator)s, true, ")
    parts = []
    if "comune" in decl.levels:
        parts.append(sql.SQL("SELECT {head}'comune', area, period, {v} FROM c").format(
            head=head, v=_value(decl, False)))
    if "zona" in decl.levels:
        parts.append(sql.SQL("SELECT {head}'zona', zona, period, {v} FROM c GROUP BY zona, period").format(
            head=head, v=_value(decl, True)))
    if "cmm" in decl.levels:
        parts.append(sql.SQL("SELECT {head}'cmm', 'cmm', period, {v} FROM c GROUP BY period").format(
            head=head, v=_value(decl, True)))
    nil = sql.SQL("")
    if "nil" in decl.levels:
        nil_query = sql.SQL(_escaped(decl.nil_query)) if decl.nil_query else sql.SQL(
            "SELECT area, period, num, den FROM ind_zonal WHERE level = 'nil'")
        nil = sql.SQL(", n AS ({q})").format(q=nil_query)
        parts.append(sql.SQL("SELECT {head}'nil', area::text, period, {v} FROM n").format(
            head=head, v=_value(decl, False)))
    return sql.SQL(
        "INSERT INTO indicatori_indicatorvalue (run_id, indicator_id, current, level, area_code, period, value) "
        "WITH b AS ({query}), "
        "c AS (SELECT b.area::text AS area, b.period::text AS period, b.num, b.den, z.code AS zona "
        "FROM b JOIN mappature_comune m ON m.istat_code = b.area::text "
        "JOIN mappature_zonaomogenea z ON z.id = m.zona_id){nil} "
        "{union}"
    ).format(query=query, nil=nil, union=sql.SQL(" UNION ALL ").join(parts))


def _zonal(cur, decl: IndicatorDecl) -> None:
    """Σ and count of the raster's valid pixels whose centre lies in each comune (and NIL), into a
    temporary table the generic aggregation reads (mean = Σ/n, also for zone and CMM)."""
    import numpy as np
    import orjson
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.windows import from_bounds

    source = all_sources()[decl.zonal["raster"]]
    path = settings.REMIX["RASTER_DIR"] / source.options.get("output", f"{source.id}.tif")
    loaded = (DatasetVersion.objects.filter(source_id=source.id, status__in=LOADED)
              .order_by("-version").values_list("finished_at", flat=True).first())
    period = str(decl.zonal.get("period") or (loaded.date().isoformat() if loaded else "-"))
    cur.execute(sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (level text, area text, period text, num float8, "
                        "den float8) ON COMMIT DROP").format(sql.Identifier(ZONAL_TABLE)))
    cur.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(ZONAL_TABLE)))
    with rasterio.open(path) as ds:
        epsg = ds.crs.to_epsg()
        band = ds.read(1, masked=True)
        cur.execute(
            "SELECT 'comune', istat_code, ST_AsGeoJSON(ST_Transform(geom, %(epsg)s)) FROM mappature_comune "
            "UNION ALL SELECT 'nil', feature_key, ST_AsGeoJSON(ST_Transform(geom, %(epsg)s)) "
            "FROM mappature_thematicfeature WHERE layer = 'milano_nil'", {"epsg": epsg},
        )
        rows = []
        for level, area, geojson in cur.fetchall():
            geom = orjson.loads(geojson)
            from shapely.geometry import shape

            bounds = shape(geom).bounds
            window = from_bounds(*bounds, transform=ds.transform).round_offsets().round_lengths()
            window = window.intersection(rasterio.windows.Window(0, 0, ds.width, ds.height))
            data = band[window.row_off:window.row_off + window.height, window.col_off:window.col_off + window.width]
            inside = geometry_mask([geom], out_shape=data.shape, transform=ds.window_transform(window), invert=True)
            values = data[inside & ~np.ma.getmaskarray(data)]
            rows.append((level, area, period, float(values.sum()) if values.size else None, int(values.size)))
    with cur.copy(sql.SQL("COPY {} (level, area, period, num, den) FROM STDIN").format(
            sql.Identifier(ZONAL_TABLE))) as copy:
        for row in rows:
            copy.write_row(row)
