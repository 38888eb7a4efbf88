"""Zonal statistics shown where users read them: the atlas sheets and the identify popup.

The raster is split at a cell boundary (west 1, east 3): the expected mean, max and share above the
threshold follow from the areas of the two halves of the comune, computed here with shapely.
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from incontri import zonal
from layers.models import Layer


def it(value: float, decimals: int = 2) -> str:
    """Italian number format, written here independently of the code under test."""
    return f"{value:,.{decimals}f}".replace(",", "X").replace(".", ",").replace("X", ".")


@pytest.fixture
def split_raster(comuni, tmp_path):
    from mappature.models import Comune

    geom = shapely.from_wkb(bytes(Comune.objects.get(istat_code="015002").geom.wkb))
    x0, y0, x1, y1 = geom.bounds
    left, top = np.floor(x0 / 100) * 100 - 100, np.ceil(y1 / 100) * 100 + 100
    w, h = int((x1 - left) // 100) + 2, int((top - y0) // 100) + 2
    split_col = w // 2
    values = np.ones((h, w), dtype="float32")
    values[:, split_col:] = 3.0
    path = tmp_path / "split.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float32",
        crs="EPSG:32632",
        transform=from_origin(left, top, 100, 100),
        nodata=-9999,
    ) as dst:
        dst.write(values, 1)
    Layer.objects.create(
        slug="split_raster",
        title_it="Raster diviso",
        title_en="Split raster",
        theme="sttm1",
        kind=Layer.Kind.RASTER,
        source=str(path),
        geometry_type="Raster",
        data_version=1,
        style={"kind": "graduated", "classes": [{"min": 0, "max": 2}, {"min": 2, "max": 4}]},
    )
    split_x = left + split_col * 100
    east = geom.intersection(shapely.box(split_x, y0 - 1000, x1 + 1000, y1 + 1000)).area
    share = east / geom.area
    return {"mean": 1 * (1 - share) + 3 * share, "max": 3.0, "share": share}


def test_atlas_sheet_of_a_comune_shows_the_zonal_statistics(split_raster, client):
    page = client.get("/atlante/015002/").content.decode()
    assert "atlas-vulnerability" not in page  # nothing computed yet: no section
    zonal.refresh(rasters=["split_raster"], sets=["comuni", "zone"])
    page = client.get("/atlante/015002/").content.decode()
    section = page.split('id="atlas-vulnerability"')[1].split("</section>")[0]
    assert "Raster diviso" in section
    assert it(split_raster["mean"]) in section and it(split_raster["max"]) in section
    assert f"{it(split_raster['share'] * 100)} %" in section and "soglia 2,00" in section
    # the zona sheet reads the zona's own statistics
    from mappature.models import Comune

    zona = Comune.objects.select_related("zona").get(istat_code="015002").zona.code
    assert 'id="atlas-vulnerability"' in client.get(f"/atlante/{zona}/").content.decode()
