"""OGC API – Features at /ogcapi/ as OWSLib and GDAL use it: counts, paging, filters and CRS agree with
PostGIS, and the registry's visibility rules hold as on /ows."""

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from owslib.ogcapi.features import Features

from layers.models import Layer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ogc_data")]
LAYER = "ambiti_trasformazione"
RESTRICTED = ("riservato_autenticati", "riservato_gruppo", "non_pubblicato")
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
DECLARATION = Path(__file__).resolve().parents[2] / "layers" / "declarations" / "pgt_ambiti_trasformazione.yaml"


def _get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _items(client, slug=LAYER, **params):
    answer = client.get(f"/ogcapi/collections/{slug}/items", params)
    assert answer.status_code == 200, answer.content[:300]
    return answer, json.loads(answer.content)


def test_owslib_reads_landing_conformance_and_collections(ows_server):
    """OWSLib's client: conformance classes (Core, GeoJSON, CRS) and only the public vector layers."""
    api = Features(f"{ows_server}/ogcapi/")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in api.conformance()["conformsTo"]
    ids = {c["id"] for c in api.collections()["collections"]}
    assert {LAYER, "comuni", "punti"} <= ids
    assert ids.isdisjoint(RESTRICTED)
    info = api.collection(LAYER)
    assert info["title"] == "Ambiti di trasformazione (sintetico)"
    west, south, east, north = info["extent"]["spatial"]["bbox"][0]
    assert 8.5 < west < east < 9.7 and 45.1 < south < north < 45.8
    assert f"{EPSG}32632" in info["crs"] and f"{EPSG}3857" in info["crs"]


def test_owslib_pages_through_every_feature_once(ows_server, sql):
    """Following the next links from page to page returns each feature of the table exactly once."""
    expected = sorted(r[0] for r in sql("SELECT id FROM pgt_ambiti_trasformazione"))
    api = Features(f"{ows_server}/ogcapi/")
    page = api.collection_items(LAYER, limit=7)
    assert page["numberMatched"] == len(expected)
    seen = [f["id"] for f in page["features"]]
    while nxt := next((link["href"] for link in page["links"] if link["rel"] == "next"), None):
        status, _headers, body = _get(nxt)
        assert status == 200
        page = json.loads(body)
        assert page["numberReturned"] <= 7
        seen += [f["id"] for f in page["features"]]
    assert sorted(seen) == expected


