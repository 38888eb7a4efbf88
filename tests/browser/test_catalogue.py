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
    results.get_by_role("link").click()
    expect(page.locator("#layer-title")).to_have_text("Zone omogenee")
    page.wait_for_function("document.querySelector('#preview-map').dataset.loaded", timeout=20000)
    drawn = int(page.locator("#preview-map").get_attribute("data-loaded"))
    assert drawn == Layer.objects.get(slug="zone_omogenee").metadata["features"] == 8
    assert page.locator("#preview-map path.preview-feature").count() == 8
    legend = page.locator("#layer-legend li")
    expect(legend).to_have_count(8)
    expect(page.locator("#layer-legend")).to_contain_text("Sud Ovest")
    # The preview draws each zona with the colour its legend entry shows.
    fills = page.eval_on_selector_all("#preview-map path.preview-feature",
                                      "els => els.map(e => e.getAttribute('fill'))")
    assert "#666666" in fills and "#1b9e77" in fills
    expect(page.locator('#layer-metadata [data-field="features"]')).to_have_text("8")


def test_filter_by_comune_then_a_synthetic_layer_says_so(page, live_server, registry):
    """Choosing a comune keeps the layers with data there; a synthetic layer is labelled in its legend."""
    binasco = Comune.objects.get(name="Binasco")
    ThematicFeature.objects.create(layer="remix_incubatore", feature_key="b1", name="Ex cascina (prova)",
                                   istat_code=binasco.istat_code, synthetic=True,
                                   geom=binasco.geom.point_on_surface.buffer(80))
    page.goto(f"{live_server.url}/catalogo/")
    page.select_option("#catalogue-comune", label="Binasco")
    page.locator(".catalogue-search button[type=submit]").click()
    item = page.locator('#catalogue-results li[data-slug="remix_incubatore"]')
    expect(item).to_be_visible()
    expect(item.locator(".badge.synthetic")).to_be_visible()
    assert page.locator('#catalogue-results li[data-slug="stazioni"]').count() == 0
    item.get_by_role("link").click()
    page.wait_for_function("document.querySelector('#preview-map').dataset.loaded", timeout=20000)
    assert page.locator("#preview-map").get_attribute("data-loaded") == "1"
    expect(page.locator("#legend-title .badge.synthetic")).to_be_visible()
    page.locator("#preview-map path.preview-feature").first.click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("Ex cascina (prova)")


def test_english_catalogue(page, live_server, registry):
    page.goto(f"{live_server.url}/en/catalogo/?q=stations")
    expect(page.locator("#catalogue-results")).to_contain_text("Railway and metro stations")
