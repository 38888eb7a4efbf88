"""The incontri analyses read the indicators' data once it is loaded: ISPRA soil stock, metro stops, NIL.

Expected figures are read here from the shipped files in data/ (csv, GeoPandas), not from the code under test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from incontri import zonal

DATA = Path(__file__).resolve().parents[2] / "data"


def shipped_stock(istat: str) -> list[tuple[int, float]]:
    with open(DATA / "ispra" / "ispra_consumo_suolo_cmm_stock_per_anno_derivato.csv", newline="") as fh:
        rows = [
            (int(r["anno"]), float(r["suolo_consumato_ha_derivato"]))
            for r in csv.DictReader(fh)
            if r["pro_com"] == istat
        ]
    return sorted(rows)


def shipped_cmm_stock() -> dict[int, float]:
    out: dict[int, float] = {}
    with open(DATA / "ispra" / "ispra_consumo_suolo_cmm_stock_per_anno_derivato.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            out[int(r["anno"])] = out.get(int(r["anno"]), 0.0) + float(r["suolo_consumato_ha_derivato"])
    return out


def test_bilancio_soil_trend_is_the_real_ispra_stock(world, load_source, client):
    load_source("ispra_suolo_stock")
    istat = world["comune"].istat_code
    expected = shipped_stock(istat)
    assert len(expected) > 2
    soil = client.get(f"/api/incontri/bilancio?feature={world['near'].pk}").json()["soil"]
    assert [(y["year"], y["ha"]) for y in soil["trend"]] == [(y, pytest.approx(h)) for y, h in expected]
    cmm = shipped_cmm_stock()
    assert [(y["year"], y["ha"]) for y in soil["cmm_trend"]] == [(y, pytest.approx(cmm[y])) for y in sorted(cmm)]
    # the AT (200 m × 200 m, outside any TUC) against the comune's latest stock
    assert soil["share_of_comune"] == pytest.approx(4.0 / expected[-1][1], rel=1e-3)


def test_metro_stops_and_railway_stations_are_told_apart(comuni, load_source):
    from incontri import context

    load_source("stazioni")
    load_source("stazioni_metro")
    metro = gpd.read_file(DATA / "atm" / "tpl_metrofermate.geojson").to_crs(32632)
    rail = gpd.read_file(DATA / "stazioni_rfi_cmm.geojson").to_crs(32632)
    stop = metro.iloc[len(metro) // 2]
    # a 100 m square 300 m east of a metro stop
    p = stop.geometry.centroid
    area = shapely.box(p.x + 250, p.y - 50, p.x + 350, p.y + 50)
    facts = context.for_geometry(shapely.to_wkb(shapely.set_srid(area, 32632), hex=True, include_srid=True))
    metro_d = metro.distance(area)
    rail_d = rail.distance(area)
    assert facts["metro_m"] == pytest.approx(metro_d.min(), abs=0.01)
    assert facts["metro"] == metro.loc[metro_d.idxmin(), "nome"]
    assert facts["station_m"] == pytest.approx(rail_d.min(), abs=0.01)


def test_nil_are_an_area_set_of_the_zonal_statistics(comuni, load_source, tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from layers.models import Layer

    load_source("milano_nil")
    nil = gpd.read_file(DATA / "milano" / "ds964_nil_wm.geojson").to_crs(32632)
    assert [s.code for s in zonal.area_sets(["nil"])] == ["nil"]
    # a constant raster over the whole of Milano: every NIL gets its value and its area
    x0, y0, x1, y1 = nil.total_bounds
    path = tmp_path / "uno.tif"
    w, h = int((x1 - x0) // 100) + 3, int((y1 - y0) // 100) + 3
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float32",
        crs="EPSG:32632",
        transform=from_origin(x0 - 100, y1 + 100, 100, 100),
        nodata=-9999,
    ) as dst:
        dst.write(np.full((h, w), 3.0, dtype="float32"), 1)
    Layer.objects.create(
        slug="uno_raster",
        title_it="Uno",
        theme="sttm1",
        kind=Layer.Kind.RASTER,
        source=str(path),
        geometry_type="Raster",
        data_version=1,
        style={"kind": "graduated", "classes": [{"min": 0, "max": 2}, {"min": 2, "max": 4}]},
    )
    done = zonal.refresh(rasters=["uno_raster"], sets=["nil"])
    assert done == [("uno_raster", "nil", len(nil))]
    from incontri.models import ZonalStat

    rows = ZonalStat.objects.filter(raster="uno_raster", area_set="nil")
    assert {r.istat_code for r in rows} == {"015146"}
    assert all(r.mean == pytest.approx(3.0) and r.share_above == pytest.approx(1.0) for r in rows)
    assert sum(r.covered_m2 for r in rows) == pytest.approx(nil.area.sum(), rel=0.01)
