"""The layer catalogue as a visitor uses it, in headless Chromium with no internet."""

import pytest
from playwright.sync_api import expect

from layers.models import Layer
from layers.sync import sync
from mappature.models import Comune, ThematicFeature

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def registry(comuni):
    sync()


def test_search_open_a_layer_and_see_its_features_and_legend(page, live_server, registry):
    """Search "zone", open the layer: the preview draws every zona and the legend lists them."""
    page.goto(f"{live_server.url}/catalogo/")
    page.fill("#catalogue-q", "zone omogenee")
    page.press("#catalogue-q", "Enter")
    results = page.locator("#catalogue-results li")
    expect(results).to_have_count(1)
    results.locator("h2 a").click()
    expect(page.locator("#layer-title")).to_have_text("Zone omogenee")
    page.wait_for_function("document.querySelector('#preview-map').dataset.loaded", timeout=20000)
    drawn = int(page.locator("#preview-map").get_attribute("data-loaded"))
    assert drawn == Layer.objects.get(slug="zone_omogenee").metadata["features"] == 8
    assert page.locator("#preview-map path.preview-feature").count() == 8
    legend = page.locator("#layer-legend li")
    expect(legend).to_have_count(8)
    expect(page.locator("#layer-legend")).to_contain_text("Sud Ovest")
    # The preview draws each zona with the colour its legend entry shows.
    fills = page.eval_on_selector_all(
        "#preview-map path.preview-feature", "els => els.map(e => e.getAttribute('fill'))"
    )
    assert "#666666" in fills and "#1b9e77" in fills
    expect(page.locator('#layer-metadata [data-field="features"]')).to_have_text("8")


def test_filter_by_comune_then_a_synthetic_layer_says_so(page, live_server, registry):
    """Choosing a comune keeps the layers with data there; a synthetic layer is labelled in its legend."""
    binasco = Comune.objects.get(name="Binasco")
    ThematicFeature.objects.create(
        layer="remix_incubatore",
        feature_key="b1",
        name="Ex cascina (prova)",
        istat_code=binasco.istat_code,
        synthetic=True,
        geom=binasco.geom.point_on_surface.buffer(80),
    )
    page.goto(f"{live_server.url}/catalogo/")
    page.select_option("#catalogue-comune", label="Binasco")
    page.locator(".catalogue-search button[type=submit]").click()
    item = page.locator('#catalogue-results li[data-slug="remix_incubatore"]')
    expect(item).to_be_visible()
    expect(item.locator(".badge.synthetic")).to_be_visible()
    assert page.locator('#catalogue-results li[data-slug="stazioni"]').count() == 0
    item.locator("h2 a").click()
    page.wait_for_function("document.querySelector('#preview-map').dataset.loaded", timeout=20000)
    assert page.locator("#preview-map").get_attribute("data-loaded") == "1"
    expect(page.locator("#legend-title .badge.synthetic")).to_be_visible()
    page.locator("#preview-map path.preview-feature").first.click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("Ex cascina (prova)")


def test_english_catalogue(page, live_server, registry):
    page.goto(f"{live_server.url}/en/catalogo/?q=stations")
    expect(page.locator("#catalogue-results")).to_contain_text("Railway and metro stations")


def test_preview_is_fitted_to_the_whole_data_extent(page, live_server, registry, settings):
    """The preview draws only the first features but frames the layer's whole extent."""
    settings.REMIX = {**settings.REMIX, "PREVIEW_MAX_FEATURES": 3}
    extent = Layer.objects.get(slug="comuni").metadata["extent"]
    page.goto(f"{live_server.url}/catalogo/comuni/")
    page.wait_for_function("document.querySelector('#preview-map').dataset.loaded", timeout=20000)
    assert page.locator("#preview-map").get_attribute("data-loaded") == "3"
    west, south, east, north = (float(x) for x in page.locator("#preview-map").get_attribute("data-bounds").split(","))
    assert west <= extent["west"] and south <= extent["south"] and east >= extent["east"] and north >= extent["north"]
    # ...and not a world view: the frame is at most a few times the extent.
    assert (east - west) < 4 * (extent["east"] - extent["west"])


def test_ogc_services_page_is_laid_out_and_scrolls_like_the_other_pages(page, live_server, registry):
    page.set_viewport_size({"width": 1280, "height": 600})
    page.goto(f"{live_server.url}/servizi/ogc/")
    section = page.locator("section.ogc-help")
    assert section.evaluate("e => getComputedStyle(e).maxWidth") == "1200px"
    assert page.locator("pre.copy").first.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    layers_list = page.locator("ul.ogc-layers")
    expect(layers_list).to_contain_text("comuni")
    page.mouse.move(640, 400)
    page.mouse.wheel(0, 3000)
    page.wait_for_function("document.querySelector('main').scrollTop > 0", timeout=5000)
    expect(layers_list).to_be_in_viewport()
    layers_list.get_by_role("link").first.click()
    expect(page.locator("#layer-title")).to_be_visible()
