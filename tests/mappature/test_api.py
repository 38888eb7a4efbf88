"""The JSON API a planner's map and external tools use: layers, features, summaries, with query budgets."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers.models import Layer

pytestmark = pytest.mark.django_db


def _sql(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_layers_lists_only_what_the_user_may_see(client, map_data, django_assert_max_num_queries):
    """Anonymous users get public layers only; PGT layers are announced as vector tiles."""
    Layer.objects.filter(slug="pgt_aree_dismesse").update(visibility=Layer.Visibility.AUTHENTICATED)
    with django_assert_max_num_queries(2):
        body = client.get("/api/strati").json()
    slugs = {layer["slug"] for layer in body["layers"]}
    assert "pgt_aree_dismesse" not in slugs and "pgt_ambiti_trasformazione" in slugs
    by_slug = {layer["slug"]: layer for layer in body["layers"]}
    assert by_slug["pgt_ambiti_trasformazione"]["delivery"] == "mvt"
    assert by_slug["stazioni"]["delivery"] == "geojson"
    assert by_slug["pgt_ambiti_trasformazione"]["synthetic"] is True
    assert client.get("/api/strati/pgt_aree_dismesse/elementi").status_code == 404


def test_features_are_paged_with_a_cheap_count(client, map_data, django_assert_max_num_queries):
    """133 ambiti (one per comune) arrive 50 at a time, in EPSG:4326, with the total matched."""
    with django_assert_max_num_queries(4):
        first = client.get("/api/strati/pgt_ambiti_trasformazione/elementi?limit=50").json()
    assert first["numberMatched"] == 133 and first["numberReturned"] == 50
    last = client.get("/api/strati/pgt_ambiti_trasformazione/elementi?limit=50&offset=100").json()
    assert last["numberReturned"] == 33
    ids = {f["id"] for f in first["features"]} | {f["id"] for f in last["features"]}
    assert len(ids) == 83
    lon, lat = first["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 8.6 < lon < 9.6 and 45.1 < lat < 45.7


def test_limit_zero_is_the_count_alone(client, map_data):
    """The map's layer counts ask for ``limit=0``: the count of the selection, and no page of rows read."""
    expected = _sql(
        "SELECT count(*) FROM pgt_ambiti_trasformazione WHERE zona_omogenea = "
        "(SELECT name FROM mappature_zonaomogenea WHERE code = 'nord-ovest')"
    )[0][0]
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/strati/pgt_ambiti_trasformazione/elementi?zona=nord-ovest&limit=0&geometry=0").json()
    assert body["numberMatched"] == expected > 0 and body["numberMatchedIsExact"] is True
    assert body["features"] == [] and body["numberReturned"] == 0 and body["limit"] == 0
    assert not [q for q in queries if "row_number() OVER" in q["sql"]]  # no page query
    assert client.get("/api/strati/pgt_ambiti_trasformazione/elementi?limit=-1").status_code == 400


def test_zona_filter_and_bbox_match_the_database(client, map_data):
    """Filtering by zona returns exactly the features whose comune is in it; bbox narrows further."""
    expected = _sql(
        "SELECT count(*) FROM pgt_ambiti_trasformazione WHERE zona_omogenea = "
        "(SELECT name FROM mappature_zonaomogenea WHERE code = 'nord-ovest')"
    )[0][0]
    body = client.get("/api/strati/pgt_ambiti_trasformazione/elementi?zona=nord-ovest&limit=1000").json()
    assert body["numberMatched"] == expected > 0
    assert {f["properties"]["zona_omogenea"] for f in body["features"]} == {"Nord Ovest"}
    # Rho only: a small box around its ambito.
    rho = _sql(
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Transform(ST_Centroid(geom), 4326) c "
        "FROM pgt_ambiti_trasformazione WHERE istat_code = '015182') s"
    )[0]
    bbox = f"{rho[0] - 0.001},{rho[1] - 0.001},{rho[0] + 0.001},{rho[1] + 0.001}"
    boxed = client.get(f"/api/strati/pgt_ambiti_trasformazione/elementi?bbox={bbox}").json()
    assert [f["properties"]["comune"] for f in boxed["features"]] == ["Rho"]


