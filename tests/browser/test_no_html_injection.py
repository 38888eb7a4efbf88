"""Names that come from data are shown as text, never parsed as HTML (home tooltip, catalogue preview)."""

import pytest
from django.db import connection
from playwright.sync_api import expect

from layers.models import Layer
from layers.sync import sync
from mappature.models import Comune, ZonaOmogenea

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HOSTILE = '<img src="x" onerror="window.__injected = 1">'


def test_a_comune_name_with_markup_is_text_in_the_tooltip(page, live_server, comuni):
    Comune.objects.filter(istat_code="015022").update(name=HOSTILE + "Besate")
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("#map[data-loaded]", state="attached", timeout=20000)
    page.hover('path.comune[data-istat="015022"]', force=True)
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_contain_text(HOSTILE)
    assert tooltip.locator("img").count() == 0
    assert page.evaluate("window.__injected") is None


def test_a_value_with_markup_is_text_in_the_preview_popup(page, live_server, comuni):
    sync()
    zona = ZonaOmogenea.objects.order_by("code").first()
    ZonaOmogenea.objects.filter(pk=zona.pk).update(name=HOSTILE + zona.name)
    page.goto(f"{live_server.url}/catalogo/zone_omogenee/")
    page.wait_for_selector("#preview-map[data-loaded]", state="attached", timeout=20000)
    features = page.locator("#preview-map path.preview-feature")
    for i in range(features.count()):
        features.nth(i).click(force=True)
        popups = page.locator(".leaflet-popup-content")
        if any(HOSTILE in text for text in popups.all_inner_texts()):
            break
    else:
        pytest.fail("no popup showed the hostile name as text")
    assert popups.locator("img").count() == 0
    assert page.evaluate("window.__injected") is None


def test_an_attribute_name_with_markup_is_text_in_the_preview_popup(page, live_server, comuni):
    """Attribute names are editable in the admin: the popup shows them as text too."""
    sync()
    name = "<img src=x onerror=window.__injected=1>"
    with connection.cursor() as cur:
        cur.execute(f'CREATE VIEW test_html_names AS SELECT id, name AS "{name}", geom FROM mappature_zonaomogenea')
    try:
        Layer.objects.filter(slug="zone_omogenee").update(
            source="test_html_names", style={}, attributes=[{"name": name, "label_it": "Nome"}]
        )
        page.goto(f"{live_server.url}/catalogo/zone_omogenee/")
        page.wait_for_selector("#preview-map[data-loaded]", state="attached", timeout=20000)
        features = page.locator("#preview-map path.preview-feature, #preview-map path")
        popups = page.locator(".leaflet-popup-content")
        for i in range(features.count()):
            features.nth(i).click(force=True)
            if any(name in text for text in popups.all_inner_texts()):
                break
        else:
            pytest.fail("no popup showed the attribute name as text")
        assert popups.locator("img").count() == 0
        assert page.evaluate("window.__injected") is None
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP VIEW IF EXISTS test_html_names")
