"""The "Indicatori" panel of the planners' map in headless Chromium: 133 comuni coloured, a series drawn."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.webmap import open_map

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DATA = Path(settings.BASE_DIR) / "data"


@pytest.fixture
def panel_data(load_source):
    from tests.indicatori.conftest import INPUTS
    from tests.mappature.factories import make_layers

    for source_id in INPUTS:
        load_source(source_id)
    make_layers()


def test_the_panel_colours_the_133_comuni_and_draws_a_series_with_zona_and_cmm(page, live_server, panel_data):
    open_map(page, live_server)
    page.wait_for_function("document.querySelector('#indicatori-panel').dataset.ready === '1'", timeout=20000)
    page.click("#indicatori-panel summary")
    page.select_option("#ind-code", "suolo_consumato_pct")
    page.wait_for_function("document.querySelector('#indicatori-panel').dataset.drawn === '133'", timeout=20000)
    assert page.input_value("#ind-period") == "2024"

    # Every comune is coloured by its class: the fill of each polygon follows ISPRA's 2024 %.
    records = json.loads((DATA / "ispra" / "ispra_consumo_suolo_015_2006_2024.json").read_text())
    fills = page.evaluate("""() => {
        const out = {};
        window.RemixIndicatori.layer.eachLayer(l => { out[l.feature.properties.code] = l.options.fillColor; });
        return out;
    }""")
    assert len(fills) == 133 and "#cccccc" not in fills.values()
    by_pct = sorted(records, key=lambda c: records[c][0]["Suolo consumato 2024 [%]"])
    palette = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"]  # higher is worse
    ranks = [palette.index(fills[c]) for c in by_pct]
    assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] == 4  # monotone with the value, all classes
    assert len(page.locator("#ind-legend .row").all()) == 6  # five classes and "no data"
    assert "ISPRA" in page.inner_text("#ind-source")
    legend = page.inner_text("#ind-legend")
    lowest = min(r[0]["Suolo consumato 2024 [%]"] for r in records.values())
    assert f"{lowest:.2f}".replace(".", ",") + " %" in legend  # Italian number format

    # Natural breaks reclassify without asking the server again.
    page.select_option("#ind-method", "jenks")
    assert len(page.locator("#ind-legend .row").all()) == 6

    # Selecting a comune in the ranking draws its series with its zona and the CMM as reference lines.
    page.locator('#ind-ranking li[data-code="015002"]').click()
    page.wait_for_selector("#ind-series svg polyline")
    names = page.eval_on_selector_all("#ind-series polyline", "els => els.map(e => e.dataset.name)")
    assert names == ["Abbiategrasso", "Magentino e Abbiatense", "Città metropolitana di Milano"]
    points = page.get_attribute("#ind-series polyline:first-of-type", "points").split()
    assert len(points) == 12  # 2006, 2012, 2015 … 2024
    figure = page.inner_text("#ind-figure")
    assert "14,88 %" in figure and "2024" in figure

    # Comparing with another comune adds its line and a table of both.
    page.select_option("#ind-compare", "015182")
    page.wait_for_function("document.querySelectorAll('#ind-series polyline').length === 4")
    assert "Rho" in page.inner_text("#ind-compare-result")
