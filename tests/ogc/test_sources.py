"""Resolving a registry layer for MapServer: the extent comes from the registry, not from a scan of the data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers.models import Layer
from layers.ogc.published import DEFAULT_EXTENT, resolve
from layers.registry import refresh_extent

pytestmark = pytest.mark.django_db


@pytest.fixture
def layer():
    """Points on a 10 km grid, with decimals, across CMM (north-east corner far from the UTM central meridian)."""
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE test_ogc_griglia (id serial PRIMARY KEY, geom geometry(Point, 32632))")
        cur.execute(
            "INSERT INTO test_ogc_griglia (geom) SELECT ST_SetSRID(ST_MakePoint(477060.37 + x * 10000,"
            " 5001001.61 + y * 10000), 32632) FROM generate_series(0, 6) x, generate_series(0, 5) y"
        )
    return Layer.objects.create(slug="griglia", title_it="Griglia", theme="riferimenti", source="test_ogc_griglia")


def _scanned():
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
            " FROM (SELECT ST_Extent(geom) AS e FROM test_ogc_griglia) s"
        )
        return cur.fetchone()


def test_the_stored_extent_is_used_without_scanning_the_data(layer):
    """With the registry's extent (EPSG:4326) at hand, no ST_Extent runs; the reprojected box still covers
    every feature and is only slightly larger than the data's own box."""
    refresh_extent(layer)
    assert layer.metadata["extent"]
    with CaptureQueriesContext(connection) as queries:
        extent = resolve(layer).extent
    assert not [q for q in queries.captured_queries if "ST_Extent" in q["sql"]]
    data = _scanned()
    assert extent[0] <= data[0] and extent[1] <= data[1] and extent[2] >= data[2] and extent[3] >= data[3]
    assert all(abs(a - b) < 500 for a, b in zip(extent, data, strict=True))  # a bbox of a reprojected bbox


@pytest.mark.parametrize(
    "stored",
    [
        None,
        {},
        {"west": "x", "south": 1, "east": 2, "north": 3},
        {"west": 9.5, "south": 45.1, "east": 8.7, "north": 45.6},
        {"west": 100, "south": -10, "east": 120, "north": 10},
    ],
)
def test_without_a_usable_stored_extent_the_data_is_scanned(layer, stored):
    """A layer without its extent (or with one edited into nonsense, or outside the layer's CRS) gets the
    extent of its data."""
    Layer.objects.filter(pk=layer.pk).update(metadata={"extent": stored} if stored is not None else {})
    layer.refresh_from_db()
    assert resolve(layer).extent == pytest.approx(_scanned())


def test_exports_skip_the_extent(layer):
    refresh_extent(layer)
    with CaptureQueriesContext(connection) as queries:
        assert resolve(layer, extent=False).extent == DEFAULT_EXTENT
    # One catalogue read (columns and their types, geometry included); no extent, stored or scanned.
    assert len(queries.captured_queries) == 1
    assert "ST_Extent" not in queries.captured_queries[0]["sql"]
