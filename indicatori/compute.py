"""Compute indicator values from their declarations, after each load of one of their inputs.

Every value is kept: a computation on new input versions adds a run and its rows and makes that
run the current one. A computation on the same input versions and declaration is
skipped. SQL is composed with psycopg.sql (remix.db); the declarations' queries are trusted project files,
their parameters and every value are bound.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable

from django.db import connection, transaction

from etl.declarations import all_sources
from etl.models import DatasetVersion
from remix import db

from .declarations import IndicatorDecl, all_indicators, dependants
from .models import Indicator, IndicatorRun

log = logging.getLogger(__name__)
LOADED = (DatasetVersion.Status.LOADED, DatasetVersion.Status.RESTORED)
ZONAL_TABLE = "ind_zonal"


def _latest_versions(source_ids) -> dict[str, int]:
    rows = (
        DatasetVersion.objects.filter(source_id__in=set(source_ids), status__in=LOADED, version__isnull=False)
        .order_by("source_id", "version")
        .values_list("source_id", "version")
    )
    return dict(rows)  # the last (highest) version of each source wins


def input_versions(decl: IndicatorDecl, latest: dict[str, int] | None = None) -> dict:
    """The latest loaded version of each input, plus the declaration's digest."""
    latest = latest if latest is not None else _latest_versions(decl.inputs)
    return {"inputs": {s: latest.get(s) for s in decl.inputs}, "declaration": decl.digest[:16]}


def is_synthetic(decl: IndicatorDecl) -> bool:
    sources = all_sources()
    return any(sources[s].synthetic for s in decl.inputs if s in sources)


def _sync_indicators(decls: list[IndicatorDecl]) -> dict[str, Indicator]:
    """The registry rows of the declarations, created or updated only when the declaration changed."""
    known = {i.code: i for i in Indicator.objects.filter(code__in=[d.code for d in decls])}
    for decl in decls:
        indicator = known.get(decl.code)
        if indicator is not None and indicator.digest == decl.digest:
            continue
        known[decl.code], _ = Indicator.objects.update_or_create(
            code=decl.code,
            defaults={
                "title_it": decl.title_it,
                "title_en": decl.title_en,
                "description_it": decl.description_it,
                "description_en": decl.description_en,
                "theme": decl.theme,
                "unit": decl.unit,
                "levels": list(decl.levels),
                "inputs": list(decl.inputs),
                "higher_is_better": decl.higher_is_better,
                "declaration": decl.as_dict(),
                "digest": decl.digest,
            },
        )
    return known


def compute_many(decls: list[IndicatorDecl], *, trigger: str = "", force: bool = False) -> list[IndicatorRun]:
    """Compute the declarations whose inputs or declaration changed (all with ``force``), in one transaction.

    Each indicator is one statement: its run row, the current flag moved from its previous run and
    all its values (every level) are written together by data-modifying CTEs.
    """
    latest = _latest_versions({s for d in decls for s in d.inputs})
    runs = []
    with transaction.atomic():
        indicators = _sync_indicators(decls)
        last = dict(
            IndicatorRun.objects.filter(indicator__in=indicators.values(), current=True).values_list(
                "indicator_id", "input_versions"
            )
        )
        timings = []
        with connection.cursor() as cur:
            for decl in decls:
                versions = input_versions(decl, latest)
                if any(v is None for v in versions["inputs"].values()):
                    log.info("indicator %s: inputs not loaded yet %s", decl.code, versions["inputs"])
                    continue
                indicator = indicators[decl.code]
                if last.get(indicator.id) == versions and not force:
                    continue
                started = time.perf_counter()
                if decl.zonal:
                    _zonal(cur, decl)
                db.execute(
                    cur,
                    _run_sql(decl),
                    {
                        **decl.param_values(),
                        "indicator": indicator.id,
                        "versions": json.dumps(versions),
                        "trigger": trigger[:80],
                    },
                )
                run_id, count = cur.fetchone()
                timings.append((run_id, time.perf_counter() - started))
                runs.append(
                    IndicatorRun(
                        id=run_id,
                        indicator=indicator,
                        input_versions=versions,
                        trigger=trigger[:80],
                        values=count,
                        current=True,
                    )
                )
            if runs:
                db.execute(
                    cur,
                    "UPDATE indicatori_indicatorrun r SET duration_s = t.d, values = t.n FROM unnest("
                    "%s::bigint[], %s::float8[], %s::integer[]) AS t(id, d, n) WHERE r.id = t.id",
                    [[r.id for r in runs], [d for _, d in timings], [r.values for r in runs]],
                )
    for run, (_id, duration) in zip(runs, timings, strict=True):
        run.duration_s = duration
    return runs


