"""The planners' map in headless Chromium with no internet: selection, identify, permalink, table, export."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.webmap import one_row, open_map

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_counts(page):
    page.wait_for_function(
        "[...document.querySelectorAll('#layer-tree input:checked')].every("
        "cb => cb.closest('li').dataset.count !== '') && !document.querySelector('#summary').dataset.loading",
        timeout=20000,
    )


def test_selecting_a_zona_filters_every_layer_and_the_summary_matches_the_database(page, live_server, map_data):
    open_map(page, live_server)
    for cb in page.locator("#layer-tree input[type=checkbox]:not([disabled])").all():
        cb.check()
    page.select_option("#zona-select", "nord-ovest")
    page.wait_for_function("document.querySelector('#summary').dataset.filter === 'zona=nord-ovest'")
    wait_counts(page)
    zona_comuni = (
        "SELECT c.istat_code FROM mappature_comune c JOIN mappature_zonaomogenea z ON z.id = c.zona_id "
        "WHERE z.code = 'nord-ovest'"
    )
    expected = {
        "pgt_ambiti_trasformazione": f"SELECT count(*) FROM pgt_ambiti_trasformazione "
        f"WHERE istat_code IN ({zona_comuni})",
        "pgt_aree_dismesse": f"SELECT count(*) FROM pgt_aree_dismesse WHERE istat_code IN ({zona_comuni})",
        "stazioni": f"SELECT count(*) FROM mappature_stazione WHERE istat_code IN ({zona_comuni})",
        "ptm_lum": f"SELECT count(*) FROM thematic_ptm_lum WHERE istat_code IN ({zona_comuni})",
        "realizzazioni": f"SELECT count(*) FROM mappature_realizzazione "
        f"WHERE comuni_istat && ARRAY({zona_comuni})::varchar[]",
    }
    for slug, sql in expected.items():
        item = page.locator(f'#layer-tree li[data-layer="{slug}"]')
        assert int(item.get_attribute("data-count")) == one_row(sql)[0], slug
        assert "zona=nord-ovest" in item.get_attribute("data-filter")
    n, total = one_row(
        f"SELECT count(*), sum(amount_eur) FROM mappature_realizzazione "
        f"WHERE comuni_istat && ARRAY({zona_comuni})::varchar[]"
    )
    pop = one_row(f"SELECT sum(population) FROM mappature_comune WHERE istat_code IN ({zona_comuni})")[0]
    summary = page.locator("#summary")
    assert int(summary.locator('[data-field="n_interventions"]').get_attribute("data-value")) == n
    assert float(summary.locator('[data-field="amount_eur"]').get_attribute("data-value")) == float(total)
    assert int(summary.locator('[data-field="population"]').get_attribute("data-value")) == pop
    assert summary.locator("#chart-sources svg g").count() >= 1
    # The map zoomed to the zona: Rho (in Nord Ovest) is inside the view, Binasco is not.
    bounds = page.evaluate("(() => { const u = new URL(location.href); return u.searchParams.get('map'); })()")
    assert bounds and int(bounds.split("/")[0]) >= 11


def test_one_request_per_geojson_layer_gives_both_features_and_count(page, live_server, map_data):
    """A GeoJSON layer's count comes from its first page (numberMatched); only tiled layers ask for it apart."""
    asked = []
    page.on("request", lambda r: asked.append(r.url.split("/api/strati/")[1]) if "/elementi?" in r.url else None)
    open_map(page, live_server, "?layers=stazioni,realizzazioni,pgt_ambiti_trasformazione")
    wait_counts(page)
    asked.clear()
    page.select_option("#zona-select", "nord-ovest")
    page.wait_for_function("document.querySelector('#summary').dataset.filter === 'zona=nord-ovest'")
    page.wait_for_function(
        "[...document.querySelectorAll('#layer-tree input:checked')].every("
        "cb => (cb.closest('li').dataset.filter || '').includes('zona=nord-ovest'))",
        timeout=20000,
    )
    wait_counts(page)
    drawn = [u for u in asked if "limit=20&" not in u]  # the attribute table pages on its own
    for slug in ("stazioni", "realizzazioni"):
        assert [u for u in drawn if u.startswith(slug + "/")] == [
            f"{slug}/elementi?limit=1000&zona=nord-ovest&offset=0&lang=it"
        ], asked
    assert [u for u in drawn if u.startswith("pgt_ambiti_trasformazione/")] == [
        "pgt_ambiti_trasformazione/elementi?zona=nord-ovest&limit=0&geometry=0&lang=it"
    ], asked
    zona_comuni = (
        "SELECT c.istat_code FROM mappature_comune c JOIN mappature_zonaomogenea z ON z.id = c.zona_id "
        "WHERE z.code = 'nord-ovest'"
    )
    item = page.locator('#layer-tree li[data-layer="stazioni"]')
    n = one_row(f"SELECT count(*) FROM mappature_stazione WHERE istat_code IN ({zona_comuni})")[0]
    assert item.get_attribute("data-count") == str(n)
    assert item.locator(".count").inner_text() == f"({n})"


