"""The map's tools as G3W-SUITE/Lizmap users expect them: print PDF, measure, table, chips, search, tabs."""

import math
import re
import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.webmap import one_row, open_map

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _haversine(a, b):
    r = 6371008.8
    la1, lo1, la2, lo2 = (math.radians(v) for v in (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


@pytest.mark.parametrize("lang", ["it", "en"])
def test_print_makes_a_pdf_with_map_scale_bar_and_legend(page, live_server, realizzazioni, tmp_path, lang):
    prefix = "/en" if lang == "en" else ""
    page.goto(f"{live_server.url}{prefix}/mappa/?layers=comuni,realizzazioni&zona=nord-milano")
    page.wait_for_function("document.querySelector('#map').dataset.loaded === '1'", timeout=20000)
    page.click("#print-btn")
    page.select_option("#print-paper", "A4")
    page.select_option("#print-orientation", "landscape")
    page.fill("#print-scale", "50000")
    page.fill("#print-title-input", "Stampa di prova")
    href = page.locator("#print-pdf").get_attribute("href")
    assert "scale=50000" in href and "layers=comuni%2Crealizzazioni" in href and "zona=nord-milano" in href
    answer = page.request.get(live_server.url + href)
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "print.pdf"
    pdf.write_bytes(answer.body())
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    legend, scale = ("Legend", "1:50,000") if lang == "en" else ("Legenda", "1:50.000")
    for expected in ("Stampa di prova", legend, scale, "0 — 2 km", "N"):
        assert expected in text, expected
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "30", "-png", str(pdf), str(tmp_path / "p")], check=True)
    assert list(tmp_path.glob("p*.png"))


def test_measure_distance_and_area(page, live_server, map_data):
    open_map(page, live_server, "?layers=")  # no layer: a click on the map is a vertex, not a cluster
    page.wait_for_timeout(500)  # the first view settled
    page.click("#measure-distance")
    expect(page.locator("#measure-end")).to_be_visible()
    box = page.locator("#map").bounding_box()  # after the toolbar shows the hint
    x0, y0 = box["x"] + 200, box["y"] + 200
    points = [(x0, y0), (x0 + 300, y0)]
    for x, y in points:
        page.mouse.click(x, y)
        page.wait_for_timeout(350)  # not a double click
    latlngs = page.evaluate(
        """pts => pts.map(p => { const ll = window.RemixMap.containerPointToLatLng(p);
        return [ll.lat, ll.lng]; })""",
        [[200, 200], [500, 200]],
    )
    expected = _haversine(latlngs[0], latlngs[1])
    state = page.evaluate(
        "[window.RemixTools.measure.mode, window.RemixTools.measure.points.length, "
        "document.querySelector('#measure-result').outerHTML]"
    )
    assert state[1] == 2, state
    measured = float(page.locator("#measure-result").get_attribute("data-value"))
    assert measured == pytest.approx(expected, rel=0.005)
    assert page.locator(".leaflet-popup").count() == 0  # measuring clicks do not identify
    page.click("#measure-end")
    page.click("#measure-area")
    box = page.locator("#map").bounding_box()
    x0, y0 = box["x"] + 200, box["y"] + 200
    x0, y0 = box["x"] + 200, box["y"] + 100
    for x, y in [(x0, y0), (x0 + 200, y0), (x0 + 200, y0 + 200), (x0, y0 + 200)]:
        page.mouse.click(x, y)
        page.wait_for_timeout(350)
    corners = page.evaluate(
        """pts => pts.map(p => { const ll = window.RemixMap.containerPointToLatLng(p);
        return [ll.lat, ll.lng]; })""",
        [[200, 100], [400, 100], [400, 300], [200, 300]],
    )
    side_x, side_y = _haversine(corners[0], corners[1]), _haversine(corners[1], corners[2])
    page.wait_for_function("document.querySelector('#measure-result').dataset.value > 1000")
    area = float(page.locator("#measure-result").get_attribute("data-value"))
    assert area == pytest.approx(side_x * side_y, rel=0.01)
    expect(page.locator("#measure-result")).to_contain_text("km²")


