"""GeoPackage of a project's ranked opportunity areas, with the score and its breakdown as columns."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely

from mappature.opportunities import OPPORTUNITY_BY_CODE
from remix import db


def matches_gpkg(project, matches: list[dict]) -> bytes:
    geoms = []
    for m in matches:
        a = m["area"]
        q = db.compose(
            "SELECT ST_AsBinary(geom) AS g FROM {rel} WHERE id = %s", rel=OPPORTUNITY_BY_CODE[a["kind"]].table
        )
        geoms.append(shapely.from_wkb(bytes(db.fetch_dicts(q, [a["id"]])[0]["g"])))
    criteria_codes = [p["criterion"] for p in matches[0]["breakdown"]] if matches else []
    cols = {
        "rank": np.arange(1, len(matches) + 1, dtype=np.int32),
        "project": np.array([project.title] * len(matches), dtype=object),
        "kind": np.array([m["area"]["kind"] for m in matches], dtype=object),
        "area_id": np.array([m["area"]["id"] for m in matches], dtype=np.int64),
        "name": np.array([m["area"]["name"] for m in matches], dtype=object),
        "istat_code": np.array([m["area"]["istat_code"] for m in matches], dtype=object),
        "score": np.array([m["score"] for m in matches], dtype=np.float64),
    }
    for code in criteria_codes:
        cols[f"pt_{code}"] = np.array(
            [next(p["points"] for p in m["breakdown"] if p["criterion"] == code) for m in matches], dtype=np.float64
        )
        cols[f"why_{code}"] = np.array(
            [next(p["why"] for p in m["breakdown"] if p["criterion"] == code) for m in matches], dtype=object
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "incontri.gpkg"
        wkb = np.array(shapely.to_wkb(geoms), dtype=object) if geoms else np.array([], dtype=object)
        pyogrio.raw.write(
            str(path),
            wkb,
            list(cols.values()),
            list(cols.keys()),
            layer="incontri",
            driver="GPKG",
            geometry_type="MultiPolygon",
            crs="EPSG:32632",
            promote_to_multi=True,
        )
        return path.read_bytes()


def zonal_rows(area_set) -> tuple[list[str], list[dict], list]:
    """Long table of the stored statistics of one area set, with the areas' geometries (EPSG:32632)."""
    from .models import ZonalStat

    stats = list(ZonalStat.objects.filter(area_set=area_set.code).order_by("area_id", "raster"))
    ids = sorted({s.area_id for s in stats})
    q = db.compose(
        "SELECT {id}::text AS id, ST_AsBinary(geom) AS g FROM {rel} WHERE {id}::text = ANY(%s)",
        id=area_set.id_column,
        rel=area_set.relation,
    )
    geoms = {r["id"]: bytes(r["g"]) for r in db.fetch_dicts(q, [ids])}
    columns = [
        "area_set",
        "area_id",
        "istat_code",
        "raster",
        "mean",
        "max",
        "share_above",
        "threshold",
        "covered_m2",
        "raster_version",
        "area_version",
        "computed_at",
    ]
    rows, wkb = [], []
    for s in stats:
        if s.area_id not in geoms:
            continue
        rows.append(
            {
                "area_set": s.area_set,
                "area_id": s.area_id,
                "istat_code": s.istat_code,
                "raster": s.raster,
                "mean": s.mean,
                "max": s.max,
                "share_above": s.share_above,
                "threshold": s.threshold,
                "covered_m2": s.covered_m2,
                "raster_version": s.raster_version,
                "area_version": s.area_version,
                "computed_at": s.computed_at.isoformat(),
            }
        )
        wkb.append(geoms[s.area_id])
    return columns, rows, wkb


def zonal_gpkg(area_set) -> bytes:
    columns, rows, wkb = zonal_rows(area_set)
    floats = {"mean", "max", "share_above", "threshold", "covered_m2"}
    ints = {"raster_version", "area_version"}
    arrays = []
    for c in columns:
        values = [r[c] for r in rows]
        if c in floats:
            arrays.append(np.array([np.nan if v is None else v for v in values], dtype=np.float64))
        elif c in ints:
            arrays.append(np.array(values, dtype=np.int64))
        else:
            arrays.append(np.array(values, dtype=object))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zonal.gpkg"
        pyogrio.raw.write(
            str(path),
            np.array(wkb, dtype=object),
            arrays,
            columns,
            layer=f"statistiche_{area_set.code}",
            driver="GPKG",
            geometry_type="Unknown",
            crs="EPSG:32632",
        )
        return path.read_bytes()
