"""Published rasters live in the ``rasters`` storage; readers that need a file (MapServer, the zonal
statistics, the identify) get a copy of it per data version when the storage is an object store."""

import os
import stat

import numpy as np
import pytest
import rasterio
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from layers import rasters, registry
from layers.models import Layer
from layers.source_data import check_source
from mappature import raster_identify
from tests.object_store import RASTERS

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("export_data"),
]
ORIGIN = (510000.0, 5040000.0)  # upper-left corner, EPSG:32632; 100 m pixels
STYLE = {
    "kind": "graduated",
    "classes": [
        {"min": 0, "max": 3, "label_it": "fresco", "fill": "#0000ff"},
        {"min": 3, "max": 10, "label_it": "caldo", "fill": "#ff0000"},
    ],
}


def write_tif(path, data):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype=data.dtype,
        crs="EPSG:32632",
        transform=from_origin(*ORIGIN, 100, 100),
    ) as out:
        out.write(data, 1)
    return path


@pytest.fixture
def object_store(tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES, "rasters": RASTERS}
    settings.REMIX = {
        **settings.REMIX,
        "RASTER_DIR": tmp_path / "object-store" / "rasters",
        "RASTER_CACHE_DIR": tmp_path / "var" / "cache" / "rasters",
    }
    return tmp_path


def _layer(name="anomalia.tif"):
    return Layer.objects.create(
        slug="anomalia_termica",
        title_it="Anomalia termica (sintetico)",
        theme="sttm1",
        kind="raster",
        source=name,
        published=True,
        synthetic=True,
        style=STYLE,
        dataset_id="prova_anomalia",
    )


def _publish(path, version):
    """What the ETL does (etl.rasters.load): store the file, then tell the registry the data changed."""
    rasters.publish(path, "anomalia.tif")
    registry.dataset_loaded("prova_anomalia", version, {})


def _getmap(client, width=20, height=20):
    x0, y0 = ORIGIN
    answer = client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": "anomalia_termica",
            "STYLES": "",
            "CRS": "EPSG:32632",
            "BBOX": f"{x0},{y0 - height * 100},{x0 + width * 100},{y0}",
            "WIDTH": width,
            "HEIGHT": height,
            "FORMAT": "image/png",
        },
    )
    assert answer["Content-Type"] == "image/png", answer.content[:300]
    with MemoryFile(answer.content) as mem, mem.open() as img:
        return img.read()


def _expected_red(data):
    """Red where the pixel is in the "caldo" class (≥ 3), from the array written to the file."""
    return np.where(data >= 3, 255, 0)


def test_a_raster_in_an_object_store_is_drawn_from_a_copy_per_data_version(client, object_store, tmp_path):
    layer = _layer()
    assert check_source(layer) == ["raster anomalia.tif non trovato"]  # not published yet

    first = np.random.default_rng(7).integers(0, 10, (20, 20), dtype="uint8")
    _publish(write_tif(tmp_path / "first.tif", first), 1)
    layer.refresh_from_db()
    assert (object_store / "object-store" / "rasters" / "anomalia.tif").is_file()
    pixels = _getmap(client)
    assert (pixels[0] == _expected_red(first)).all() and (pixels[2] == 255 - _expected_red(first)).all()
    cache = object_store / "var" / "cache" / "rasters"
    with rasterio.open(cache / f"anomalia@layer-anomalia_termica@{layer.data_version}.tif") as copy:
        assert (copy.read(1) == first).all()  # MapServer drew this machine's copy of the current version

    # A new version of the raster: once the layer's data version moves on, the map draws the new pixels.
    second = 9 - first
    rasters.publish(write_tif(tmp_path / "second.tif", second), "anomalia.tif")
    assert not list(cache.glob("*.tif"))  # this machine's copies are dropped at once
    registry.dataset_loaded("prova_anomalia", 2, {})
    pixels = _getmap(client)
    assert (pixels[0] == _expected_red(second)).all()
    assert raster_identify.identify(Layer.objects.get(pk=layer.pk), *_lonlat(2, 3))["features"][0]["properties"][
        "value"
    ] == float(second[3, 2])


def _lonlat(col, row):
    """WGS84 of the centre of a pixel (pyproj, independently of the code under test)."""
    from pyproj import Transformer

    x, y = ORIGIN[0] + (col + 0.5) * 100, ORIGIN[1] - (row + 0.5) * 100
    return Transformer.from_crs(32632, 4326, always_xy=True).transform(x, y)


def test_copies_of_older_versions_are_removed(object_store, tmp_path):
    layer = _layer()
    data = np.ones((4, 4), dtype="uint8")
    rasters.publish(write_tif(tmp_path / "a.tif", data), "anomalia.tif")
    paths = []
    for version in (1, 2, 3):
        layer.data_version = version
        paths.append(rasters.local_path(layer))
        assert paths[-1].is_file()
        os.utime(paths[-1], (version, version))  # the order they were fetched in
    assert [p.exists() for p in paths] == [False, True, True]  # the current one and the one before
    with rasterio.open(paths[-1]) as src:
        assert (src.read(1) == data).all()


def test_a_raster_published_to_a_folder_is_read_in_place_and_replaced_whole(tmp_path, settings):
    settings.REMIX = {**settings.REMIX, "RASTER_DIR": tmp_path / "rasters"}
    layer = _layer("var/rasters/anomalia.tif")  # the declarations' form
    rasters.publish(write_tif(tmp_path / "a.tif", np.full((4, 4), 2, dtype="uint8")), "anomalia.tif")
    assert rasters.local_path(layer) == tmp_path / "rasters" / "anomalia.tif"
    assert stat.S_IMODE((tmp_path / "rasters" / "anomalia.tif").stat().st_mode) == 0o640
    rasters.publish(write_tif(tmp_path / "b.tif", np.full((4, 4), 8, dtype="uint8")), "anomalia.tif")
    assert [p.name for p in (tmp_path / "rasters").iterdir()] == ["anomalia.tif"]  # no stray temporary file
    with rasterio.open(tmp_path / "rasters" / "anomalia.tif") as src:
        assert (src.read(1) == 8).all()
    assert rasters.extent(rasters.local_path(layer)) == (ORIGIN[0], ORIGIN[1] - 400, ORIGIN[0] + 400, ORIGIN[1])


def test_a_source_outside_the_storage_is_not_looked_up_in_it(object_store, tmp_path):
    layer = _layer("../fuori/anomalia.tif")
    assert check_source(layer) == ["raster ../fuori/anomalia.tif non trovato"]
    assert not list((object_store / "var").rglob("*.tif"))
