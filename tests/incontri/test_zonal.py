"""Zonal statistics against figures computed by hand on a 4×4 raster."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rasterio.transform import from_origin

from incontri import zonal
from incontri.models import ZonalStat
from layers.models import Layer

# 4×4 cells of 100 m, origin (500000, 5000400); row 0 is the northern row.
VALUES = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [0, 0, -9999, 9], [1, 1, 1, 1]], dtype="float32")
X0, Y0 = 500000.0, 5000400.0


def cell(col: int, row: int, cols: float = 1, rows: float = 1):
    """The box of cells starting at (col, row) spanning cols × rows cells (fractions allowed)."""
    x, y = X0 + col * 100, Y0 - row * 100
    return shapely.box(x, y - rows * 100, x + cols * 100, y)


@pytest.fixture
def raster(tmp_path, db, settings):
    path = tmp_path / "prova.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float32",
        crs="EPSG:32632",
        transform=from_origin(X0, Y0, 100, 100),
        nodata=-9999,
    ) as dst:
        dst.write(VALUES, 1)
    return Layer.objects.create(
        slug="prova_raster",
        title_it="Prova",
        theme="sttm1",
        kind=Layer.Kind.RASTER,
        source=str(path),
        geometry_type="Raster",
        data_version=3,
        style={"kind": "graduated", "classes": [{"min": 0, "max": 4}, {"min": 4, "max": 10}]},
    )


def test_stats_by_hand(raster):
    r = zonal.Raster.open(raster)
    assert r.threshold == 4  # no declared threshold: the lower bound of the highest style class
    whole_top_row, two_by_two, one_and_a_half, with_nodata = r.stats(
        [cell(0, 0, 4, 1), cell(0, 0, 2, 2), cell(0, 1, 1.5, 1), cell(1, 2, 2, 1)]
    )
    assert whole_top_row["mean"] == pytest.approx((1 + 2 + 3 + 4) / 4)
    assert whole_top_row["max"] == 4
    assert whole_top_row["share_above"] == 0  # 4 is not above 4
    assert whole_top_row["covered_m2"] == pytest.approx(40_000)
    assert two_by_two["mean"] == pytest.approx((1 + 2 + 5 + 6) / 4)
    assert two_by_two["share_above"] == pytest.approx(2 / 4)  # 5 and 6
    # a full cell (5) and half of the next one (6): weights 1 and 0.5
    assert one_and_a_half["mean"] == pytest.approx((5 * 1 + 6 * 0.5) / 1.5)
    assert one_and_a_half["share_above"] == pytest.approx(1.0)
    assert one_and_a_half["covered_m2"] == pytest.approx(15_000)
    # the nodata cell is left out of the mean and of the covered area
    assert with_nodata["mean"] == 0 and with_nodata["covered_m2"] == pytest.approx(10_000)


def test_refresh_stores_versions_and_recomputes_when_the_raster_changes(raster, comuni, tmp_path):
    done = zonal.refresh(rasters=["prova_raster"], sets=["comuni"])
    assert done == [("prova_raster", "comuni", 133)]
    row = ZonalStat.objects.get(raster="prova_raster", area_set="comuni", area_id="015146")
    assert row.raster_version == 3 and row.mean is None  # the small raster lies outside Milano
    assert zonal.refresh(rasters=["prova_raster"], sets=["comuni"]) == []  # current: nothing to do
    Layer.objects.filter(slug="prova_raster").update(data_version=4)
    assert zonal.refresh(rasters=["prova_raster"], sets=["comuni"])[0][2] == 133
    assert ZonalStat.objects.get(raster="prova_raster", area_set="comuni", area_id="015146").raster_version == 4


def test_statistics_api(raster, comuni, client):
    zonal.refresh(rasters=["prova_raster"], sets=["comuni"])
    body = client.get("/api/incontri/statistiche/comuni/015146").json()
    assert body["statistics"][0]["raster"] == "prova_raster" and body["statistics"][0]["current"] is True
    assert client.get("/api/incontri/statistiche/nonesiste/1").status_code == 404


def test_statistics_of_several_areas_in_one_request(raster, comuni, client):
    """An identify popup lists many areas: their statistics come in one request, each as its own URL gives it."""
    zonal.refresh(rasters=["prova_raster"], sets=["comuni"])
    ids = ["015146", "015002", "015077"]
    client.get("/api/incontri/statistiche/comuni?ids=015146")  # the freshness check reads the registry once
    with CaptureQueriesContext(connection) as one:
        client.get("/api/incontri/statistiche/comuni?ids=015146")
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/incontri/statistiche/comuni?ids=" + ",".join([*ids, "015146", "999999"])).json()
    assert len(many) == len(one)  # the same queries for five ids as for one: not a query per area
    assert sorted(body["statistics"]) == sorted(ids)  # an unknown area has no statistics; a repeated id counts once
    for area_id in ids:
        single = client.get(f"/api/incontri/statistiche/comuni/{area_id}").json()["statistics"]
        assert body["statistics"][area_id] == single
        assert single[0]["raster"] == "prova_raster" and single[0]["current"] is True
    assert client.get("/api/incontri/statistiche/nonesiste?ids=1").status_code == 404
    too_many = client.get("/api/incontri/statistiche/comuni?ids=" + ",".join(str(i) for i in range(101)))
    assert too_many.status_code == 400 and "100" in too_many.json()["error"]
    assert client.get("/api/incontri/statistiche/comuni?ids=").status_code == 400


@pytest.fixture
def milano_raster(tmp_path, comuni):
    """A 1 km grid of seeded random values over Milano's bounding box."""
    from mappature.models import Comune

    geom = Comune.objects.get(istat_code="015146").geom
    xmin, ymin, xmax, ymax = geom.extent
    x0, y0 = np.floor(xmin / 1000) * 1000, np.ceil(ymax / 1000) * 1000
    width, height = int(np.ceil((xmax - x0) / 1000)), int(np.ceil((y0 - ymin) / 1000))
    values = np.random.default_rng(7).uniform(0, 6, (height, width)).astype("float32")
    path = tmp_path / "milano.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs="EPSG:32632",
        transform=from_origin(x0, y0, 1000, 1000),
        nodata=-9999,
    ) as dst:
        dst.write(values, 1)
    layer = Layer.objects.create(
        slug="prova_milano",
        title_it="Prova Milano",
        theme="sttm1",
        kind=Layer.Kind.RASTER,
        source=str(path),
        geometry_type="Raster",
        data_version=1,
        style={"classes": [{"min": 0}, {"min": 3}]},
    )
    return layer, values, x0, y0, shapely.from_wkb(bytes(geom.wkb))


