"""Vector tiles made by PostGIS: filtered by bound parameters, cached by data version, never stale."""

import pytest
from django.db import connection

from layers.models import Layer
from mappature.models import PgtFeature, TileCache
from tests.tiles import tile_of

pytestmark = pytest.mark.django_db


MILANO = (9.19, 45.465)


@pytest.mark.parametrize("z", [10, 14])
def test_tile_contains_the_ambiti_and_respects_the_zona_filter(client, map_data, z):
    x, y = tile_of(*MILANO, z) if z == 10 else _tile_on_feature("015146", z)
    url = f"/tiles/pgt_ambiti_trasformazione/{z}/{x}/{y}.pbf"
    full = client.get(url)
    assert full.status_code == 200 and full["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert b"pgt_ambiti_trasformazione" in full.content and b"Milano" in full.content
    other = client.get(url + "?zona=sud-ovest").content
    assert b"Milano" not in other


def _tile_on_feature(istat, z):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) p "
            "FROM pgt_ambiti_trasformazione WHERE istat_code = %s) s",
            [istat],
        )
        return tile_of(*cur.fetchone(), z)


def test_low_zoom_tiles_are_cached_per_data_version_and_never_stale(client, map_data):
    """A reload (data_version bump) makes the next request see the new data and drops old tiles."""
    x, y = tile_of(*MILANO, 9)
    url = f"/tiles/pgt_ambiti_trasformazione/9/{x}/{y}.pbf"
    version = Layer.objects.get(slug="pgt_ambiti_trasformazione").data_version
    before = client.get(url).content
    assert b"AT Milano" in before
    assert TileCache.objects.filter(layer="pgt_ambiti_trasformazione", data_version=version).count() == 1
    PgtFeature.objects.filter(istat_code="015146", layer="ambiti_trasformazione").update(
        attrs={"NOME_AMB": "Nuovo ambito Porta Romana"}
    )
    assert client.get(url).content == before  # same version: served from the cache
    Layer.objects.filter(slug="pgt_ambiti_trasformazione").update(data_version=version + 1)
    after = client.get(url).content
    assert b"Porta Romana" in after and b"Porta Romana" not in before
    assert set(TileCache.objects.values_list("data_version", flat=True)) == {version + 1}


def test_tile_outside_the_grid_and_hidden_layers_are_404(client, map_data):
    assert client.get("/tiles/pgt_ambiti_trasformazione/3/9/1.pbf").status_code == 404
    Layer.objects.filter(slug="pgt_aree_dismesse").update(published=False)
    assert client.get("/tiles/pgt_aree_dismesse/10/540/367.pbf").status_code == 404


def test_filter_values_are_bound_not_spliced(client, map_data):
    x, y = tile_of(*MILANO, 10)
    response = client.get(f"/tiles/realizzazioni/10/{x}/{y}.pbf", {"programme": "x' OR 1=1 --"})
    assert response.status_code == 200 and response.content == b""


def test_cache_key_holds_only_the_filters_that_change_the_layers_sql(client, map_data):
    """A PGT tile is the same whatever intervention filter the map sends along: one cache entry."""
    x, y = tile_of(*MILANO, 9)
    url = f"/tiles/pgt_ambiti_trasformazione/9/{x}/{y}.pbf"
    plain = client.get(url).content
    assert client.get(url, {"status": "concluso", "year": "2023"}).content == plain
    assert TileCache.objects.filter(layer="pgt_ambiti_trasformazione").count() == 1
    client.get(url, {"zona": "sud-ovest"})  # the territory changes a PGT layer's SQL
    assert TileCache.objects.filter(layer="pgt_ambiti_trasformazione").count() == 2
    realizzazioni = f"/tiles/realizzazioni/9/{x}/{y}.pbf"
    client.get(realizzazioni)
    client.get(realizzazioni, {"status": "concluso"})  # an intervention filter changes theirs
    assert TileCache.objects.filter(layer="realizzazioni").count() == 2


