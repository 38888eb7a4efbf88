"""The map's vector tiles after a selection: only the selection's features, and no tile asked in vain."""

import math
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.webmap import one_row, open_map
from tests.tiles import features

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAYER = "pgt_ambiti_trasformazione"
MILANO = "015146"
IDLE = (
    "n => Number(document.documentElement.dataset.remixIdle || 0) > n"
    " && document.documentElement.dataset.remixBusy === '0'"
)


def _tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees of a web-mercator tile."""
    n = 2**z

    def lat(row):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_a_comune_switch_draws_only_its_features_from_the_tiles_that_hold_them(page, live_server, map_data):
    asked_urls = []
    page.on("request", lambda r: asked_urls.append(r.url) if f"/tiles/{LAYER}/" in r.url else None)
    open_map(page, live_server, f"?layers={LAYER}")
    page.wait_for_function(IDLE, arg=0, timeout=20000)
    seq = int(page.evaluate("Number(document.documentElement.dataset.remixIdle || 0)"))
    page.fill("#comune-search", "Milano")
    page.press("#comune-search", "Enter")
    page.wait_for_function("document.querySelector('#summary').dataset.filter === 'comune=" + MILANO + "'")
    page.wait_for_function(IDLE, arg=seq, timeout=20000)
    z = page.evaluate("RemixMap.getZoom()")
    view = page.evaluate(
        "(() => { const b = RemixMap.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()"
    )
    asked = {}
    for url in asked_urls:
        parts = urlsplit(url)
        if parse_qs(parts.query).get("comune") != [MILANO]:
            continue  # the whole CMM's tiles, before the switch
        tz, tx, ty = parts.path.removesuffix(".pbf").split("/")[-3:]
        assert int(tz) == z, url
        # The page's own routing keeps the bodies from Playwright: the same URL again gives the same tile.
        asked[(int(tx), int(ty))] = urllib.request.urlopen(url).read()  # noqa: S310 - the live server
    # What the data say, independently of the page: Milano's features (EPSG:4326 boxes) and the tiles of the
    # view that hold any of them.
    with_features = {
        (x, y)
        for x in range(int((view[0] + 180) / 360 * 2**z), int((view[2] + 180) / 360 * 2**z) + 1)
        for y in range(2**z)
        if _overlaps(_tile_bounds(z, x, y), view)
        and one_row(
            f"SELECT count(*) FROM {LAYER} WHERE istat_code = %s "  # noqa: S608 - a fixed view name
            "AND ST_Intersects(geom, ST_Transform(ST_TileEnvelope(%s, %s, %s), 32632))",
            [MILANO, z, x, y],
        )[0]
    }
    assert with_features and with_features <= set(asked), (with_features, sorted(asked))
    box = one_row(
        f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(ST_Transform(geom, 4326)) e "  # noqa: S608
        f"FROM {LAYER} WHERE istat_code = %s) s",
        [MILANO],
    )
    # No tile asked in vain: each one asked meets the box of Milano's features (the view holds more tiles).
    assert all(_overlaps(_tile_bounds(z, x, y), box) for x, y in asked), (box, sorted(asked))
    # What the tiles draw is Milano's, all of it that the view shows.
    drawn = {
        (f["properties"]["istat_code"], f["properties"]["nome_amb"]) for b in asked.values() for f in features(b, LAYER)
    }
    expected = one_row(
        f"SELECT array_agg(nome_amb ORDER BY nome_amb) FROM {LAYER} WHERE istat_code = %s",  # noqa: S608
        [MILANO],
    )[0]
    assert sorted(drawn) == [(MILANO, n) for n in expected]