def test_exported_statistics_match_an_independent_cell_by_cell_computation(milano_raster, client):
    import io

    import pyogrio

    layer, values, x0, y0, milano = milano_raster
    zonal.refresh(rasters=[layer.slug], sets=["comuni"])
    # independent: the exact share of each cell inside Milano, by shapely intersections
    weights = np.zeros(values.shape)
    for row in range(values.shape[0]):
        for col in range(values.shape[1]):
            box = shapely.box(x0 + col * 1000, y0 - (row + 1) * 1000, x0 + (col + 1) * 1000, y0 - row * 1000)
            weights[row, col] = milano.intersection(box).area / 1e6
    inside = weights > 0
    expected_mean = float((values * weights).sum() / weights.sum())
    expected_share = float(weights[values > 3].sum() / weights.sum())
    gpkg = client.get("/api/incontri/statistiche/comuni.gpkg")
    assert gpkg.status_code == 200
    frame = pyogrio.read_dataframe(io.BytesIO(gpkg.content))
    row = frame[(frame.area_id == "015146") & (frame.raster == layer.slug)].iloc[0]
    assert row["mean"] == pytest.approx(expected_mean, rel=1e-4)
    assert row["max"] == pytest.approx(float(values[inside].max()))
    assert row["share_above"] == pytest.approx(expected_share, rel=1e-4)
    assert row["covered_m2"] == pytest.approx(milano.area, rel=1e-4)
    assert len(frame[frame.raster == layer.slug]) == 133
    csv = client.get("/api/incontri/statistiche/comuni.csv").content.decode()
    assert csv.splitlines()[0].startswith("area_set,area_id,istat_code,raster,mean")
    assert client.get("/api/incontri/statistiche/comuni.exe").status_code == 404


