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


def _subplan_loops(plan: dict) -> list[int]:
    """How many times each SubPlan (a view's computed column) ran, over a JSON plan tree."""
    loops = [plan["Actual Loops"]] if plan.get("Subplan Name") else []
    for child in plan.get("Plans", []):
        loops += _subplan_loops(child)
    return loops


def test_a_later_page_computes_the_views_columns_for_its_own_rows_only(client, map_data):
    """The interventions' view computes each row's comuni and point; a page after the first (OFFSET) used to
    compute them for every row it skipped too (1,060 rows for the second page of a zona: 43 ms, 4 ms now)."""
    statements = []

    def explain_then_run(execute, sql, params, many, context):
        if "map_realizzazioni" in sql and sql.lstrip().upper().startswith("SELECT"):
            cursor = context["cursor"].cursor
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            statements.append(cursor.fetchone()[0][0]["Plan"])
        return execute(sql, params, many, context)

    with connection.cursor() as cur:
        cur.execute("SELECT id FROM map_realizzazioni ORDER BY id")
        ids = [row[0] for row in cur.fetchall()]
    assert len(ids) > 7
    with connection.execute_wrapper(explain_then_run):
        body = client.get("/api/strati/realizzazioni/elementi?limit=3&offset=4").json()
    assert [f["id"] for f in body["features"]] == ids[4:7]
    assert body["numberReturned"] == 3 and body["numberMatched"] == len(ids)
    assert all(f["geometry"]["type"] == "MultiPoint" and f["properties"]["comune"] for f in body["features"])
    loops = [n for plan in statements for n in _subplan_loops(plan)]
    assert loops and max(loops) <= 3, loops  # per row of the page, never per row skipped
