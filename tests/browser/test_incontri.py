"""The matching panel of the map and the Bilancio report in headless Chromium."""

import pytest
from playwright.sync_api import expect

from incontri import context
from tests.browser.webmap import open_map
from tests.incontri.conftest import world  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_matching_panel_ranks_areas_for_an_intervention(page, live_server, world):  # noqa: F811
    context.refresh(force=True)
    open_map(page, live_server)
    panel = page.locator("#incontri-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#incontri-realizzazione option")).to_have_count(1)  # anonymous: no ideas
    page.click("#incontri-best")
    first = page.locator("#incontri-results ol.matches > li").first
    expect(first).to_have_attribute("data-area", f"ambiti_rigenerazione:{world['far'].pk}")
    expect(first).to_contain_text("AR lontano")
    first.locator("summary").click()
    expect(first.locator("details ul li")).to_have_count(5)
    expect(first.locator("details")).to_contain_text("abitativo")
    expect(page.locator("#incontri-gpkg")).to_be_visible()


def test_bilancio_report_page(page, live_server, world):  # noqa: F811
    page.goto(f"{live_server.url}/incontri/bilancio/?feature={world['near'].pk}")
    expect(page.locator("#bilancio-report h2")).to_contain_text("AT vicino")
    expect(page.locator("#bilancio-comuni tbody tr").first).to_contain_text("Abbiategrasso")
    expect(page.locator("#bilancio-verdict")).to_be_visible()
    pdf = f"/incontri/bilancio.pdf?feature={world['near'].pk}"
    expect(page.locator("#bilancio-pdf")).to_have_attribute("href", pdf)


def test_picking_an_area_lists_the_fitting_interventions_and_a_zona_ranks_areas(page, live_server, world):  # noqa: F811
    from django.db import connection

    context.refresh(force=True)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) AS p"
            " FROM mappature_pgtfeature WHERE id = %s) x",
            [world["far"].pk],
        )
        lon, lat = cur.fetchone()
        cur.execute(
            "SELECT z.code FROM mappature_zonaomogenea z JOIN mappature_comune c ON c.zona_id = z.id"
            " WHERE c.istat_code = '015002'"
        )
        zona = cur.fetchone()[0]
    open_map(page, live_server)
    page.evaluate(f"window.RemixMap.setView([{lat}, {lon}], 15, {{animate: false}}) && null")
    page.click("#incontri-pick")
    expect(page.locator("#incontri-results")).to_contain_text("Fai clic")
    point = page.evaluate(
        f"(() => {{ const p = window.RemixMap.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }})()"
    )
    page.locator("#map").click(position={"x": point[0], "y": point[1]})
    expect(page.locator("#incontri-results h3")).to_contain_text("AR lontano")
    expect(page.locator("#incontri-results ol.matches > li").first).to_contain_text("Case popolari")
    expect(page.locator("#incontri-results ul.programmes")).to_contain_text("Prova")
    page.select_option("#incontri-zona", zona)
    expect(page.locator(f'#incontri-results li[data-area="ambiti_rigenerazione:{world["far"].pk}"]')).to_be_visible()