def test_table_row_click_zooms_and_sorting_and_column_filter(page, live_server, realizzazioni):
    open_map(page, live_server, "?layers=realizzazioni")
    expect(page.locator("#attr-table tbody tr").first).to_be_visible()
    page.click('#attr-table thead button.sort[data-col="amount_eur"]')
    page.click('#attr-table thead button.sort[data-col="amount_eur"]')  # second click: descending
    sort_button = page.locator('#attr-table thead button.sort[data-col="amount_eur"]')
    expect(sort_button).to_have_attribute("data-sorted", "desc")
    top = max(r["amount"] for r in realizzazioni if r["amount"] is not None)
    expect(page.locator("#attr-table tbody tr").first.locator('td[data-col="amount_eur"]')).to_have_text(
        f"{top:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") + "\u00a0€"
    )
    row = page.locator("#attr-table tbody tr").first
    pk = int(row.get_attribute("data-id"))
    row.click()
    expect(page.locator("#map")).to_have_attribute("data-highlighted", f"realizzazioni:{pk}")
    lon, lat = one_row(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_Centroid(geom), 4326) p "
        "FROM map_realizzazioni WHERE id = %s) s",
        [pk],
    )
    inside = page.evaluate("([lat, lon]) => window.RemixMap.getBounds().pad(0.01).contains([lat, lon])", [lat, lon])
    assert inside and page.evaluate("window.RemixMap.getZoom()") >= 11
    # A text filter on a column, accents aside, shown as a chip.
    n = sum(1 for r in realizzazioni if "mobilit" in r["domains"])
    page.fill('#attr-table thead input[data-col="domains"]', "mobilita")
    expect(page.locator("#table-info")).to_have_attribute("data-total", str(n))
    expect(page.locator('#chips .chip[data-filter="col.domains"]')).to_contain_text("mobilita")
    page.click('#chips .chip[data-filter="col.domains"] button')
    expect(page.locator("#table-info")).to_have_attribute("data-total", str(len(realizzazioni)))


def test_permalink_restores_filters_visibly(page, live_server, realizzazioni):
    source = "PNRR M5C2 I2.3 PINQuA (MIT)"
    query = f"?layers=realizzazioni&zona=nord-ovest&funding_source={source}&tab=summary"
    open_map(page, live_server, query.replace(" ", "%20").replace("(", "%28").replace(")", "%29"))
    chips = page.locator("#chips")
    expect(chips.locator('.chip[data-filter="zona"]')).to_contain_text("Nord Ovest")
    expect(chips.locator('.chip[data-filter="funding_source"]')).to_contain_text(source)
    assert page.locator("#f-funding_source").input_value() == source
    expect(page.locator("#summary")).to_be_visible()  # the tab of the permalink
    page.click('#chips .chip[data-filter="funding_source"] button')
    expect(chips.locator('.chip[data-filter="funding_source"]')).to_have_count(0)
    assert "funding_source" not in page.url


@pytest.mark.parametrize(
    ("typed", "name"),
    [("sesto", "Sesto San Giovanni"), ("cinisello", "Cinisello Balsamo"), ("cassina de pecchi", "Cassina de' Pecchi")],
)
def test_comune_search_by_partial_name(page, live_server, map_data, typed, name):
    open_map(page, live_server)
    page.fill("#comune-search", typed)
    page.press("#comune-search", "Enter")
    expect(page.locator("#selection-title")).to_have_text(name)


def test_summary_is_one_click_away_and_groups_collapse(page, live_server, map_data):
    open_map(page, live_server)
    assert page.locator("#summary").is_hidden() and page.locator("#layer-tree").is_visible()
    page.click("#tab-summary")
    expect(page.locator("#summary")).to_be_visible()
    assert page.locator("#summary").bounding_box()["y"] < 300  # no scrolling past the layer tree
    page.click("#tab-layers")
    groups = page.locator("#layer-tree details.layer-group")
    assert groups.first.get_attribute("data-group") == "opportunita"
    expect(groups.first.locator("summary")).to_have_text("Opportunità")
    groups.first.locator("summary").click()
    assert groups.first.get_attribute("open") is None


