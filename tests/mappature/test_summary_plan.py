"""The summary is planned without parallel workers (their start-up costs more than its small aggregates)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

# Settings that make the planner pick parallel plans even for the small test data.
PARALLEL_FRIENDLY = (
    "SET parallel_setup_cost = 0",
    "SET parallel_tuple_cost = 0",
    "SET min_parallel_table_scan_size = 0",
    "SET min_parallel_index_scan_size = 0",
    "SET max_parallel_workers_per_gather = 2",
)


def test_the_summary_runs_without_parallel_workers(client, map_data):
    plans = []

    def explain_then_run(execute, sql, params, many, context):
        if "opportunit" in sql or "ambiti" in sql:  # the summary's statement, exactly as the app sends it
            cursor = context["cursor"].cursor  # psycopg's own cursor: not through this wrapper again
            position = sql.index("WITH t AS")
            cursor.execute(sql[:position] + "EXPLAIN " + sql[position:], params)
            while cursor.description is None and cursor.nextset():
                pass
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.cursor() as cur:
        for setting in PARALLEL_FRIENDLY:
            cur.execute(setting)
        cur.execute(
            "EXPLAIN SELECT count(*) FROM pgt_ambiti_trasformazione UNION ALL SELECT count(*) FROM pgt_aree_dismesse"
        )
        assert "Gather" in "\n".join(r[0] for r in cur.fetchall())  # the session would run a plain query in parallel
    with connection.execute_wrapper(explain_then_run):
        body = client.get("/api/riepilogo?comune=015146").json()
    assert body["summary"]["n_comuni"] == 1
    assert len(plans) == 1 and "Gather" not in plans[0], plans
