"""The planners' map on the real Realizzazioni: filters and figures agree with the shipped data, in IT and EN."""

import csv
import io
import re
from collections import Counter
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.webmap import open_map
from tests.shipped import expected_by_source, zona_comuni_names

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITALIAN_EUR = re.compile(r"^\d{1,3}(\.\d{3})*,\d{2}\s€$")


def _most_common(rows, key):
    return Counter(v for r in rows for v in r[key]).most_common(1)[0][0]


def _wait_filtered(page, fragment):
    page.wait_for_function(
        "f => (document.querySelector('#summary').dataset.filter || '').includes(f) && "
        "!document.querySelector('#summary').dataset.loading && "
        "document.querySelector('#layer-tree li[data-layer=\"realizzazioni\"]').dataset.count !== '' && "
        "(document.querySelector('#layer-tree li[data-layer=\"realizzazioni\"]').dataset.filter || '').includes(f)",
        arg=fragment,
        timeout=20000,
    )


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize(("param", "key"), [("funding_source", "sources"), ("domain", "domain_list")])
def test_filter_by_source_or_domain_map_table_summary_and_csv_agree(page, live_server, realizzazioni, lang, param, key):
    value = _most_common(realizzazioni, key)
    codes = sorted(r["id"] for r in realizzazioni if value in r[key])
    prefix = "/en" if lang == "en" else ""
    page.goto(f"{live_server.url}{prefix}/mappa/?layers=realizzazioni")
    page.wait_for_function("document.querySelector('#map').dataset.loaded === '1'", timeout=20000)
    page.locator("#filters-box summary").click()
    page.select_option(f"#f-{param}", value)
    _wait_filtered(page, param + "=")
    item = page.locator('#layer-tree li[data-layer="realizzazioni"]')
    assert int(item.get_attribute("data-count")) == len(codes)
    summary = page.locator("#summary")
    assert int(summary.locator('[data-field="n_interventions"]').get_attribute("data-value")) == len(codes)
    expect(page.locator("#table-info")).to_have_attribute("data-total", str(len(codes)))
    assert page.locator("#map-error").is_hidden()
    href = page.locator("#table-csv").get_attribute("href")
    answer = page.request.get(live_server.url + href)
    assert answer.status == 200
    rows = list(csv.reader(io.StringIO(answer.text())))
    assert sorted(r[0] for r in rows[1:]) == codes
    # The features drawn on the map are the selected ones.
    drawn = page.evaluate("""[...new Set(window.RemixDrawn.realizzazioni.getLayers()
        .map(m => m.feature.properties.code))].sort()""")
    assert drawn == codes


def test_funding_of_a_zona_adds_up_to_the_shipped_data(page, live_server, realizzazioni):
    """Nord Milano: the per-source bars add up to the total, Solaro's co-funding is its own, no 0 € bars."""
    names = zona_comuni_names()["Nord Milano"]
    rows = [r for r in realizzazioni if set(r["names"]) & names]
    total = sum((r["amount"] for r in rows if r["amount"] is not None), Decimal(0))
    without = sum(r["amount"] is None for r in rows)
    open_map(page, live_server, "?layers=realizzazioni&zona=nord-milano")
    _wait_filtered(page, "zona=nord-milano")
    summary = page.locator("#summary")
    amount = summary.locator('[data-field="amount_eur"]')
    assert Decimal(amount.get_attribute("data-value")) == total
    assert ITALIAN_EUR.match(amount.inner_text()), amount.inner_text()
    expect(summary.locator('[data-field="n_without_amount"]')).to_have_text(f"{without} di {len(rows)} senza importo")
    bars = page.locator("#chart-sources svg g")
    values = [Decimal(v) for v in bars.evaluate_all("gs => gs.map(g => g.dataset.value)")]
    assert all(v > 0 for v in values)  # a missing amount is never drawn as a 0 € bar
    assert sum(values) == total
    expected = {s: f for s, f in expected_by_source(rows).items() if f["amount_eur"] > 0}
    labels = bars.evaluate_all("gs => gs.map(g => [g.dataset.label, g.dataset.value])")
    assert {label: Decimal(v) for label, v in labels} == {s: f["amount_eur"] for s, f in expected.items()}
    expect(page.locator("#per-inhabitant-note")).to_contain_text("comuni selezionati")


def test_the_amount_filter_accepts_italian_thousands(page, live_server, realizzazioni):
    n = sum(1 for r in realizzazioni if r["amount"] is not None and r["amount"] >= 1_000_000)
    open_map(page, live_server, "?layers=realizzazioni")
    page.locator("#filters-box summary").click()
    page.fill("#f-amount_min", "1.000.000")
    page.press("#f-amount_min", "Tab")
    _wait_filtered(page, "amount_min=")
    assert int(page.locator('#layer-tree li[data-layer="realizzazioni"]').get_attribute("data-count")) == n
    assert page.locator("#filter-error").is_hidden()


def test_a_failing_request_is_shown_and_the_table_is_not_left_stale(page, live_server, realizzazioni):
    open_map(page, live_server, "?layers=realizzazioni")
    expect(page.locator("#attr-table tbody tr").first).to_be_visible()
    page.route(
        "**/api/strati/realizzazioni/elementi?**",
        lambda route: route.fulfill(status=500, content_type="application/json", body='{"error": "guasto di prova"}'),
    )
    page.select_option("#zona-select", "nord-milano")
    expect(page.locator("#map-error")).to_contain_text("guasto di prova")
    expect(page.locator("#attr-table tbody tr")).to_have_count(0)


def test_points_are_clustered_with_counts_and_multi_comune_is_one_feature(page, live_server, realizzazioni):
    multi = next(r for r in realizzazioni if len(r["names"]) > 2)
    open_map(page, live_server, "?layers=realizzazioni")
    page.wait_for_function("document.querySelectorAll('.marker-cluster').length > 0", timeout=20000)
    counts = page.locator(".marker-cluster").evaluate_all("els => els.map(e => Number(e.innerText))")
    assert all(n >= 2 for n in counts) and sum(counts) <= len(realizzazioni)
    per_code = page.evaluate(
        """code => window.RemixDrawn.realizzazioni.getLayers()
        .filter(m => m.feature.properties.code === code).length""",
        multi["id"],
    )
    assert per_code == 1  # one marker for the intervention, not one per comune
    assert page.evaluate("window.RemixDrawn.realizzazioni.getLayers().length") == len(realizzazioni)
    # The table names its comuni and says how precise its location is.
    page.fill("#comune-search", "Gessate")
    page.press("#comune-search", "Enter")
    row = page.locator("#attr-table tbody tr", has_text=multi["id"])
    expect(row).to_be_visible()
    assert "Gessate" in row.locator('td[data-col="comuni"]').inner_text()
    assert "Milano" in row.locator('td[data-col="comuni"]').inner_text()
    expect(row.locator('td[data-col="location_precision"]')).to_have_text("comune (punto nel comune, non il sito)")
