"""Pages and counts of PGT features by comune read the (istat_code, layer, id) index.

Before that index, the planner walked the primary key and filtered: for Milano, whose features come late in id
order, a one-row page read 288,000 rows of the 300,000-polygon set (51 ms for the first row, 0.2 ms now).
"""

import re

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

# Sorting and whole-table scans priced out, so that the small test data is planned as the full set is.
LARGE_TABLE_LIKE = ("SET enable_seqscan = off", "SET enable_bitmapscan = off", "SET enable_sort = off")


def test_a_comune_page_of_a_pgt_layer_reads_its_rows_in_index_order(client, map_data):
    plans = []

    def explain_then_run(execute, sql, params, many, context):
        if "row_number() OVER" in sql:  # the page's statement, exactly as the app sends it
            cursor = context["cursor"].cursor
            cursor.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.cursor() as cur:
        for setting in LARGE_TABLE_LIKE:
            cur.execute(setting)
    with connection.execute_wrapper(explain_then_run):
        body = client.get("/api/strati/pgt_ambiti_trasformazione/elementi?comune=015146&limit=20&geometry=0").json()
    with connection.cursor() as cur:
        cur.execute("RESET ALL")
        cur.execute(
            "SELECT count(*) FROM mappature_pgtfeature WHERE layer = 'ambiti_trasformazione' AND istat_code = '015146'"
        )
        expected = cur.fetchone()[0]
    assert expected > 0 and body["numberMatched"] == expected
    assert len(plans) == 1, plans
    (plan,) = plans
    # The comune and the layer are the index's conditions, not a filter over a walk of the primary key.
    assert "pgtfeature_pkey" not in plan and "Index Cond" in plan and "istat_code" in plan, plan


def _explained(sql_marker: str, plans: list):
    def explain_then_run(execute, sql, params, many, context):
        if sql_marker in sql:
            cursor = context["cursor"].cursor
            cursor.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return execute(sql, params, many, context)

    return explain_then_run


def test_a_zona_count_over_every_pgt_layer_reads_each_comune_range_of_the_index(client, map_data):
    """A layer over all six PGT layers at once (the map benchmark's layer, bench/mapdata.py) counts a zona's
    features through the page index with the comune as its leading column: each comune's range of it is read.

    With the layer first, the comune was a condition on the second column: the whole index was scanned once per
    comune of the zona (17,342 buffers and 56 ms for a zona of 28 comuni on the 300,000-polygon set; 6 ms now)."""
    from bench.mapdata import BENCH_VIEW, create_view
    from layers.models import Layer

    create_view()
    Layer.objects.create(
        slug="all-pgt",
        title_it="Tutti gli strati del PGT",
        theme=Layer.Theme.PGT,
        source=BENCH_VIEW,
        published=True,
        visibility=Layer.Visibility.PUBLIC,
        geometry_type="MultiPolygon",
        attributes=[{"name": "istat_code"}, {"name": "layer"}],
    )
    plans: list[str] = []
    with connection.cursor() as cur:
        for setting in LARGE_TABLE_LIKE:
            cur.execute(setting)
        # The unique key (atto, layer, key) also bounds this count, through the view's join on the atto: on the
        # few rows of a test the planner takes either index, by a hair. Without it (in this test's transaction,
        # rolled back), the question is only the page index's column order.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows' deferred foreign-key checks first
        cur.execute("ALTER TABLE mappature_pgtfeature DROP CONSTRAINT pgt_feature_key")
    with connection.execute_wrapper(_explained("SELECT count(*)", plans)):
        body = client.get("/api/strati/all-pgt/elementi?zona=comune-di-milano&limit=0").json()
    with connection.cursor() as cur:
        cur.execute("RESET ALL")
        cur.execute(
            "SELECT count(*) FROM mappature_pgtfeature f JOIN mappature_comune c ON c.istat_code = f.istat_code"
            " JOIN mappature_zonaomogenea z ON z.id = c.zona_id WHERE z.code = 'comune-di-milano'"
        )
        expected = cur.fetchone()[0]
        assert expected > 0 and body["numberMatched"] == expected
        assert len(plans) == 1, plans
        used = re.findall(r"Index (?:Only )?Scan using (\S+) on mappature_pgtfeature", plans[0])
        assert used and "Index Cond" in plans[0], plans[0]
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [used[0]])
        (definition,) = cur.fetchone()
    # The comune leads the index: its condition bounds the scan, instead of filtering every entry of it.
    assert re.search(r"btree \(istat_code\b", definition), definition
