"""Low-zoom vector tiles from generalised overviews built by the ETL with each load.

The synthetic PGT (1,500 polygons) loaded through the real ETL, with the overview threshold lowered
so that its layers count as large. Expected areas come from PostGIS on the full data (clipped to
the tile), tiles are decoded with mapbox-vector-tile.
"""

import math

import mapbox_vector_tile
import pytest
from django.db import connection
from shapely.geometry import box, shape

from layers.models import Layer
from layers.sync import sync
from mappature import overviews
from mappature.models import TileCache, TileOverview
from remix import db
from tests.tiles import tile_of

pytestmark = pytest.mark.django_db

SLUG = "pgt_tessuto_urbano_consolidato"
CLASS_FIELD = "cod_dest1"
WORLD = 2 * math.pi * 6378137
MILANO = (9.19, 45.465)


@pytest.fixture
def pgt_with_overviews(comuni, load_source, settings, monkeypatch):
    settings.REMIX = {**settings.REMIX, "MVT_OVERVIEW_MIN_FEATURES": 100}
    # The test set's polygons are coarse (1,500 over CMM): merge up to a whole cell so both rules run.
    monkeypatch.setattr(overviews, "MERGE_PIXELS", overviews.CELL_PIXELS**2)
    sync()
    Layer.objects.filter(slug=SLUG).update(
        style={
            "kind": "categorized",
            "field": CLASS_FIELD,
            "fill": "#fdae61",
            "classes": [{"value": v, "label_it": v} for v in ("100", "200", "300", "400", "500")],
            "other": {"fill": "#cccccc", "label_it": "altro"},
        }
    )
    result = load_source("pgt_sintetico", options={"scale": 1500})
    assert result.status == "loaded"
    return Layer.objects.get(slug=SLUG)


def _decoded(content: bytes) -> list[dict]:
    return [f for layer in mapbox_vector_tile.decode(content).values() for f in layer["features"]]


def _tile_area(content: bytes, z: int, field: str) -> dict[str, float]:
    frame, unit, areas = box(0, 0, 4096, 4096), (WORLD / 2**z / 4096) ** 2, {}
    for feature in _decoded(content):
        cls = str(feature["properties"].get(field))
        areas[cls] = areas.get(cls, 0.0) + shape(feature["geometry"]).buffer(0).intersection(frame).area * unit
    return areas


def _data_area(z: int, x: int, y: int, istat_code: str | None = None) -> dict[str, float]:
    rows = db.fetch_all(
        db.compose(
            """
            WITH b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env)
            SELECT t.{field}, sum(ST_Area(ST_ClipByBox2D(ST_Transform(t.geom, 3857), b.env)))
            FROM {view} t, b WHERE t.geom && ST_Transform(b.env, 32632)
              AND (%(istat)s::text IS NULL OR t.istat_code = %(istat)s) GROUP BY 1
            """,
            field=CLASS_FIELD,
            view=SLUG,
        ),
        {"z": z, "x": x, "y": y, "istat": istat_code},
    )
    return {str(cls): area for cls, area in rows}


def test_the_load_builds_overviews_for_the_new_data_version(pgt_with_overviews):
    layer = pgt_with_overviews
    built = TileOverview.objects.filter(layer=SLUG)
    assert sorted(built.values_list("band", flat=True)) == list(overviews.BANDS)
    assert set(built.values_list("data_version", flat=True)) == {layer.data_version}
    assert built.first().source_features == layer.metadata["features"]
    assert built.first().class_field == CLASS_FIELD
    with connection.cursor() as cur:
        db.execute(
            cur,
            db.compose(
                "SELECT count(*), count(*) FILTER (WHERE props ? %s), sum(features) FROM {t}",
                t=built.get(band=9).table,
            ),
            [CLASS_FIELD],
        )
        rows, with_class, represented = cur.fetchone()
    # Merging makes the low band smaller than the data; no feature loses its class; none is lost.
    assert 0 < rows < layer.metadata["features"] == represented
    assert with_class == rows