def test_identify_popup_shows_the_feature_and_selects_its_comune(page, live_server, map_data):
    lat, lon = one_row(
        "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) p "
        "FROM pgt_ambiti_trasformazione WHERE istat_code = '015182') s"
    )
    open_map(page, live_server, f"?layers=pgt_ambiti_trasformazione&map=15/{lat}/{lon}")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content .identify")
    expect(popup.locator('[data-field="nome_amb"]')).to_have_text("AT Rho")
    # The registry title already says "(sintetico)": the popup says it once.
    heading = popup.locator('h4[data-layer="pgt_ambiti_trasformazione"]').inner_text()
    assert heading == "PGT – Ambiti di trasformazione (sintetico)", heading
    expect(popup.locator("p.comune")).to_contain_text("Rho")
    # Projects meet opportunities: the ambito finds Rho's station within 1 km.
    popup.locator('[data-action="nearby"]').first.click()
    expect(popup.locator(".nearby li", has_text="Stazione di Rho")).to_be_visible()
    popup.locator('[data-action="select-comune"]').click()
    expect(page.locator("#selection-title")).to_have_text("Rho")
    assert "comune=015182" in page.url


def test_permalink_round_trip(page, live_server, map_data, browser):
    open_map(page, live_server, "?layers=realizzazioni,stazioni")
    page.select_option("#zona-select", "sud-ovest")
    page.locator("#filters-box summary").click()
    page.select_option("#f-programme", "PINQuA")
    page.click("#tab-summary")  # the summary (and its comparison) is the panel's second tab
    page.select_option("#compare-with", "comune:015146")
    page.wait_for_function("(document.querySelector('#summary').dataset.filter || '').includes('PINQuA')")
    page.click("#permalink-btn")
    url = page.locator("#permalink-url").input_value()
    assert re.search(r"zona=sud-ovest", url) and "programme=PINQuA" in url and "compare=comune%3A015146" in url
    view = url.split("map=")[1].split("&")[0]
    other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    other.route(
        "**/*",
        lambda route: route.continue_()
        if route.request.url.startswith(("http://localhost", "http://127.0.0.1"))
        else route.abort(),
    )
    other.goto(url)
    other.wait_for_function("document.querySelector('#map').dataset.loaded === '1'", timeout=20000)
    assert other.locator("#zona-select").input_value() == "sud-ovest"
    assert other.locator("#f-programme").input_value() == "PINQuA"
    checked = other.locator("#layer-tree input:checked").evaluate_all("els => els.map(e => e.value)")
    assert sorted(checked) == ["realizzazioni", "stazioni"]
    other.wait_for_function("(document.querySelector('#summary').dataset.filter || '').includes('PINQuA')")
    expect(other.locator("#compare-result table")).to_be_visible()
    assert other.url.split("map=")[1].split("&")[0] == view
    other.context.close()