def test_intervention_filters_apply_to_the_interventions_layer(client, map_data):
    body = client.get("/api/strati/realizzazioni/elementi?programme=PINQuA&amount_min=5000000").json()
    rows = _sql("SELECT count(*) FROM mappature_realizzazione WHERE programme = 'PINQuA' AND amount_eur >= 5000000")
    assert body["numberMatched"] == rows[0][0] > 0
    assert all(f["properties"]["programme"] == "PINQuA" for f in body["features"])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("comune=Milano", "codice ISTAT"),
        ("amount_min=dieci", "importo"),
        ("amount_min=10&amount_max=5", "minimo"),
        ("bbox=1,2,3", "bbox"),
        ("limit=100000", "limit"),
        ("zona=x'%3B--", "Zona"),
    ],
)
def test_bad_parameters_get_a_clear_italian_message(client, map_data, query, message):
    response = client.get(f"/api/strati/realizzazioni/elementi?{query}")
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_english_error_messages(client, map_data):
    response = client.get("/api/strati/realizzazioni/elementi?year=1200", headers={"accept-language": "en"})
    assert response.status_code == 400 and "valid year" in response.json()["error"]


def test_csv_export_streams_every_selected_row(client, map_data):
    response = client.get("/api/strati/pgt_ambiti_trasformazione/elementi?format=csv&zona=sud-ovest")
    lines = b"".join(response.streaming_content).decode().splitlines()
    expected = _sql(
        "SELECT count(*) FROM pgt_ambiti_trasformazione p JOIN mappature_comune c USING (istat_code) "
        "JOIN mappature_zonaomogenea z ON z.id = c.zona_id WHERE z.code = 'sud-ovest'"
    )[0][0]
    assert len(lines) == expected + 1
    assert lines[0].startswith('"Comune","Zona omogenea"')  # the labels of the registry


def test_summary_equals_the_database(client, map_data, django_assert_max_num_queries):
    """Number, total funding, per inhabitant and opportunity hectares of a zona, as PostGIS computes them."""
    with django_assert_max_num_queries(2):  # the summary, and the rate-limit counter of the client
        s = client.get("/api/riepilogo?zona=nord-ovest").json()["summary"]
    n, total = _sql("""SELECT count(*), sum(amount_eur) FROM mappature_realizzazione r WHERE r.comuni_istat &&
        ARRAY(SELECT istat_code FROM mappature_comune c JOIN mappature_zonaomogenea z ON z.id = c.zona_id
              WHERE z.code = 'nord-ovest')::varchar[]""")[0]
    pop = _sql(
        "SELECT sum(population) FROM mappature_comune c JOIN mappature_zonaomogenea z ON z.id = c.zona_id "
        "WHERE z.code = 'nord-ovest'"
    )[0][0]
    assert s["n_interventions"] == n > 0
    assert s["amount_eur"] == float(total)
    assert s["per_inhabitant_eur"] == round(float(total) / pop, 2)
    ha = _sql(
        "SELECT sum(ST_Area(ST_Transform(geom, 4326)::geography)) / 1e4 FROM pgt_ambiti_trasformazione "
        "WHERE zona_omogenea = 'Nord Ovest'"
    )[0][0]
    at = next(o for o in s["opportunities"] if o["kind"] == "ambiti_trasformazione")
    assert at["ha"] == pytest.approx(ha, abs=0.01)
    pnrr = next(row for row in s["by_source"] if row["source"] == "PNRR")
    assert pnrr["n"] <= n


def test_compare_two_comuni(client, map_data):
    body = client.get("/api/confronto?a=comune:015146&b=zona:sud-ovest").json()
    assert body["a"]["summary"]["n_comuni"] == 1
    assert (
        body["b"]["summary"]["n_comuni"]
        == _sql(
            "SELECT count(*) FROM mappature_comune c JOIN mappature_zonaomogenea z ON z.id = c.zona_id "
            "WHERE z.code = 'sud-ovest'"
        )[0][0]
    )
    assert client.get("/api/confronto?a=comune:015146&b=Milano").status_code == 400


def test_projects_meet_opportunities(client, map_data):
    """An intervention in Rho finds Rho's opportunities; an ambito finds the station and LUM nearby."""
    rid = _sql("SELECT id FROM mappature_realizzazione WHERE '015182' = ANY(comuni_istat) ORDER BY code")[0][0]
    body = client.get(f"/api/realizzazioni/{rid}/vicinanze?distance=800").json()
    kinds = {o["kind"] for o in body["opportunities"] if o["istat_code"] == "015182"}
    assert {"ambiti_trasformazione", "aree_dismesse", "ambiti_rigenerazione", "remix_incubatore"} <= kinds
    assert body["opportunities"] == sorted(body["opportunities"], key=lambda o: (o["distance_m"], o["kind"], o["id"]))
    at = _sql("SELECT id FROM pgt_ambiti_trasformazione WHERE istat_code = '015182'")[0][0]
    near = client.get(f"/api/opportunita/ambiti_trasformazione/{at}/vicinanze?distance=1000").json()
    assert [s["name"] for s in near["stations"]] == ["Stazione di Rho"]
    assert near["lum"] and near["interventions"]
    far = client.get(f"/api/opportunita/ambiti_trasformazione/{at}/vicinanze?distance=10").json()
    assert far["stations"] == []
    assert client.get("/api/realizzazioni/999999/vicinanze").status_code == 404


