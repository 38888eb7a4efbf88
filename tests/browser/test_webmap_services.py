"""The planners' map and the OGC/export services together: GeoPackage export of the layers switched on,
and raster layers drawn as WMS images from our own /ows, in headless Chromium with no internet."""

import sqlite3

import pyogrio
import pyogrio.raw
import pytest
from playwright.sync_api import expect

from tests.browser.webmap import one_row, open_map
from tests.ogc.conftest import export_dir  # noqa: F401 - GeoPackages written under tmp_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RHO = "015182"


def _count(sql, params=()):
    return one_row(sql, params)[0]


def _values(path, layer, field) -> list[str]:
    """One field of every feature of one layer of the GeoPackage, as GDAL reads it."""
    meta, _fids, _geoms, fields = pyogrio.raw.read(path, layer=layer)
    return list(fields[list(meta["fields"]).index(field)])


def test_export_the_layers_switched_on_for_the_selected_comune(page, live_server, map_data, tmp_path):
    """Two layers on, Rho selected, export: the GeoPackage holds both layers, only Rho's features, and styles."""
    open_map(page, live_server, "?layers=")
    assert page.locator("#layer-tree input:checked").count() == 0
    page.check('#layer-tree input[value="pgt_ambiti_trasformazione"]')
    page.check('#layer-tree input[value="stazioni"]')
    page.fill("#comune-search", "Rho")
    page.press("#comune-search", "Enter")
    expect(page.locator("#selection-title")).to_have_text("Rho")
    page.click("#gpkg-btn")
    expect(page.locator("#gpkg-box")).to_have_attribute("data-status", "done", timeout=30000)
    expect(page.locator("#gpkg-status")).to_contain_text("Rho")
    with page.expect_download() as download:
        page.click("#gpkg-download")
    path = tmp_path / "export.gpkg"
    download.value.save_as(path)

    names = {row[0] for row in pyogrio.list_layers(path)}
    assert {"pgt_ambiti_trasformazione", "stazioni"} <= names, names
    at = _values(path, "pgt_ambiti_trasformazione", "comune")
    assert len(at) == _count("SELECT count(*) FROM pgt_ambiti_trasformazione WHERE istat_code = %s", [RHO]) > 0
    assert set(at) == {"Rho"}
    stations = _values(path, "stazioni", "istat_code")
    in_rho = _count(
        "SELECT count(*) FROM mappature_stazione s JOIN mappature_comune c ON ST_Within(s.geom, c.geom)"
        " WHERE c.istat_code = %s",
        [RHO],
    )
    assert len(stations) == in_rho > 0
    assert set(stations) == {RHO}
    with sqlite3.connect(path) as db:
        styled = {row[0] for row in db.execute("SELECT f_table_name FROM layer_styles")}
    assert {"pgt_ambiti_trasformazione", "stazioni"} <= styled


@pytest.mark.real_jobs
def test_a_background_export_shows_its_progress_then_the_link(
    page, live_server, map_data, settings, tmp_path, supervised_worker
):
    """Over the synchronous limit the job goes to the worker: the map polls it and offers the file."""
    settings.REMIX = {**settings.REMIX, "EXPORT_SYNC_MAX_FEATURES": 0}
    supervised_worker(REMIX_EXPORT_DIR=str(settings.REMIX["EXPORT_DIR"]))
    open_map(page, live_server, "?layers=pgt_ambiti_trasformazione&zona=nord-ovest")
    page.evaluate("""(() => { window.seen = []; const box = document.querySelector('#gpkg-box');
        const bar = document.querySelector('#gpkg-progress');
        new MutationObserver(() => window.seen.push(box.dataset.status + ':' + !bar.hidden))
          .observe(box, { attributes: true, attributeFilter: ['data-status'] }); })()""")
    page.click("#gpkg-btn")
    expect(page.locator("#gpkg-box")).to_have_attribute("data-status", "done", timeout=60000)
    seen = page.evaluate("window.seen")
    assert "queued:true" in seen or "running:true" in seen, seen  # the progress bar was shown meanwhile
    assert page.locator("#gpkg-progress").is_hidden()
    with page.expect_download() as download:
        page.click("#gpkg-download")
    path = tmp_path / "zona.gpkg"
    download.value.save_as(path)
    expected = _count(
        "SELECT count(*) FROM pgt_ambiti_trasformazione p JOIN mappature_comune c USING (istat_code)"
        " JOIN mappature_zonaomogenea z ON z.id = c.zona_id WHERE z.code = 'nord-ovest'"
    )
    assert len(_values(path, "pgt_ambiti_trasformazione", "comune")) == expected > 0
    assert _count("SELECT bool_and(background) FROM layers_exportjob")


def test_export_with_no_layer_on_says_so(page, live_server, map_data):
    open_map(page, live_server, "?layers=")
    page.click("#gpkg-btn")
    expect(page.locator("#gpkg-status")).to_have_text("Errore: Accendi almeno uno strato da esportare.")
    assert page.locator("#gpkg-download").is_hidden()