def test_a_published_change_of_the_areas_is_recomputed_on_read(raster, comuni, client):
    """A delivery published through consegne bumps the layer's data_version without an ETL load:
    the next read recomputes the stale statistics."""
    from django.contrib.gis.geos import GEOSGeometry

    from mappature.models import Comune, PgtAtto, PgtFeature

    def multi(box):
        return GEOSGeometry(memoryview(shapely.MultiPolygon([box]).wkb), srid=32632)

    comune = Comune.objects.get(istat_code="015002")
    atto = PgtAtto.objects.create(comune=comune, state=PgtAtto.State.VIGENTE, spec_version="test")
    at = PgtFeature.objects.create(
        atto=atto,
        istat_code="015002",
        layer="ambiti_trasformazione",
        feature_key="A",
        geom=multi(cell(0, 0, 2, 2)),
        attrs={},
    )
    Layer.objects.create(
        slug="pgt_ambiti_trasformazione", title_it="AT", theme="pgt", source="pgt_ambiti_trasformazione", data_version=1
    )
    url = f"/api/incontri/statistiche/ambiti_trasformazione/{at.pk}"
    (stat,) = [s for s in client.get(url).json()["statistics"] if s["raster"] == "prova_raster"]
    assert stat["mean"] == pytest.approx((1 + 2 + 5 + 6) / 4) and stat["current"] and stat["area_version"] == 1
    PgtFeature.objects.filter(pk=at.pk).update(geom=multi(cell(0, 1, 2, 1)))
    Layer.objects.filter(slug="pgt_ambiti_trasformazione").update(data_version=2)
    (stat,) = [s for s in client.get(url).json()["statistics"] if s["raster"] == "prova_raster"]
    assert stat["mean"] == pytest.approx((5 + 6) / 2) and stat["current"] and stat["area_version"] == 2


def test_loading_the_raster_recomputes_its_statistics(comuni, load_source):
    """The ETL hook: a load of the heat raster stores its statistics for every comune with its version."""
    from django.core.management import call_command

    from background.testing import queued, run_jobs

    call_command("layers", "sync", verbosity=0)
    load_source("sttm1_anomalia_termica", force=True)
    layer = Layer.objects.get(slug="sttm1_anomalia_termica")
    rows = ZonalStat.objects.filter(raster=layer.slug, area_set="comuni")
    # the load only queued the refresh (it stays fast); a second load does not queue a second one
    assert rows.count() == 0 and [j["task_name"] for j in queued()] == ["incontri_refresh"]
    load_source("sttm1_anomalia_termica", force=True)
    assert [j["task_name"] for j in queued()] == ["incontri_refresh"]
    assert run_jobs() == 1
    layer.refresh_from_db()
    assert rows.count() == 133 and set(rows.values_list("raster_version", flat=True)) == {layer.data_version}


def test_a_refresh_waits_for_the_one_running(comuni):
    """Never two refreshes at once: while another session holds the refresh lock, a new one waits."""
    import psycopg
    from django.core.management import call_command
    from django.db import OperationalError, connection

    from incontri import refresh, tasks

    assert tasks.refresh_analyses.lock == tasks.TASK and tasks.refresh_analyses.queueing_lock == tasks.TASK
    params = connection.get_connection_params()
    other = psycopg.connect(
        **{k: v for k, v in params.items() if k in ("dbname", "user", "password", "host", "port", "passfile")},
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [refresh.LOCK_KEY])
        assert refresh.is_running()
        with connection.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = '300ms'")
        with pytest.raises(OperationalError, match="lock timeout"), transaction_savepoint():
            call_command("incontri", "refresh")
        other.execute("SELECT pg_advisory_unlock(%s)", [refresh.LOCK_KEY])
        assert not refresh.is_running()
        call_command("incontri", "refresh")  # the synchronous path runs once the lock is free
        assert not refresh.is_running()
    finally:
        other.close()


