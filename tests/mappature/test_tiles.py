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
