"""What a map layer's load costs the server: a page sent as PostgreSQL wrote it, data extents computed once."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from layers.models import Layer
from mappature import queries_features

pytestmark = pytest.mark.django_db


def test_a_page_of_features_is_sent_without_being_parsed_and_written_again(client, map_data, monkeypatch):
    """The features of a page go out as PostgreSQL wrote them: for 1,000 interventions, parsing them and writing
    them again cost the server 30 ms a page. The body is the same GeoJSON as before."""

    class NoParsing:
        dumps = staticmethod(json.dumps)

        @staticmethod
        def loads(*args, **kwargs):
            raise AssertionError("the page was parsed")

    monkeypatch.setattr(queries_features, "json", NoParsing)
    response = client.get("/api/strati/pgt_ambiti_trasformazione/elementi?zona=nord-ovest&limit=5&offset=2")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    body = json.loads(response.content)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, nome_amb FROM pgt_ambiti_trasformazione WHERE zona_omogenea = "
            "(SELECT name FROM mappature_zonaomogenea WHERE code = 'nord-ovest') ORDER BY id"
        )
        rows = cur.fetchall()
    assert len(rows) > 7
    assert body["type"] == "FeatureCollection" and body["layer"] == "pgt_ambiti_trasformazione"
    assert [(f["id"], f["properties"]["nome_amb"]) for f in body["features"]] == rows[2:7]
    assert body["numberReturned"] == 5 and body["numberMatched"] == len(rows) and body["offset"] == 2
    assert all(f["type"] == "Feature" and f["geometry"]["type"] == "MultiPolygon" for f in body["features"])


def test_data_extents_are_computed_once_for_every_server_process(client, map_data):
    """The boxes of a layer's features per comune group the whole layer (250 ms for 300,000 polygons): computed
    once per data version and kept in the shared cache, another server process reads them instead."""
    version = Layer.objects.get(slug="pgt_ambiti_trasformazione").data_version
    url = f"/api/strati/pgt_ambiti_trasformazione/estensioni?v={version}"
    queries_features._EXTENTS.clear()
    with CaptureQueriesContext(connection) as first:
        computed = client.get(url).json()
    assert [q for q in first if "ST_Extent" in q["sql"]]
    queries_features._EXTENTS.clear()  # what another process (gunicorn worker) starts with
    with CaptureQueriesContext(connection) as second:
        read = client.get(url).json()
    assert not [q for q in second if "ST_Extent" in q["sql"]], second.captured_queries
    assert read == computed and len(read["comuni"]) > 100