def test_a_reload_rebuilds_the_overview_with_the_load(pgt_with_overviews, load_source):
    before = pgt_with_overviews
    old_tables = set(TileOverview.objects.filter(layer=SLUG).values_list("table", flat=True))
    bigger = load_source("pgt_sintetico", options={"scale": 2500})
    assert bigger.status == "loaded"
    after = Layer.objects.get(slug=SLUG)
    assert after.data_version > before.data_version
    built = TileOverview.objects.filter(layer=SLUG)
    assert set(built.values_list("data_version", flat=True)) == {after.data_version}
    assert built.first().source_features == after.metadata["features"] > before.metadata["features"]
    with connection.cursor() as cur:  # the previous version's tables are gone
        cur.execute("SELECT count(*) FROM pg_class WHERE relname = ANY(%s)", [list(old_tables)])
        assert cur.fetchone()[0] == 0


@pytest.mark.parametrize("z", [9, 10, 11])
def test_low_zoom_tiles_read_the_overview_and_keep_each_class_area(client, pgt_with_overviews, z):
    x, y = tile_of(*MILANO, z)
    content = client.get(f"/tiles/{SLUG}/{z}/{x}/{y}.pbf").content
    features = _decoded(content)
    # Overview features say how many source features they stand for; merged ones stand for several.
    assert features and all("features" in f["properties"] for f in features)
    if z == 9:
        assert any(f["properties"]["features"] > 1 for f in features)
    want, got = _data_area(z, x, y), _tile_area(content, z, CLASS_FIELD)
    assert set(got) == set(want)
    for cls, area in want.items():
        assert got[cls] == pytest.approx(area, rel=0.02), cls


def test_territory_filters_apply_to_the_overview(client, pgt_with_overviews):
    z = 10
    x, y = tile_of(*MILANO, z)
    content = client.get(f"/tiles/{SLUG}/{z}/{x}/{y}.pbf", {"comune": "015146"}).content
    want = _data_area(z, x, y, "015146")
    got = _tile_area(content, z, CLASS_FIELD)
    assert sum(got.values()) == pytest.approx(sum(want.values()), rel=0.02)
    everything = _tile_area(client.get(f"/tiles/{SLUG}/{z}/{x}/{y}.pbf").content, z, CLASS_FIELD)
    assert sum(everything.values()) > sum(got.values()) * 1.2


def test_a_stale_overview_is_never_served(client, pgt_with_overviews):
    """An overview of another data version is ignored: the tile comes from the data itself."""
    Layer.objects.filter(slug=SLUG).update(data_version=pgt_with_overviews.data_version + 1)
    z = 10
    x, y = tile_of(*MILANO, z)
    features = _decoded(client.get(f"/tiles/{SLUG}/{z}/{x}/{y}.pbf").content)
    assert features and not any("features" in f["properties"] for f in features)


@pytest.mark.parametrize("z", [11, 13])  # from the overview, from the data
def test_a_tile_never_exceeds_the_size_budget_and_keeps_classes(client, pgt_with_overviews, settings, z):
    x, y = tile_of(*MILANO, z)
    url = f"/tiles/{SLUG}/{z}/{x}/{y}.pbf"
    full = client.get(url).content
    TileCache.objects.all().delete()
    budget = int(len(full) * 0.7)
    settings.REMIX = {**settings.REMIX, "MVT_MAX_TILE_BYTES": budget}
    limited = client.get(url).content
    assert 0 < len(limited) <= budget
    kept = _decoded(limited)
    assert kept and all(f["properties"].get(CLASS_FIELD) for f in kept)
    # The largest features are the ones kept.
    smallest_kept = min(shape(f["geometry"]).area for f in kept)
    dropped = len(_decoded(full)) - len(kept)
    assert dropped > 0 and smallest_kept > 0


def test_a_tile_whose_overview_table_vanished_is_drawn_from_the_data(client, pgt_with_overviews):
    """A load replaced the overview while a request ran: the request still answers, from the data."""
    z = 10
    x, y = tile_of(*MILANO, z)
    url = f"/tiles/{SLUG}/{z}/{x}/{y}.pbf"
    assert any("features" in f["properties"] for f in _decoded(client.get(url).content))
    with connection.cursor() as cur:
        db.execute(cur, db.compose("DROP TABLE {t}", t=TileOverview.objects.get(layer=SLUG, band=10).table))
    TileCache.objects.all().delete()
    response = client.get(url)
    assert response.status_code == 200
    features = _decoded(response.content)
    assert features and not any("features" in f["properties"] for f in features)