def test_each_proximity_query_is_one_statement(map_data, django_assert_num_queries):
    """The selected feature is read once, with every kind of neighbour, in a single statement; a missing
    feature is still a 404."""
    from mappature import queries_nearby
    from mappature.errors import NotFoundError

    rid = _sql("SELECT id FROM mappature_realizzazione WHERE '015182' = ANY(comuni_istat) ORDER BY code")[0][0]
    at = _sql("SELECT id FROM pgt_ambiti_trasformazione WHERE istat_code = '015182'")[0][0]
    with django_assert_num_queries(1):
        body = queries_nearby.opportunities_near_realizzazione(rid, 800)
    assert body["intervention"]["id"] == rid and body["opportunities"]
    assert all(isinstance(o["distance_m"], float) and isinstance(o["ha"], float) for o in body["opportunities"])
    with django_assert_num_queries(1):
        near = queries_nearby.near_opportunity("ambiti_trasformazione", at, 1000)
    assert near["opportunity"] == {
        "kind": "ambiti_trasformazione",
        "id": at,
        "name": near["opportunity"]["name"],
        "istat_code": "015182",
    }
    assert near["stations"] and near["lum"] and near["interventions"]
    assert near["interventions"] == sorted(near["interventions"], key=lambda r: (r["distance_m"], r["id"]))
    with django_assert_num_queries(1), pytest.raises(NotFoundError):
        queries_nearby.near_opportunity("ambiti_trasformazione", 999999, 1000)
    assert queries_nearby.near_opportunity("ambiti_trasformazione", at, 1)["stations"] == []


def test_identify_returns_the_feature_under_the_point(client, map_data):
    lon, lat = _sql(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) p "
        "FROM pgt_ambiti_trasformazione WHERE istat_code = '015146') s"
    )[0]
    body = client.get(f"/api/identifica?lon={lon}&lat={lat}&layers=pgt_ambiti_trasformazione,stazioni").json()
    assert [r["layer"] for r in body["results"]] == ["pgt_ambiti_trasformazione"]
    assert body["results"][0]["features"][0]["properties"]["comune"] == "Milano"


def test_identify_reads_the_comune_with_the_first_layer_hits(client, map_data, django_assert_num_queries):
    """A click costs the rate counter, the visible-layer lookup and one statement per layer: the comune
    under the point comes with the first vector layer's hits, not in a statement of its own."""
    lon, lat = _sql(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) p "
        "FROM pgt_ambiti_trasformazione WHERE istat_code = '015146') s"
    )[0]
    expected = dict(
        zip(
            ("istat_code", "name", "zona_code", "zona"),
            _sql(
                "SELECT c.istat_code, c.name, z.code, z.name FROM mappature_comune c "
                "JOIN mappature_zonaomogenea z ON z.id = c.zona_id WHERE c.istat_code = '015146'"
            )[0],
            strict=True,
        )
    )
    url = f"/api/identifica?lon={lon}&lat={lat}&layers=pgt_ambiti_trasformazione,stazioni"
    client.get(url)  # the layers' columns are read from the catalogue once per process
    with django_assert_num_queries(4):
        body = client.get(url).json()
    assert body["comune"] == expected
    assert body["results"][0]["features"][0]["properties"]["comune"] == "Milano"
    with django_assert_num_queries(3):
        alone = client.get(f"/api/identifica?lon={lon}&lat={lat}&layers=pgt_ambiti_trasformazione").json()
    assert alone == {"comune": expected, "results": body["results"]}
    # No layer asked for: the comune alone; outside CMM: none, with the hits all the same.
    assert client.get(f"/api/identifica?lon={lon}&lat={lat}").json() == {"comune": expected, "results": []}
    outside = client.get("/api/identifica?lon=7.68&lat=45.07&layers=pgt_ambiti_trasformazione,stazioni").json()
    assert outside == {"comune": None, "results": []}


def test_openapi_describes_every_endpoint(client):
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert {"/strati", "/strati/{slug}/elementi", "/riepilogo", "/confronto"} <= set(doc["paths"])
    json.dumps(doc)
