"""Raster layers (e.g. the STTM heat anomaly) are served by WMS with the registry's classes and exported."""

import numpy as np
import pytest
import rasterio
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from layers.exports import jobs
from layers.models import Layer
from remix import storage

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("export_data"),
    pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning"),
]
ORIGIN = (510000.0, 5040000.0)  # upper-left corner, EPSG:32632; 100 m pixels


@pytest.fixture
def heat_layer(tmp_path):
    """A 20×20 GeoTIFF: left half cool (1), right half hot (5), classified blue/red in the registry."""
    data = np.ones((20, 20), dtype="uint8")
    data[:, 10:] = 5
    path = tmp_path / "anomalia.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=20,
        height=20,
        count=1,
        dtype="uint8",
        crs="EPSG:32632",
        transform=from_origin(*ORIGIN, 100, 100),
    ) as out:
        out.write(data, 1)
    style = {
        "kind": "graduated",
        "classes": [
            {"min": 0, "max": 3, "label_it": "fresco", "fill": "#0000ff"},
            {"min": 3, "max": 10, "label_it": "caldo", "fill": "#ff0000"},
        ],
    }
    return Layer.objects.create(
        slug="anomalia_termica",
        title_it="Anomalia termica (sintetico)",
        theme="sttm1",
        kind="raster",
        source=str(path),
        published=True,
        synthetic=True,
        style=style,
    )


def test_raster_getmap_draws_each_class_in_its_place(client, heat_layer):
    """Cool pixels are drawn blue on the left, hot ones red on the right."""
    x0, y0 = ORIGIN
    answer = client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": heat_layer.slug,
            "STYLES": "",
            "CRS": "EPSG:32632",
            "BBOX": f"{x0},{y0 - 2000},{x0 + 2000},{y0}",
            "WIDTH": 100,
            "HEIGHT": 100,
            "FORMAT": "image/png",
        },
    )
    assert answer["Content-Type"] == "image/png", answer.content[:300]
    with MemoryFile(answer.content) as mem, mem.open() as img:
        pixels = img.read()
    assert tuple(pixels[:3, 50, 20]) == (0, 0, 255)
    assert tuple(pixels[:3, 50, 80]) == (255, 0, 0)


def test_raster_is_exported_into_the_geopackage(heat_layer):
    """A raster layer goes into the GeoPackage as a tiled raster table, cut to the chosen extent."""
    x0, y0 = ORIGIN
    job = jobs.run(jobs.plan(None, [heat_layer.slug, "comuni"], "bbox", "", (x0, y0 - 1000, x0 + 1000, y0)))
    assert job.status == "done", job.message
    with rasterio.open(f"GPKG:{storage.get(storage.EXPORTS).path(job.file)}:{heat_layer.slug}") as raster:
        assert raster.crs.to_epsg() == 32632
        assert raster.width == 10 and raster.height == 10