def test_gdal_oapif_counts_equal_the_database(ows_server, sql):
    """ogrinfo OAPIF: lists the public collections and counts what PostGIS holds."""
    expected = sql("SELECT count(*) FROM pgt_ambiti_trasformazione")[0][0]
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{ows_server}/ogcapi/", LAYER],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert f"Feature Count: {expected}" in out
    assert "istat_code" in out and "nome_amb" in out
    listing = subprocess.run(
        ["ogrinfo", "-ro", "-q", f"OAPIF:{ows_server}/ogcapi/"], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert LAYER in listing and "riservato" not in listing
    full = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-q", f"OAPIF:{ows_server}/ogcapi/", "comuni"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert full.count("OGRFeature(comuni)") == sql("SELECT count(*) FROM mappature_comune")[0][0]


def test_bbox_returns_what_postgis_intersects(client, sql):
    """bbox (CRS84 and bbox-crs=EPSG:32632) selects what ST_Intersects selects."""
    x, y = sql(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM mappature_comune"
        " WHERE istat_code = '015146') s"
    )[0]
    box = (x - 700, y - 500, x + 300, y + 900)
    expected = sorted(
        r[0]
        for r in sql(
            "SELECT id FROM pgt_ambiti_trasformazione WHERE ST_Intersects(geom,"
            " ST_MakeEnvelope(%s, %s, %s, %s, 32632))",
            list(box),
        )
    )
    assert 0 < len(expected) < 16
    _answer, data = _items(client, bbox=",".join(map(str, box)), **{"bbox-crs": f"{EPSG}32632"}, limit=100)
    assert sorted(f["id"] for f in data["features"]) == expected
    w, s, e, n = sql(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Transform("
        "ST_MakeEnvelope(%s, %s, %s, %s, 32632), 4326)::box2d b) t",
        list(box),
    )[0]
    expected84 = sorted(
        r[0]
        for r in sql(
            "SELECT id FROM pgt_ambiti_trasformazione WHERE ST_Intersects(geom,"
            " ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 32632))",
            [w, s, e, n],
        )
    )
    _answer, data = _items(client, bbox=f"{w},{s},{e},{n}", limit=100)
    assert sorted(f["id"] for f in data["features"]) == expected84


def test_property_filter_by_comune_code(client, sql, declared_attributes):
    """istat_code=… returns the comune's features (leading zero kept), counted in numberMatched."""
    expected = sorted(r[0] for r in sql("SELECT id FROM pgt_ambiti_trasformazione WHERE istat_code = %s", ["015182"]))
    _answer, data = _items(client, istat_code="015182", limit=100)
    assert data["numberMatched"] == len(expected) > 0
    assert sorted(f["id"] for f in data["features"]) == expected
    assert {f["properties"]["istat_code"] for f in data["features"]} == {"015182"}


@pytest.fixture
def declared_attributes(db):
    layer = Layer.objects.get(slug=LAYER)
    layer.attributes = yaml.safe_load(DECLARATION.read_text())["attributes"]
    layer.save()
    return layer.attributes


def test_only_public_attributes_with_numbers_as_numbers(client, declared_attributes):
    """Features carry their id and exactly the declared attributes; numbers stay numbers."""
    _answer, data = _items(client, limit=1)
    feature = data["features"][0]
    assert isinstance(feature["id"], int)
    assert set(feature["properties"]) == {a["name"] for a in declared_attributes}
    assert isinstance(feature["properties"]["sup_terr"], float | int)


@pytest.mark.parametrize(
    ("crs", "srid", "flip"),
    [(f"{EPSG}32632", 32632, False), (f"{EPSG}3857", 3857, False), (f"{EPSG}4326", 4326, True), (None, 4326, False)],
)
def test_crs_of_the_answer(client, sql, crs, srid, flip):
    """Coordinates in the requested CRS (EPSG:4326 latitude first, CRS84 longitude first), said in Content-Crs."""
    fid, x, y = sql(
        "SELECT id, ST_X(g), ST_Y(g) FROM (SELECT id, ST_Transform(geom, %s) g FROM test_ogc_punti"
        " ORDER BY id LIMIT 1) t",
        [srid],
    )[0]
    params = {"crs": crs} if crs else {}
    answer = client.get(f"/ogcapi/collections/punti/items/{fid}", params)
    assert answer.status_code == 200
    got = json.loads(answer.content)["geometry"]["coordinates"]
    if flip:
        got = got[::-1]
    tolerance = 1e-6 if srid == 4326 else 0.01
    assert abs(got[0] - x) < tolerance and abs(got[1] - y) < tolerance
    expected = crs or "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert answer["Content-Crs"] == f"<{expected}>"


def test_item_by_id_and_not_found(client, sql):
    """A feature by its id; an unknown id or an unknown collection answers 404 as JSON, not cached."""
    fid, key = sql("SELECT id, feature_key FROM pgt_ambiti_trasformazione ORDER BY id LIMIT 1")[0]
    answer = client.get(f"/ogcapi/collections/{LAYER}/items/{fid}")
    assert json.loads(answer.content)["properties"]["feature_key"] == key
    for url in (f"/ogcapi/collections/{LAYER}/items/999999999", "/ogcapi/collections/nope/items"):
        missing = client.get(url)
        assert missing.status_code == 404 and missing["Cache-Control"] == "no-store"
        assert json.loads(missing.content)["code"] == "NotFound"


@pytest.mark.parametrize("layer", RESTRICTED)
def test_restricted_collections_are_not_served_to_anonymous(client, layer):
    """A layer that is not public is neither listed nor served (404, like a missing one)."""
    listed = {c["id"] for c in json.loads(client.get("/ogcapi/collections").content)["collections"]}
    assert layer not in listed
    for path in ("", "/items", "/items/1"):
        url = f"/ogcapi/collections/{layer}{path}"
        assert client.get(url).status_code == 404


def test_credentials_open_what_the_registry_allows(client, basic_auth):
    """HTTP Basic credentials see the authenticated layer, privately cached; wrong ones get 401."""
    answer = client.get("/ogcapi/collections/riservato_autenticati/items", **basic_auth("analista"))
    assert answer.status_code == 200
    assert answer["Cache-Control"].startswith("private")
    assert client.get("/ogcapi/collections/riservato_gruppo/items", **basic_auth("analista")).status_code == 404
    assert client.get("/ogcapi/collections/riservato_gruppo/items", **basic_auth("pianificatore")).status_code == 200
    import base64

    wrong = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"analista:sbagliata").decode()}
    assert client.get("/ogcapi/collections", **wrong).status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "abc"},
        {"offset": "-1"},
        {"bbox": "1,2,3"},
        {"crs": "EPSG:9999"},
        {"nope": "1"},
        {"f": "xml"},
    ],
)
def test_bad_parameters_are_clear_400s(client, params):
    answer = client.get(f"/ogcapi/collections/{LAYER}/items", params)
    assert answer.status_code == 400 and answer["Cache-Control"] == "no-store"
    assert json.loads(answer.content)["description"]


def test_limit_is_capped_and_next_link_pages_on(client, settings, sql):
    """A limit above the advertised maximum is lowered to it; the next link continues after it."""
    settings.REMIX = {**settings.REMIX, "OGC_SERVICE": {**settings.REMIX["OGC_SERVICE"], "max_features": 5}}
    _answer, data = _items(client, limit=1000)
    assert data["numberReturned"] == 5
    nxt = next(link["href"] for link in data["links"] if link["rel"] == "next")
    assert "offset=5" in nxt and "limit=1000" in nxt


def test_html_view_shows_labels_and_paging(client, declared_attributes):
    """f=html is a page with the declared labels, a link to each feature and the next page."""
    answer = client.get(f"/ogcapi/collections/{LAYER}/items", {"f": "html", "limit": 5})
    text = answer.content.decode()
    assert answer["Content-Type"].startswith("text/html")
    assert "<th>Codice ISTAT del comune</th>" in text and 'rel="next"' in text
    assert f"/ogcapi/collections/{LAYER}/items/" in text
    assert client.get("/ogcapi/", HTTP_ACCEPT="text/html").content.count(b"<html") == 1


def test_linked_from_the_catalogue_and_the_services_page(client):
    """The catalogue's layer page and /servizi/ogc/ link to the OGC API."""
    assert b"/ogcapi/collections/ambiti_trasformazione" in client.get(f"/catalogo/{LAYER}/").content
    assert b"/ogcapi/" in client.get("/servizi/ogc/").content