def transaction_savepoint():
    from django.db import transaction

    return transaction.atomic()


def test_identify_carries_the_statistics_of_the_areas_it_lists(raster, comuni, client):
    """The identify popup needs no request of its own: with ``statistics=1`` each area hit of an area-set layer
    comes with exactly what the batch URL gives for it, current after a published change of the areas."""
    from django.contrib.gis.geos import GEOSGeometry

    from mappature.models import Comune, PgtAtto, PgtFeature

    def multi(box):
        return GEOSGeometry(memoryview(shapely.MultiPolygon([box]).wkb), srid=32632)

    atto = PgtAtto.objects.create(
        comune=Comune.objects.get(istat_code="015002"), state=PgtAtto.State.VIGENTE, spec_version="test"
    )
    areas = [
        PgtFeature.objects.create(
            atto=atto, istat_code="015002", layer="ambiti_trasformazione", feature_key=key, geom=multi(box), attrs={}
        )
        for key, box in (("A", cell(0, 0, 2, 2)), ("B", cell(2, 0, 2, 2)))
    ]
    from tests.mappature.factories import make_layers

    make_layers()  # the registry as declared: the PGT layers public
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(500200, 5000300), 32632), 4326) p"
        )
        lon, lat = cur.fetchone()
    url = f"/api/identifica?lon={lon}&lat={lat}&layers=pgt_ambiti_trasformazione&tolerance=50"
    plain = client.get(url).json()
    assert "results" in plain, plain
    (result,) = plain["results"]
    assert sorted(f["id"] for f in result["features"]) == sorted(a.pk for a in areas)
    assert "statistics" not in result  # only when asked for
    body = client.get(url + "&statistics=1").json()
    (result,) = body["results"]
    assert {k: v for k, v in result.items() if k != "statistics"} == plain["results"][0]
    ids = ",".join(str(a.pk) for a in areas)
    batch = client.get(f"/api/incontri/statistiche/ambiti_trasformazione?ids={ids}").json()["statistics"]
    assert result["statistics"] == batch and sorted(batch) == sorted(str(a.pk) for a in areas)
    (stat,) = [s for s in result["statistics"][str(areas[0].pk)] if s["raster"] == "prova_raster"]
    assert stat["mean"] == pytest.approx((1 + 2 + 5 + 6) / 4) and stat["current"]
    # A published change of the areas (data_version only): identify's statistics are recomputed on read.
    PgtFeature.objects.filter(pk=areas[0].pk).update(geom=multi(cell(0, 1, 2, 1)))
    version = Layer.objects.get(slug="pgt_ambiti_trasformazione").data_version + 1
    Layer.objects.filter(slug="pgt_ambiti_trasformazione").update(data_version=version)
    body = client.get(url + "&statistics=1").json()
    (stat,) = [s for s in body["results"][0]["statistics"][str(areas[0].pk)] if s["raster"] == "prova_raster"]
    assert stat["mean"] == pytest.approx((5 + 6) / 2) and stat["current"] and stat["area_version"] == version
    # A layer that is no area set gets no statistics, and the comune is still answered.
    assert client.get(f"/api/identifica?lon={lon}&lat={lat}&statistics=1").json()["results"] == []


def test_an_empty_area_set_is_not_recomputed_on_every_read(raster, comuni):
    """An area set without areas stores no statistics: once refreshed it is current, so a process's first read
    (freshness.ensure) does not open the raster and recompute it again."""
    first = zonal.refresh(rasters=["prova_raster"])
    assert ("prova_raster", "comuni", 133) in first
    with connection.cursor() as cur:  # the zone set emptied (as an empty thematic layer is)
        cur.execute("UPDATE mappature_zonaomogenea SET geom = ST_GeomFromText('MULTIPOLYGON EMPTY', 32632)")
    ZonalStat.objects.filter(area_set="zone").delete()
    assert not zonal.has_areas("mappature_zonaomogenea")
    assert zonal.refresh(rasters=["prova_raster"]) == []
