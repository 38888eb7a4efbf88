"""A GeoJSON layer of more than one page (1,000 features each): the further pages are asked together, not one
after the other, and once the layer is known to need several pages its count is asked beside the first page."""

import pytest
from django.db import connection

from tests.browser.webmap import one_row, open_map

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RHO = "015182"  # in the zona Nord Ovest


def _add_interventions(n: int) -> None:
    """``n`` synthetic interventions located at Rho (the test's own rows, flagged synthetic)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO mappature_realizzazione (code, cup, programme, funding_sources, title, comuni_istat, address,
                status, amount_eur, domains, year_start, year_end, source_url, source_date, attribution, notes,
                location_precision, synthetic, source_id)
            SELECT 'P' || g, '', 'PINQuA', ARRAY['PNRR'], 'Intervento di prova ' || g, ARRAY[%s], '', 'in corso',
                   100000 + g, ARRAY['casa'], 2022, 2026, '', '', 'prova', '', 'comune', true, 'test-paging'
            FROM generate_series(1, %s) g
            """,
            [RHO, n],
        )


def _log(page, events):
    page.on("request", lambda r: events.append(("asked", r.url)) if "/realizzazioni/elementi?" in r.url else None)
    page.on(
        "requestfinished", lambda r: events.append(("done", r.url)) if "/realizzazioni/elementi?" in r.url else None
    )


def _first(events, kind, *parts):
    return next(i for i, (k, url) in enumerate(events) if k == kind and all(p in url for p in parts))


def test_the_further_pages_of_a_layer_are_asked_together(page, live_server, map_data):
    _add_interventions(2500)
    total = one_row("SELECT count(*) FROM mappature_realizzazione")[0]
    in_zona = one_row(
        "SELECT count(*) FROM mappature_realizzazione WHERE comuni_istat && ARRAY(SELECT c.istat_code"
        " FROM mappature_comune c JOIN mappature_zonaomogenea z ON z.id = c.zona_id WHERE z.code = 'nord-ovest')"
        "::varchar[]"
    )[0]
    assert total > 2000 and 1000 < in_zona <= 10000
    events: list[tuple[str, str]] = []
    _log(page, events)
    open_map(page, live_server, "?layers=realizzazioni")
    page.wait_for_function(f"window.RemixDrawn.realizzazioni.getLayers().length === {total}", timeout=20000)
    # The first page says how many match; then the second and third pages are asked at once: the third is asked
    # before the second has come back (one after the other, it would be asked only once the second had).
    assert _first(events, "asked", "offset=2000") < _first(events, "done", "offset=1000"), events
    assert not any("limit=0" in url for _, url in events), events  # nothing was known yet: no separate count

    events.clear()
    page.select_option("#zona-select", "nord-ovest")
    page.wait_for_function(
        "(document.querySelector('#layer-tree li[data-layer=\"realizzazioni\"]').dataset.filter || '')"
        ".includes('zona=nord-ovest')",
        timeout=20000,
    )
    page.wait_for_function(f"window.RemixDrawn.realizzazioni.getLayers().length === {in_zona}", timeout=20000)
    # The layer needed several pages: its count is asked with the first page, and the second page is asked
    # before the first has come back.
    count = _first(events, "asked", "limit=0", "zona=nord-ovest")
    first = _first(events, "asked", "limit=1000", "offset=0", "zona=nord-ovest")
    assert abs(count - first) == 1, events
    assert _first(events, "asked", "offset=1000", "zona=nord-ovest") < _first(events, "done", "offset=0"), events
    item = page.locator('#layer-tree li[data-layer="realizzazioni"]')
    assert item.get_attribute("data-count") == str(in_zona)


def test_a_selection_asks_for_the_geojson_pages_before_the_tiles(page, live_server, map_data):
    """The GeoJSON layers' pages are the longest answers: on a change of selection they are asked first, before
    the tiles take the browser's six connections to the server (tiles are drawn in their own pane, under them)."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/strati/" in r.url or "/tiles/" in r.url else None)
    open_map(page, live_server, "?layers=pgt_ambiti_trasformazione,pgt_aree_dismesse,realizzazioni,stazioni")
    page.wait_for_function("document.documentElement.dataset.remixBusy === '0'", timeout=20000)
    asked.clear()
    page.select_option("#zona-select", "nord-ovest")
    page.wait_for_function(
        "(document.querySelector('#layer-tree li[data-layer=\"stazioni\"]').dataset.filter || '')"
        ".includes('zona=nord-ovest')",
        timeout=20000,
    )
    tiles = [i for i, url in enumerate(asked) if "/tiles/" in url]
    pages = [i for i, url in enumerate(asked) if "limit=1000" in url and "offset=0" in url]
    assert tiles and len(pages) == 2, asked
    assert max(pages) < min(tiles), asked