@pytest.mark.parametrize(("typed", "nil"), [("brera", "BRERA"), ("nolo", "LORETO - CASORETTO - NOLO")])
def test_place_search_finds_milano_nil(page, live_server, map_data, load_source, typed, nil):
    """A NIL name (or part of it) selects Milano and frames the map on that NIL; a comune name still wins."""
    import geopandas
    from django.conf import settings

    load_source("milano_nil")
    nils = geopandas.read_file(settings.REMIX["DATA_DIR"] / "milano" / "ds964_nil_wm.geojson").to_crs(4326)
    west, south, east, north = nils[nils["NIL"] == nil].total_bounds
    open_map(page, live_server)
    page.fill("#comune-search", typed)
    page.press("#comune-search", "Enter")
    expect(page.locator("#selection-title")).to_have_text("Milano")
    expect(page.locator("#comune-search")).to_have_value(re.compile(re.escape(nil) + r" \(NIL \d+, Milano\)"))
    page.wait_for_function("document.querySelector('#comune-search').dataset.nil", timeout=5000)
    bounds = page.evaluate(
        "(() => { const b = window.RemixMap.getBounds(); "
        "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()"
    )
    centre_lon, centre_lat = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    assert west <= centre_lon <= east and south <= centre_lat <= north
    assert bounds[2] - bounds[0] < 4 * (east - west) + 0.01  # framed on the NIL, not on all of Milano
    page.fill("#comune-search", "magenta")  # a comune (Magenta) before the NIL "MAGENTA - S. VITTORE"
    page.press("#comune-search", "Enter")
    expect(page.locator("#selection-title")).to_have_text("Magenta")


def test_choosing_the_table_layer_again_keeps_its_rows_and_resets_sort_and_filters(page, live_server, realizzazioni):
    open_map(page, live_server, "?layers=realizzazioni")
    rows = page.locator("#attr-table tbody tr")
    expect(rows.first).to_be_visible()
    default_ids = rows.evaluate_all("trs => trs.map(r => r.dataset.id)")
    choose_again = """() => { const s = document.querySelector('#table-layer');
        s.dispatchEvent(new Event('change', {bubbles: true})); }"""
    # The same layer chosen again: the page already on screen is the answer; its rows are not built again.
    page.evaluate("() => { document.querySelector('#attr-table tbody tr').remixMark = 'kept'; }")
    rows.nth(1).click()
    expect(page.locator("#attr-table tbody tr.selected")).to_have_count(1)
    page.evaluate(choose_again)
    expect(page.locator("#attr-table tbody tr.selected")).to_have_count(0)
    assert page.evaluate("document.querySelector('#attr-table tbody tr').remixMark") == "kept"
    assert rows.evaluate_all("trs => trs.map(r => r.dataset.id)") == default_ids
    assert page.locator("#table-info").get_attribute("data-total") == str(len(realizzazioni))
    # A sort and a typed column filter are reset by choosing the layer again: the default page, empty filter.
    page.click('#attr-table thead button.sort[data-col="amount_eur"]')
    expect(page.locator('#attr-table thead button.sort[data-col="amount_eur"]')).to_have_attribute("data-sorted", "asc")
    page.fill('#attr-table thead input[data-col="domains"]', "mobilita")
    n = sum(1 for r in realizzazioni if "mobilit" in r["domains"])
    expect(page.locator("#table-info")).to_have_attribute("data-total", str(n))
    page.evaluate(choose_again)
    expect(page.locator("#table-info")).to_have_attribute("data-total", str(len(realizzazioni)))
    expect(page.locator('#attr-table thead button.sort[data-col="amount_eur"]')).to_have_attribute("data-sorted", "")
    expect(page.locator('#attr-table thead input[data-col="domains"]')).to_have_value("")
    assert rows.evaluate_all("trs => trs.map(r => r.dataset.id)") == default_ids