def compute(decl: IndicatorDecl, *, trigger: str = "", force: bool = False) -> IndicatorRun | None:
    """Compute ``decl`` for all its levels unless its inputs and declaration are unchanged."""
    runs = compute_many([decl], trigger=trigger, force=force)
    return runs[0] if runs else None


def refresh_dependants(source_id: str, *, trigger: str = "") -> list[IndicatorRun]:
    """What the ETL calls after a load of ``source_id``: only the indicators that read it (one commit)."""
    return compute_many(dependants(source_id), trigger=trigger)


def refresh_all(*, force: bool = False, progress: Callable[[str], None] | None = None) -> list[IndicatorRun]:
    """Every indicator (one commit: the values of a refresh appear together)."""
    decls = list(all_indicators().values())
    if progress:
        progress(", ".join(d.code for d in decls))
    return compute_many(decls, trigger="refresh", force=force)


def _value(decl: IndicatorDecl, aggregated: bool) -> db.Composable:
    num, den = (db.SQL("sum(num)"), db.SQL("sum(den)")) if aggregated else (db.SQL("num"), db.SQL("den"))
    scale = db.Literal(decl.scale)
    if decl.aggregate == "ratio":
        value = db.SQL("({num})::float8 / nullif(({den})::float8, 0) * {scale}").format(num=num, den=den, scale=scale)
    else:
        value = db.SQL("({num})::float8 * {scale}").format(num=num, scale=scale)
    # Sums of floats carry binary noise (8970.769999999999): six decimals are kept.
    return db.SQL("round(({v})::numeric, 6)::float8").format(v=value)


def _escaped(query: str) -> str:
    """A declared query with its literal ``%`` doubled; ``%(name)s`` stay the declared parameters."""
    return re.sub(r"%(?!\()", "%%", query)


def _aggregates(decl: IndicatorDecl, head: db.Composable) -> tuple[db.Composable, db.Composable]:
    """(CTEs, UNION of SELECTs): the declared rows per comune (and NIL) and their zona and CMM
    aggregates, each row prefixed by ``head``."""
    if decl.query:
        query = db.SQL(_escaped(decl.query))
    elif decl.zonal:
        query = db.SQL("SELECT area, period, num, den FROM ind_zonal WHERE level = 'comune'")
    else:  # an indicator of NIL or LUM only
        query = db.SQL(
            "SELECT NULL::text AS area, NULL::text AS period, NULL::float8 AS num, NULL::float8 AS den WHERE false"
        )
    parts = []
    if "comune" in decl.levels:
        parts.append(db.SQL("SELECT {head}'comune', area, period, {v} FROM c").format(head=head, v=_value(decl, False)))
    if "zona" in decl.levels:
        parts.append(
            db.SQL("SELECT {head}'zona', zona, period, {v} FROM c GROUP BY zona, period").format(
                head=head, v=_value(decl, True)
            )
        )
    if "cmm" in decl.levels:
        parts.append(
            db.SQL("SELECT {head}'cmm', 'cmm', period, {v} FROM c GROUP BY period").format(
                head=head, v=_value(decl, True)
            )
        )
    nil = db.SQL("")
    # Areas of their own (not aggregated from comuni): NIL of Milano (n), LUM of the PTM (l).
    for level, alias, declared in (("nil", "n", decl.nil_query), ("lum", "l", decl.lum_query)):
        if level not in decl.levels:
            continue
        own = (
            db.SQL(_escaped(declared))
            if declared
            else db.SQL("SELECT area, period, num, den FROM ind_zonal WHERE level = {}").format(db.Literal(level))
        )
        nil += db.SQL(", {a} AS ({q})").format(a=db.Identifier(alias), q=own)
        parts.append(
            db.SQL("SELECT {head}{level}, area::text, period, {v} FROM {a}").format(
                head=head, level=db.Literal(level), a=db.Identifier(alias), v=_value(decl, False)
            )
        )
    ctes = db.SQL(
        "b AS ({query}), "
        "c AS (SELECT b.area::text AS area, b.period::text AS period, b.num, b.den, z.code AS zona "
        "FROM b JOIN mappature_comune m ON m.istat_code = b.area::text "
        "JOIN mappature_zonaomogenea z ON z.id = m.zona_id){nil}"
    ).format(query=query, nil=nil)
    return ctes, db.SQL(" UNION ALL ").join(parts)


