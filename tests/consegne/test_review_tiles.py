"""The review maps' vector tiles: per act, permission-checked, private, each feature marked by its change."""

import pytest
from django.urls import reverse

from consegne import actions
from consegne.queries import atto_extents
from tests.tiles import features as tile_features
from tests.tiles import tile_of

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def tile_url(atto_id: int, z: int, x: int, y: int, **compare) -> str:
    url = reverse("consegne:atto_tile", args=[atto_id, z, x, y])
    return url + "".join(f"?{k}={v}" for k, v in compare.items())


def features_of(client, atto_id: int, z: int = 12, **compare) -> dict[str, dict]:
    """Every feature of the act's tiles at zoom ``z`` (each tile covering its extent), by layer and key."""
    west, south, east, north = atto_extents([atto_id])[atto_id]["bbox"]
    (x0, y0), (x1, y1) = tile_of(west, north, z), tile_of(east, south, z)
    found = {}
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            response = client.get(tile_url(atto_id, z, x, y, **compare))
            assert response.status_code == 200
            for f in tile_features(response.content, "atto"):
                found[f["properties"]["layer"] + ":" + f["properties"]["feature_key"]] = f["properties"]
    return found


def test_tile_over_the_act_has_its_features_and_a_tile_far_away_is_empty(client, tecnico, staff, deliver):
    c = deliver(tecnico, "good_32632.gpkg")
    extent = atto_extents([c.atto_id])[c.atto_id]
    assert extent["count"] == c.summary["features"]
    west, south, east, north = extent["bbox"]
    assert 8.9 < west < east < 9.1 and 45.2 < south < north < 45.4  # Besate, in EPSG:4326
    login(client, staff)
    for z in (10, 15):  # generalised, and as stored
        x, y = tile_of((west + east) / 2, (south + north) / 2, z)
        response = client.get(tile_url(c.atto_id, z, x, y))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
        assert response["Cache-Control"] == "private"
        features = tile_features(response.content, "atto")
        assert features and all(f["geometry"]["coordinates"] for f in features)
        assert {"layer", "feature_key"} <= set(features[0]["properties"])
        assert "change" not in features[0]["properties"]  # nothing to compare against
    far = client.get(tile_url(c.atto_id, 15, *tile_of(12.49, 41.89, 15)))  # Roma
    assert far.status_code == 200 and far.content == b""
    # Every feature of the act is in its tiles at z12 (no generalisation there).
    assert len(features_of(client, c.atto_id)) == extent["count"]


def test_tiles_are_only_for_those_who_may_view_the_act(client, tecnico, tecnico_cassina, staff, deliver):
    c = deliver(tecnico, "good_32632.gpkg")
    url = tile_url(c.atto_id, 12, *tile_of(9.0, 45.3, 12))
    assert client.get(url).status_code == 302  # to the login page
    login(client, tecnico_cassina)
    assert client.get(url).status_code == 404  # another comune's act: as if it did not exist
    login(client, tecnico)  # their own comune's bozza
    assert client.get(url).status_code == 200
    assert client.get(reverse("consegne:atto_tile", args=[c.atto_id, 3, 9, 1])).status_code == 404  # off the grid
    assert client.get(reverse("consegne:atto_tile", args=[c.atto_id + 1000, 12, 0, 0])).status_code == 404
    # The act compared against must exist and be of the same comune; the value is never spliced.
    for bad in ("abc", "1 OR 1=1", "²", "-1", str(c.atto_id + 1000)):
        assert client.get(url, {"old": bad}).status_code == 404, bad


def test_bozza_tiles_mark_added_and_modified_features_and_the_vigente_the_removed(client, tecnico, staff, deliver):
    first = deliver(tecnico, "good_32632.gpkg")
    actions.publish(staff, first)
    second = deliver(tecnico, "variante_32632.gpkg")  # AT1 modified, AT2 removed, AT3 added
    login(client, staff)

    new = features_of(client, second.atto_id, old=first.atto_id)
    assert new["ambiti_trasformazione:AT1 Città Giardino"]["change"] == "modified"
    assert new["ambiti_trasformazione:AT3 Nuovo polo"]["change"] == "added"
    assert "ambiti_trasformazione:AT2 Cascina Façade" not in new
    assert {p["change"] for k, p in new.items() if k.startswith("consumo_suolo:")} == {"same"}

    old = features_of(client, first.atto_id, new=second.atto_id)
    assert old["ambiti_trasformazione:AT1 Città Giardino"]["change"] == "modified"
    assert old["ambiti_trasformazione:AT2 Cascina Façade"]["change"] == "removed"
    assert "ambiti_trasformazione:AT3 Nuovo polo" not in old

    # The page counts the same changes as the tiles mark.
    page = client.get(reverse("consegne:review", args=[second.pk]))
    changes = page.context["diff"]["changes"]["ambiti_trasformazione"]
    marked = [p["change"] for k, p in new.items() if k.startswith("ambiti_trasformazione:")]
    assert (changes["added"], changes["modified"]) == (marked.count("added"), marked.count("modified"))
    # ... and gives each map its tiles, extent and feature count.
    map_new, map_old = page.context["map_new"], page.context["map_old"]
    assert map_new["tiles"].endswith(f"/{{z}}/{{x}}/{{y}}.pbf?old={first.atto_id}")
    assert map_old["tiles"].endswith(f"/{{z}}/{{x}}/{{y}}.pbf?new={second.atto_id}")
    assert map_new["count"] == len(new) and map_old["count"] == len(old)
    assert len(map_new["bbox"].split(",")) == 4
    html = page.content.decode()
    assert 'id="review-legend"' in html and 'data-change="added"' in html