def test_tile_cache_is_bounded_and_evicts_the_least_recently_used(client, map_data, settings, monkeypatch):
    from mappature import tiles

    settings.REMIX = {**settings.REMIX, "MVT_CACHE_MAX_TILES": 2}
    monkeypatch.setattr(tiles, "EVICT_EVERY", 1)
    monkeypatch.setattr(tiles, "_TOUCH_AFTER_S", -1)  # every hit refreshes the last use
    url = "/tiles/pgt_ambiti_trasformazione/{}/{}/{}.pbf"
    a, b, c = ((z, *tile_of(*MILANO, z)) for z in (7, 8, 9))
    client.get(url.format(*a))
    client.get(url.format(*b))
    client.get(url.format(*a))  # a used again: b is now the least recently used
    client.get(url.format(*c))
    assert set(TileCache.objects.values_list("z", flat=True)) == {7, 9}


def test_tile_cache_is_bounded_in_bytes(client, map_data, settings, monkeypatch):
    from mappature import tiles

    monkeypatch.setattr(tiles, "EVICT_EVERY", 1)
    url = "/tiles/pgt_ambiti_trasformazione/{}/{}/{}.pbf"
    sizes = [len(client.get(url.format(z, *tile_of(*MILANO, z))).content) for z in (9, 10, 11)]
    assert min(sizes) > 0
    TileCache.objects.all().delete()
    settings.REMIX = {**settings.REMIX, "MVT_CACHE_MAX_BYTES": sum(sizes) - 1}
    for z in (9, 10, 11):
        client.get(url.format(z, *tile_of(*MILANO, z)))
    cached = dict(TileCache.objects.values_list("z", "size"))
    assert sum(cached.values()) <= sum(sizes) - 1 and 9 not in cached and 11 in cached


def _feature_boxes(relation: str) -> list[tuple]:
    """(istat_code, west, south, east, north) of each feature of a map relation, reprojected one by one."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT istat_code, ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) "  # noqa: S608 - a fixed view name
            f"FROM (SELECT istat_code, ST_Transform(geom, 4326) g FROM {relation}) s"
        )
        return cur.fetchall()


def _holds(box, west, south, east, north) -> bool:
    return box[0] <= west and box[1] <= south and box[2] >= east and box[3] >= north


def test_data_extents_hold_every_feature_of_each_comune_and_no_more(client, map_data):
    """Where a tiled layer's features lie (the map asks only for tiles that meet the selection's box)."""
    version = Layer.objects.get(slug="pgt_ambiti_trasformazione").data_version
    response = client.get(f"/api/strati/pgt_ambiti_trasformazione/estensioni?v={version}")
    assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=3600"
    body = response.json()
    assert body["layer"] == "pgt_ambiti_trasformazione" and body["data_version"] == version
    rows = _feature_boxes("pgt_ambiti_trasformazione")
    assert sorted(body["comuni"]) == sorted({r[0] for r in rows})
    for istat, *bbox in rows:
        assert _holds(body["comuni"][istat], *bbox), istat
        assert _holds(body["all"], *bbox)
    for istat, box in body["comuni"].items():  # tight: the union of its features' boxes, within a metre or so
        mine = [r[1:] for r in rows if r[0] == istat]
        union = (min(b[0] for b in mine), min(b[1] for b in mine), max(b[2] for b in mine), max(b[3] for b in mine))
        assert all(abs(a - b) < 2e-5 for a, b in zip(box, union, strict=True)), (istat, box, union)
    # Without the version (or with an old one) the answer is not kept.
    assert client.get("/api/strati/pgt_ambiti_trasformazione/estensioni")["Cache-Control"] == "public, no-cache"


def test_data_extents_of_interventions_are_not_per_comune(client, map_data):
    """Interventions are selected by the comuni they name, wherever they lie: only the box of them all."""
    body = client.get("/api/strati/realizzazioni/estensioni").json()
    assert body["comuni"] is None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent("
            "ST_Transform(geom, 4326)) e FROM map_realizzazioni) s"
        )
        union = cur.fetchone()
    if union[0] is None:
        assert body["all"] is None
    else:
        assert _holds(body["all"], *union)
    assert client.get("/api/strati/no-such-layer/estensioni").status_code == 404