def test_drawing_a_proposal_on_the_bilancio_map(page, live_server, comuni):
    from consegne.models import Membership
    from tests.consegne.conftest import PASSWORD, make_user

    make_user("staff.cmm", Membership.Role.STAFF)
    page.goto(f"{live_server.url}/consegne/accesso/")
    page.fill("#id_username", "staff.cmm")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#deliveries")).to_be_visible()
    page.goto(f"{live_server.url}/incontri/bilancio/")
    page.wait_for_function("window.BilancioMap !== undefined")
    # a rectangle around the centre of Milano, drawn with the rectangle tool
    page.evaluate("window.BilancioMap.setView([45.4642, 9.19], 15, {animate: false}) && null")
    page.click(".leaflet-draw-draw-rectangle")
    box = page.locator("#bilancio-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - 40, cy - 40)
    page.mouse.down()
    page.mouse.move(cx + 40, cy + 40, steps=5)
    page.mouse.up()
    page.wait_for_function("document.getElementById('id_geometry').value.includes('Polygon')")
    page.select_option("#id_function", "500")
    page.click("form.stack button[type=submit]")
    expect(page.locator("#bilancio-comuni tbody tr").first).to_contain_text("Milano")
    expect(page.locator("#bilancio-verdict")).to_be_visible()


def test_a_technician_sees_the_matches_of_their_idea_on_the_map(page, live_server, world):  # noqa: F811
    from django.contrib.gis.geos import Point

    from consegne.models import Membership
    from incontri.models import ProjectIdea
    from mappature.models import Comune
    from tests.consegne.conftest import PASSWORD, make_user

    context.refresh(force=True)
    make_user("t.abbiategrasso", Membership.Role.TECNICO, "015002")
    c = world["centre"]
    idea = ProjectIdea.objects.create(
        comune=world["comune"], title="Casa di quartiere", domains=["sociale"], geom=Point(c.x + 2900, c.y, srid=32632)
    )
    other = Comune.objects.exclude(pk=world["comune"].pk).first()
    ProjectIdea.objects.create(comune=other, title="Idea di altri", domains=["sociale"])
    page.goto(f"{live_server.url}/consegne/accesso/")
    page.fill("#id_username", "t.abbiategrasso")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#deliveries")).to_be_visible()
    open_map(page, live_server)
    options = page.locator("#incontri-realizzazione optgroup").nth(1).locator("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Casa di quartiere")
    page.select_option("#incontri-realizzazione", f"idee/{idea.pk}")
    page.click("#incontri-best")
    first = page.locator("#incontri-results ol.matches > li").first
    expect(first).to_have_attribute("data-area", f"ambiti_rigenerazione:{world['far'].pk}")
    expect(page.locator("#incontri-gpkg")).to_be_hidden()


def _raster_over_the_far_area(page, live_server, world, tmp_path, values):  # noqa: F811
    """A raster of ``values`` (10×10 cells of 100 m) around the far AR, its statistics stored; the map opened
    at the AR, returning the AR's point on the screen."""
    import rasterio
    from rasterio.transform import from_origin

    from incontri import zonal
    from layers.models import Layer
    from tests.mappature.factories import make_layers

    make_layers()
    x0, y0, x1, y1 = world["far"].geom.extent
    path = tmp_path / "costante.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="float32",
        crs="EPSG:32632",
        transform=from_origin(x0 - 400, y1 + 400, 100, 100),
        nodata=-9999,
    ) as dst:
        dst.write(values, 1)
    Layer.objects.create(
        slug="costante_raster",
        title_it="Raster costante",
        theme="sttm1",
        kind=Layer.Kind.RASTER,
        source=str(path),
        geometry_type="Raster",
        data_version=1,
        style={"kind": "graduated", "classes": [{"min": 0, "max": 2}, {"min": 2, "max": 4}]},
    )
    assert zonal.refresh(rasters=["costante_raster"], sets=["ambiti_rigenerazione"])
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) AS p"
            " FROM mappature_pgtfeature WHERE id = %s) x",
            [world["far"].pk],
        )
        lon, lat = cur.fetchone()
    open_map(page, live_server, f"?layers=pgt_ambiti_rigenerazione&map=16/{lat}/{lon}")
    return page.evaluate(
        f"(() => {{ const p = window.RemixMap.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }})()"
    )


def test_identify_popup_of_an_opportunity_area_shows_its_zonal_statistics(page, live_server, world, tmp_path):  # noqa: F811
    """A constant 2.5 raster over the AR: mean 2,5, max 2,5, all of it above the threshold 2 (style classes)."""
    import numpy as np

    point = _raster_over_the_far_area(page, live_server, world, tmp_path, np.full((10, 10), 2.5, dtype="float32"))
    page.locator("#map").click(position={"x": point[0], "y": point[1]})
    stats = page.locator(f'.leaflet-popup .zonal-stats[data-id="{world["far"].pk}"]')
    expect(stats).to_contain_text("Statistiche zonali")
    expect(stats).to_contain_text("Raster costante: media 2,5, massimo 2,5, 100% sopra la soglia (2)")


def _it(value: float) -> str:
    """A number as the popup writes it in Italian (at most two decimals, comma), computed here independently."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def test_identify_popup_gets_its_statistics_in_the_identify_answer(page, live_server, world, tmp_path):  # noqa: F811
    """One request for the whole popup: the identify answer carries the areas' statistics (no statistiche
    request), and the popup shows the figures stored in the database."""
    import numpy as np

    from incontri.models import ZonalStat

    values = np.add.outer(np.arange(10), np.arange(10)).astype("float32") * 0.22  # not constant: a real mean
    point = _raster_over_the_far_area(page, live_server, world, tmp_path, values)
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    page.locator("#map").click(position={"x": point[0], "y": point[1]})
    stats = page.locator(f'.leaflet-popup .zonal-stats[data-id="{world["far"].pk}"]')
    expect(stats).to_contain_text("Statistiche zonali")
    page.wait_for_timeout(300)  # a late request would show here
    assert len([u for u in asked if "/api/identifica?" in u]) == 1
    assert [u for u in asked if "/statistiche" in u] == []
    from layers.models import Layer

    titles = dict(Layer.objects.values_list("slug", "title_it"))
    rows = ZonalStat.objects.filter(area_set="ambiti_rigenerazione", area_id=str(world["far"].pk)).order_by("raster")
    expected = [
        f"{titles[row.raster]}: media {_it(row.mean)}, massimo {_it(row.max)}, "
        f"{_it(100 * row.share_above)}% sopra la soglia ({_it(row.threshold)})"
        for row in rows
        if row.mean is not None
    ]
    mine = next(row for row in rows if row.raster == "costante_raster")
    assert mine.mean != mine.max  # not a constant: the figures are read, not guessed
    expect(stats.locator("li")).to_have_text(expected)