def test_export_of_the_map_extent(page, live_server, map_data, tmp_path):
    """ "The visible area": the export is cut to the map's extent (sent in lon/lat, stored in EPSG:32632)."""
    open_map(page, live_server, "?layers=pgt_ambiti_trasformazione&comune=015146")
    page.check('input[name="gpkg-area"][value="bbox"]')
    west, south, east, north = page.evaluate("window.RemixMap.getBounds().toBBoxString()").split(",")
    page.click("#gpkg-btn")
    expect(page.locator("#gpkg-box")).to_have_attribute("data-status", "done", timeout=30000)
    expect(page.locator("#gpkg-status")).to_contain_text("EPSG:32632")
    with page.expect_download() as download:
        page.click("#gpkg-download")
    path = tmp_path / "extent.gpkg"
    download.value.save_as(path)
    exported = _values(path, "pgt_ambiti_trasformazione", "comune")
    # The job's area covers what the map showed, and the file holds exactly the features meeting it.
    job_id = _count("SELECT max(id) FROM layers_exportjob")
    view = "ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 32632)"
    assert _count(
        f"SELECT ST_Covers(ST_Buffer(area, 1), {view}) FROM layers_exportjob WHERE id = %s",
        [west, south, east, north, job_id],
    )
    inside = _count(
        "SELECT count(*) FROM pgt_ambiti_trasformazione p JOIN layers_exportjob j ON j.id = %s"
        " WHERE ST_Intersects(p.geom, j.area)",
        [job_id],
    )
    assert len(exported) == inside
    assert "Milano" in exported
    assert 0 < inside < _count("SELECT count(*) FROM pgt_ambiti_trasformazione")


@pytest.fixture
def heat_raster(map_data, tmp_path):
    """The registry's heat-anomaly layer pointed at a small GeoTIFF over central Milano (values 0–4 °C)."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from layers.models import Layer
    from mappature.models import Comune

    centre = Comune.objects.get(istat_code="015146").geom.point_on_surface
    data = np.repeat(np.linspace(-0.5, 4.5, 40, dtype="float32")[None, :], 40, axis=0)
    path = tmp_path / "anomalia.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=40,
        height=40,
        count=1,
        dtype="float32",
        crs="EPSG:32632",
        transform=from_origin(centre.x - 2000, centre.y + 2000, 100, 100),
    ) as out:
        out.write(data, 1)
    layer = Layer.objects.get(slug="sttm1_anomalia_termica")
    layer.source = str(path)
    layer.save()
    return layer, centre


def test_raster_layer_is_drawn_from_our_own_wms(page, live_server, heat_raster):
    """Switching the heat anomaly on loads WMS images from /ows (200, PNG, not blank), with its legend."""
    from django.contrib.gis.geos import Point

    layer, centre = heat_raster
    ll = Point(centre.x, centre.y, srid=32632).transform(4326, clone=True)
    open_map(page, live_server, f"?layers=&map=13/{ll.y:.5f}/{ll.x:.5f}")
    item = page.locator(f'#layer-tree li[data-layer="{layer.slug}"]')
    expect(item).to_contain_text("(sintetico)")  # the synthetic label, said once (the title says it)
    tiles = []
    page.on("response", lambda r: tiles.append(r) if "/ows?" in r.url and "GetMap" in r.url else None)
    item.locator("input[type=checkbox]").check()
    page.wait_for_function(
        "document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile-loaded[src*=\"/ows?\"]').length >= 4",
        timeout=20000,
    )
    assert tiles and all(r.status == 200 and r.headers["content-type"] == "image/png" for r in tiles)
    assert all(r.url.startswith(live_server.url) for r in tiles)  # our own server: works offline
    # Not blank: some tile has opaque, coloured pixels (the classes of the registry style).
    painted = page.evaluate("""(() => {
        let n = 0;
        document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile-loaded[src*="/ows?"]').forEach(img => {
          const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
          const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
          const d = ctx.getImageData(0, 0, c.width, c.height).data;
          for (let i = 0; i < d.length; i += 4) { if (d[i + 3] > 100) n++; }
        });
        return n; })()""")
    assert painted > 1000
    legend = item.locator("img.legend-graphic")
    expect(legend).to_be_visible()
    assert "REQUEST=GetLegendGraphic" in legend.get_attribute("src")
    page.wait_for_function(
        f"document.querySelector('li[data-layer=\"{layer.slug}\"] img.legend-graphic').naturalHeight > 20"
    )


def test_identify_with_the_raster_on_gives_its_value_and_the_vector_features(page, live_server, heat_raster):
    """A click with the raster and a vector layer on: the popup shows the pixel's value (as rasterio reads it)
    and the vector features; the raster is not offered in the attribute table."""
    import rasterio
    from django.contrib.gis.geos import Point

    from layers.source_data import raster_path

    layer, centre = heat_raster
    at = _count("SELECT ST_AsText(ST_PointOnSurface(geom)) FROM pgt_ambiti_trasformazione WHERE istat_code = '015146'")
    point = Point.from_ewkt(f"SRID=32632;{at}")  # inside Milano's ambito and inside the raster
    ll = point.transform(4326, clone=True)
    with rasterio.open(raster_path(layer)) as src:
        expected = round(float(next(src.sample([(point.x, point.y)]))[0]), 2)
    open_map(page, live_server, f"?layers={layer.slug},pgt_ambiti_trasformazione&map=16/{ll.y:.6f}/{ll.x:.6f}")
    assert page.locator("#table-layer option").evaluate_all("os => os.map(o => o.value)") == [
        "pgt_ambiti_trasformazione"
    ]
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content .identify")
    expect(popup.locator(f'h4[data-layer="{layer.slug}"]')).to_have_text(layer.title_it)
    shown = popup.locator('dd[data-field="value"]').inner_text()
    # The click lands within a pixel of the point: neighbouring columns differ by 5/39 °C in this raster.
    value = float(shown.replace(".", "").replace(",", "."))  # shown in Italian format ("1,94")
    assert abs(value - expected) <= 5 / 39 + 0.01, (shown, expected)
    expect(popup.locator('h4[data-layer="pgt_ambiti_trasformazione"]')).to_be_visible()