def aggregates_sql(decl: IndicatorDecl) -> db.Composed:
    """The bare SELECT of an indicator's values (level, area, period, value): what a run stores."""
    ctes, union = _aggregates(decl, db.SQL(""))
    return db.SQL("WITH {ctes} {union}").format(ctes=ctes, union=union)


def _run_sql(decl: IndicatorDecl) -> db.Composed:
    """One statement: the run row, the current flag moved to it, and all its values."""
    ctes, union = _aggregates(decl, db.SQL("(SELECT id FROM run), %(indicator)s, "))
    return db.SQL(
        "WITH run AS (INSERT INTO indicatori_indicatorrun (indicator_id, input_versions, trigger, started_at, "
        "values, current) VALUES (%(indicator)s, %(versions)s::jsonb, %(trigger)s, now(), 0, true) RETURNING id), "
        "previous AS (UPDATE indicatori_indicatorrun SET current = false "
        "WHERE indicator_id = %(indicator)s AND current RETURNING id), "
        "{ctes}, "
        "ins AS (INSERT INTO indicatori_indicatorvalue (run_id, indicator_id, level, area_code, period, value) "
        "{union} RETURNING 1) "
        "SELECT (SELECT id FROM run), (SELECT count(*) FROM ins)"
    ).format(ctes=ctes, union=union)


def _zonal(cur, decl: IndicatorDecl) -> None:
    """Σ and count of the raster's valid pixels whose centre lies in each comune (and NIL), into a
    temporary table the generic aggregation reads (mean = Σ/n, also for zone and CMM)."""
    import numpy as np
    import orjson
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.windows import from_bounds

    from etl.rasters import output_path
    from layers.rasters import open_raster

    source = all_sources()[decl.zonal["raster"]]
    path = output_path(source)  # the published raster, from the shared storage
    loaded = (
        DatasetVersion.objects.filter(source_id=source.id, status__in=LOADED)
        .order_by("-version")
        .values_list("finished_at", flat=True)
        .first()
    )
    period = str(decl.zonal.get("period") or (loaded.date().isoformat() if loaded else "-"))
    db.execute(
        cur,
        db.SQL(
            "CREATE TEMP TABLE IF NOT EXISTS {} (level text, area text, period text, num float8, "
            "den float8) ON COMMIT DROP"
        ).format(db.Identifier(ZONAL_TABLE)),
    )
    db.execute(cur, db.SQL("TRUNCATE {}").format(db.Identifier(ZONAL_TABLE)))
    with open_raster(path) as ds:
        epsg = ds.crs.to_epsg()
        band = ds.read(1, masked=True)
        db.execute(
            cur,
            "SELECT 'comune', istat_code, ST_AsGeoJSON(ST_Transform(geom, %(epsg)s)) FROM mappature_comune "
            "UNION ALL SELECT 'nil', feature_key, ST_AsGeoJSON(ST_Transform(geom, %(epsg)s)) "
            "FROM mappature_thematicfeature WHERE layer = 'milano_nil' "
            "UNION ALL SELECT 'lum', feature_key, ST_AsGeoJSON(ST_Transform(geom, %(epsg)s)) "
            "FROM mappature_thematicfeature WHERE layer = 'ptm_lum' AND %(lum)s",
            {"epsg": epsg, "lum": "lum" in decl.levels},
        )
        rows = []
        for level, area, geojson in cur.fetchall():
            geom = orjson.loads(geojson)
            from shapely.geometry import shape

            # Floor of the near edges and ceiling of the far ones: rounding the offsets down and the
            # lengths up separately could cut the last row or column of cells off the window.
            west, south, east, north = shape(geom).bounds
            exact = from_bounds(west, south, east, north, transform=ds.transform)
            col0, row0 = math.floor(exact.col_off), math.floor(exact.row_off)
            window = rasterio.windows.Window(
                col0,
                row0,
                math.ceil(exact.col_off + exact.width) - col0,
                math.ceil(exact.row_off + exact.height) - row0,
            )
            window = window.intersection(rasterio.windows.Window(0, 0, ds.width, ds.height))
            data = band[window.row_off : window.row_off + window.height, window.col_off : window.col_off + window.width]
            inside = geometry_mask([geom], out_shape=data.shape, transform=ds.window_transform(window), invert=True)
            values = data[inside & ~np.ma.getmaskarray(data)]
            rows.append((level, area, period, float(values.sum()) if values.size else None, int(values.size)))
    with cur.copy(
        db.SQL("COPY {} (level, area, period, num, den) FROM STDIN").format(db.Identifier(ZONAL_TABLE))
    ) as copy:
        for row in rows:
            copy.write_row(row)