def test_attribute_table_pages_and_limits_to_the_map_extent(page, live_server, map_data):
    open_map(page, live_server, "?layers=pgt_ambiti_trasformazione")
    info = page.locator("#table-info")
    expect(info).to_contain_text("1–20 di 133")
    assert page.locator("#attr-table tbody tr").count() == 20
    first_ids = page.locator("#attr-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
    page.click("#table-next")
    expect(info).to_contain_text("21–40 di 133")
    second_ids = page.locator("#attr-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert len(second_ids) == 20 and not set(first_ids) & set(second_ids)
    # Zoom to Rho only, then limit the table to what the map shows.
    page.fill("#comune-search", "Rho")
    page.press("#comune-search", "Enter")
    expect(page.locator("#selection-title")).to_have_text("Rho")
    expect(info).to_contain_text("di 1")
    page.click("#clear-selection")
    expect(info).to_contain_text("di 133")
    lat, lon = one_row(
        "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) p "
        "FROM pgt_ambiti_trasformazione WHERE istat_code = '015146') s"
    )
    page.goto(f"{live_server.url}/mappa/?layers=pgt_ambiti_trasformazione&map=14/{lat}/{lon}")
    page.wait_for_function("document.querySelector('#map').dataset.loaded === '1'", timeout=20000)
    page.check("#table-extent")
    expect(page.locator("#attr-table tbody tr")).to_have_count(1)
    assert "Milano" in page.locator("#attr-table tbody").inner_text()
    csv = page.locator("#table-csv").get_attribute("href")
    assert "bbox=" in csv and "format=csv" in csv


def test_print_export_produces_a_non_empty_image(page, live_server, map_data):
    open_map(page, live_server, "?layers=pgt_ambiti_trasformazione,realizzazioni&zona=comune-di-milano")
    page.wait_for_timeout(800)  # let the canvases paint
    page.click("#export-png-btn")
    img = page.locator("#export-preview")
    page.wait_for_function("document.querySelector('#export-preview').naturalWidth > 0")
    assert int(img.get_attribute("data-width")) > 500
    # Pixels that are neither white nor the empty map background: the drawn layers, title and legend.
    coloured = page.evaluate("""(() => {
        const img = document.querySelector('#export-preview');
        const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
        const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          const white = d[i] > 250 && d[i+1] > 250 && d[i+2] > 250;
          const bg = d[i] === 0xee && d[i+1] === 0xf2 && d[i+2] === 0xf3;
          if (!white && !bg) n++;
        }
        return n; })()""")
    assert coloured > 2000
    assert page.locator("#export-png").get_attribute("href").startswith("data:image/png;base64,")
    # The print view (and the browser's "save as PDF") shows title, map and legend, not the panels.
    page.emulate_media(media="print")
    expect(page.locator("#print-title")).to_have_text("Mappa della rigenerazione — Comune di Milano")
    expect(page.locator("#print-legend")).to_contain_text("PGT – Ambiti di trasformazione (sintetico)")
    assert "(dati sintetici)" not in page.locator("#print-legend").inner_text()  # said once, by the title
    expect(page.locator("#print-legend p.sub").first).to_be_visible()  # the classes of Realizzazioni
    assert page.locator(".panel").is_hidden() and page.locator("#map").is_visible()


def test_english_map(page, live_server, map_data):
    page.goto(f"{live_server.url}/en/mappa/")
    page.wait_for_function("document.querySelector('#map').dataset.loaded === '1'", timeout=20000)
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator(".synthetic").first).to_have_text("synthetic data")
    # No internet in the test: the OpenStreetMap basemap fails and the map falls back to none.
    expect(page.locator("#status")).to_have_text("Basemap unreachable: map without basemap.", timeout=15000)


def test_tablet_layout_keeps_the_map_usable(browser, live_server, map_data):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="it-IT", has_touch=True)
    page = context.new_page()
    page.route(
        "**/*",
        lambda route: route.continue_()
        if route.request.url.startswith(("http://localhost", "http://127.0.0.1"))
        else route.abort(),
    )
    open_map(page, live_server)
    panel, map_box = page.locator(".panel").bounding_box(), page.locator("#map").bounding_box()
    assert panel["y"] < map_box["y"] and map_box["width"] >= 700 and map_box["height"] >= 250
    context.close()


def test_a_bad_amount_is_explained_next_to_the_filters(page, live_server, map_data):
    open_map(page, live_server, "?layers=realizzazioni")
    page.locator("#filters-box summary").click()
    page.fill("#f-amount_min", "dieci")
    page.press("#f-amount_min", "Tab")
    expect(page.locator("#filter-error")).to_contain_text("non è un importo valido")
