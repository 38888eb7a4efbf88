"""Z and M coordinates are dropped on reading (storage is 2D); 2D data passes untouched."""

import json

import pyarrow as pa
import pytest
import shapely
from django.db import connection

from etl import pipeline
from etl.readers.base import flattened

from .conftest import aree_source


def test_2d_geometries_are_returned_as_they_are():
    array = pa.array([shapely.to_wkb(shapely.box(0, 0, 1, 1)), None, b""], pa.binary())
    out, flat = flattened(array)
    assert out is array and not flat


@pytest.mark.parametrize(
    "wkt",
    [
        "POLYGON Z ((0 0 5, 1 0 5, 1 1 5, 0 0 5))",
        "POLYGON M ((0 0 5, 1 0 5, 1 1 5, 0 0 5))",
        "POLYGON ZM ((0 0 5 1, 1 0 5 1, 1 1 5 1, 0 0 5 1))",
    ],
)
@pytest.mark.parametrize("byte_order", [0, 1])
@pytest.mark.parametrize("flavor", ["iso", "extended"])
def test_z_and_m_are_dropped_whatever_the_wkb_flavour(wkt, byte_order, flavor):
    geom = shapely.from_wkt(wkt)
    array = pa.array(
        [shapely.to_wkb(shapely.box(5, 5, 6, 6)), None, shapely.to_wkb(geom, byte_order=byte_order, flavor=flavor)],
        pa.binary(),
    )
    out, flat = flattened(array)
    assert flat
    values = out.to_pylist()
    assert values[1] is None
    assert shapely.from_wkb(values[2]).equals(shapely.from_wkt("POLYGON ((0 0, 1 0, 1 1, 0 0))"))
    assert not shapely.has_z(shapely.from_wkb(values[2]))


@pytest.mark.django_db
def test_a_3d_file_loads_in_2d(tmp_path):
    cube = [[[[0, 0, 120.5], [0, 10, 121], [10, 10, 122], [10, 0, 121], [0, 0, 120.5]]]]
    path = tmp_path / "aree_3d.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"CODICE": "Z1", "NOME": "quota"},
                        "geometry": {"type": "MultiPolygon", "coordinates": cube},
                    }
                ],
                "crs": {"type": "name", "properties": {"name": "EPSG:32632"}},
            }
        )
    )
    result = pipeline.run(aree_source(str(path)), run_by="test")
    assert result.loaded == 1, result.rejects
    with connection.cursor() as cur:
        cur.execute("SELECT ST_NDims(geom), ST_Area(geom) FROM mappature_thematicfeature WHERE feature_key = 'Z1'")
        assert cur.fetchone() == (2, 100.0)
