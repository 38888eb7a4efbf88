"""A page of one comune's PGT features in id order is read from the (layer, istat_code, id) index.

Before that index, the planner walked the primary key and filtered: for Milano, whose features come late in id
order, a one-row page read 288,000 rows of the 300,000-polygon set (51 ms for the first row, 0.2 ms now).
"""

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
