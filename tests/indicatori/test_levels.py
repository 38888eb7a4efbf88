"""Indicator levels of their own areas: the LUM of the PTM (stations and heat anomaly per LUM)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db
DATA = Path(settings.BASE_DIR) / "data"


def lum_frame():
    import geopandas as gpd
    import shapely

    with connection.cursor() as cur:
        cur.execute(
            "SELECT feature_key, name, ST_AsBinary(geom), ST_SRID(geom) FROM mappature_thematicfeature "
            "WHERE layer = 'ptm_lum' ORDER BY feature_key"
        )
        rows = cur.fetchall()
    return gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[shapely.from_wkb(bytes(r[2])) for r in rows],
        crs=rows[0][3],
    )


def test_stations_and_heat_anomaly_per_lum(everything):
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import rasterio
    from rasterio.features import rasterize

    lum = lum_frame()
    assert len(lum) == 43
    # Stations from the shipped files (RFI and ATM metro), counted in each LUM.
    stations = pd.concat(
        [
            gpd.read_file(DATA / "stazioni_rfi_cmm.geojson").to_crs(lum.crs),
            gpd.read_file(DATA / "atm" / "tpl_metrofermate.geojson").to_crs(lum.crs),
        ]
    )
    joined = gpd.sjoin(stations[["geometry"]], lum, predicate="intersects")
    expected = joined.groupby("code").size().reindex(lum["code"], fill_value=0).to_dict()
    assert sum(expected.values()) > 43  # metro stops fall in some LUM as well

    client = Client(HTTP_HOST="127.0.0.1")
    body = client.get("/api/indicatori/lum_stazioni_n/valori", {"level": "lum"}).json()
    got = {v["code"]: v["value"] for v in body["values"]}
    assert got == {code: float(n) for code, n in expected.items()}
    names = {v["code"]: v["name"] for v in body["values"]}
    assert names == dict(zip(lum["code"], lum["name"], strict=True))

    # Heat anomaly: mean of the cells whose centre lies in the LUM, from the raster file itself.
    path = settings.REMIX["RASTER_DIR"] / "sttm1_anomalia_termica.tif"
    with rasterio.open(path) as ds:
        band = ds.read(1, masked=True)
        shapes = lum.to_crs(ds.crs)
        want = {}
        for code, geom in zip(shapes["code"], shapes.geometry, strict=True):
            inside = rasterize(
                [geom], out_shape=band.shape, transform=ds.transform, fill=0, default_value=1, dtype="uint8"
            ).astype(bool)
            cells = band[inside & ~np.ma.getmaskarray(band)]
            want[code] = float(cells.mean()) if cells.size else None
    heat = client.get("/api/indicatori/anomalia_termica_media/valori", {"level": "lum"}).json()
    got = {v["code"]: v["value"] for v in heat["values"]}
    assert set(got) == {c for c, v in want.items() if v is not None}
    assert got == {c: pytest.approx(v, abs=1e-4) for c, v in want.items() if v is not None}
    # The LUM as areas for the map panel.
    areas = client.get("/api/indicatori/aree.geojson", {"level": "lum"}).json()
    assert len(areas["features"]) == 43
